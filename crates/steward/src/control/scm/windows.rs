//! The real [`ScmApi`]: the Service Control Manager through `windows-service`, and `windows-sys`
//! for what it lacks (creating with an exact, quoted image path; required privileges; reading
//! delayed auto-start; the registry).

use std::io;
use std::path::Path;
use std::ptr::{null, null_mut};
use std::time::Duration;

use windows_service::service::{
    Service, ServiceAccess, ServiceAction, ServiceActionType, ServiceFailureActions,
    ServiceFailureResetPeriod, ServiceSidType as WsSidType,
};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_sys::Win32::Foundation::ERROR_SUCCESS;
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_SET_VALUE, REG_MULTI_SZ, RegCloseKey, RegOpenKeyExW,
    RegSetValueExW,
};
use windows_sys::Win32::System::Services::{
    ChangeServiceConfig2W, ChangeServiceConfigW, CloseServiceHandle, CreateServiceW,
    OpenSCManagerW, QueryServiceConfig2W, QueryServiceStatusEx, SC_HANDLE, SC_MANAGER_CONNECT,
    SC_MANAGER_CREATE_SERVICE, SC_STATUS_PROCESS_INFO, SERVICE_ALL_ACCESS,
    SERVICE_CONFIG_DELAYED_AUTO_START_INFO, SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO,
    SERVICE_DELAYED_AUTO_START_INFO, SERVICE_ERROR_NORMAL, SERVICE_REQUIRED_PRIVILEGES_INFOW,
    SERVICE_STATUS_PROCESS, SERVICE_WIN32_OWN_PROCESS,
};

use super::api::{RawConfig, RawStatus, ScmApi};
use super::plan::{Config2, ScAction, ServiceConfig};
use super::{Passwords, Scm};
use crate::control::ServiceSidType;

/// This platform's service manager: the SCM; the password of a named account is read from
/// standard input, or prompted for when that is a terminal.
pub fn native() -> Scm<Win32Api> {
    Scm::new(Win32Api).with_passwords(Passwords::StdinOrPrompt)
}

/// The Windows SCM and registry. Stateless: every call opens and closes its own handles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Win32Api;

/// A NUL-terminated UTF-16 copy of `s`.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A double-NUL-terminated UTF-16 list (`REG_MULTI_SZ`, `lpDependencies`).
fn wide_multi(items: &[String]) -> Vec<u16> {
    let mut out: Vec<u16> = items.iter().flat_map(|s| wide(s)).collect();
    out.push(0);
    out
}

/// The `io::Error` of a `windows-service` error (Win32 codes stay raw OS errors).
fn ws_error(error: windows_service::Error) -> io::Error {
    match error {
        windows_service::Error::Winapi(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    }
}

/// The `io::Error` of a `steward-log` registration error (Win32 codes stay raw OS errors).
fn log_error(error: steward_log::Error) -> io::Error {
    match error {
        steward_log::Error::Os { source, .. } => source,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    }
}

/// An SCM handle from `windows-sys`, closed on drop.
struct ScHandle(SC_HANDLE);

impl ScHandle {
    /// Wraps a returned handle; null becomes the last OS error.
    fn check(handle: SC_HANDLE) -> io::Result<ScHandle> {
        if handle.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(ScHandle(handle))
        }
    }
}

impl Drop for ScHandle {
    fn drop(&mut self) {
        // SAFETY: the handle is non-null, came from OpenSCManagerW/CreateServiceW and is closed
        // exactly once, here.
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// An open registry key, closed on drop.
struct RegKey(HKEY);

impl Drop for RegKey {
    fn drop(&mut self) {
        // SAFETY: the key was opened by RegOpenKeyExW and is closed exactly once, here.
        unsafe { RegCloseKey(self.0) };
    }
}

/// Turns a `BOOL` result into the last OS error.
fn check_bool(ok: i32) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Opens `service` with `access` through `windows-service`.
fn open(service: &str, access: ServiceAccess) -> io::Result<Service> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(ws_error)?;
    manager.open_service(service, access).map_err(ws_error)
}

/// The optional account/password arguments as wide strings.
fn account_args(
    config: &ServiceConfig,
    password: Option<&str>,
) -> (Option<Vec<u16>>, Option<Vec<u16>>) {
    (config.account.as_deref().map(wide), password.map(wide))
}

/// A pointer to an optional wide string, null when absent.
fn ptr_of(s: &Option<Vec<u16>>) -> *const u16 {
    s.as_ref().map_or(null(), |v| v.as_ptr())
}

impl ScmApi for Win32Api {
    fn create_service(&self, config: &ServiceConfig, password: Option<&str>) -> io::Result<()> {
        // SAFETY: null machine and database names select the local active database.
        let manager = ScHandle::check(unsafe {
            OpenSCManagerW(
                null(),
                null(),
                SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE,
            )
        })?;
        let (name, display) = (wide(&config.name), wide(&config.display_name));
        let command = wide(&config.command_line);
        let deps = wide_multi(&config.dependencies);
        let (account, password) = account_args(config, password);
        // SAFETY: every pointer is a live NUL-terminated (dependencies: double-NUL-terminated)
        // UTF-16 buffer or null, as CreateServiceW allows; the tag id is not requested.
        let service = unsafe {
            CreateServiceW(
                manager.0,
                name.as_ptr(),
                display.as_ptr(),
                SERVICE_ALL_ACCESS,
                SERVICE_WIN32_OWN_PROCESS,
                config.start_type.to_raw(),
                SERVICE_ERROR_NORMAL,
                command.as_ptr(),
                null(),
                null_mut(),
                deps.as_ptr(),
                ptr_of(&account),
                ptr_of(&password),
            )
        };
        ScHandle::check(service).map(drop)
    }

    fn change_service_config(
        &self,
        config: &ServiceConfig,
        password: Option<&str>,
    ) -> io::Result<()> {
        let service = open(&config.name, ServiceAccess::CHANGE_CONFIG)?;
        let display = wide(&config.display_name);
        let command = wide(&config.command_line);
        let deps = wide_multi(&config.dependencies);
        // LocalSystem is named explicitly here: null would mean "unchanged".
        let account = Some(wide(config.account.as_deref().unwrap_or("LocalSystem")));
        let password = password.map(wide);
        // SAFETY: the handle is open with CHANGE_CONFIG; every pointer is a live NUL-terminated
        // UTF-16 buffer or null ("unchanged"), as ChangeServiceConfigW allows.
        let ok = unsafe {
            ChangeServiceConfigW(
                service.raw_handle(),
                SERVICE_WIN32_OWN_PROCESS,
                config.start_type.to_raw(),
                SERVICE_ERROR_NORMAL,
                command.as_ptr(),
                null(),
                null_mut(),
                deps.as_ptr(),
                ptr_of(&account),
                ptr_of(&password),
                display.as_ptr(),
            )
        };
        check_bool(ok)
    }

    fn change_service_config2(&self, service: &str, info: &Config2) -> io::Result<()> {
        let service = open(service, ServiceAccess::CHANGE_CONFIG | ServiceAccess::START)?;
        match info {
            Config2::Description(text) => service.set_description(text),
            Config2::DelayedAutoStart(on) => service.set_delayed_auto_start(*on),
            Config2::FailureActions {
                reset_period_secs,
                actions,
            } => service.update_failure_actions(failure_actions(*reset_period_secs, actions)),
            Config2::FailureActionsFlag(on) => {
                service.set_failure_actions_on_non_crash_failures(*on)
            }
            Config2::ServiceSidType(sid) => service.set_config_service_sid_info(match sid {
                ServiceSidType::None => WsSidType::None,
                ServiceSidType::Unrestricted => WsSidType::Unrestricted,
                ServiceSidType::Restricted => WsSidType::Restricted,
            }),
            Config2::PreshutdownTimeout(ms) => {
                service.set_preshutdown_timeout(Duration::from_millis(u64::from(*ms)))
            }
            Config2::RequiredPrivileges(privileges) => {
                return set_required_privileges(&service, privileges);
            }
        }
        .map_err(ws_error)
    }

    fn set_environment(&self, service: &str, entries: &[String]) -> io::Result<()> {
        let path = wide(&format!(r"SYSTEM\CurrentControlSet\Services\{service}"));
        let mut key: HKEY = null_mut();
        // SAFETY: the path is a live NUL-terminated UTF-16 string and `key` a valid out pointer.
        let status = unsafe {
            RegOpenKeyExW(
                HKEY_LOCAL_MACHINE,
                path.as_ptr(),
                0,
                KEY_SET_VALUE,
                &mut key,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        let key = RegKey(key);
        let data = wide_multi(entries);
        let name = wide("Environment");
        let bytes = u32::try_from(data.len() * 2).map_err(io::Error::other)?;
        // SAFETY: the key is open with KEY_SET_VALUE; `data` holds exactly `bytes` bytes of a
        // double-NUL-terminated UTF-16 list, as REG_MULTI_SZ requires.
        let status = unsafe {
            RegSetValueExW(
                key.0,
                name.as_ptr(),
                0,
                REG_MULTI_SZ,
                data.as_ptr().cast(),
                bytes,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        Ok(())
    }

    fn delete_service(&self, service: &str) -> io::Result<()> {
        open(service, ServiceAccess::DELETE)?
            .delete()
            .map_err(ws_error)
    }

    fn register_event_source(&self, source: &str, message_file: &Path) -> io::Result<()> {
        steward_log::register_event_source(source, message_file).map_err(log_error)
    }

    fn remove_event_source(&self, source: &str) -> io::Result<()> {
        steward_log::remove_event_source(source).map_err(log_error)
    }

    fn start_service(&self, service: &str) -> io::Result<()> {
        open(service, ServiceAccess::START)?
            .start::<&str>(&[])
            .map_err(ws_error)
    }

    fn stop_service(&self, service: &str) -> io::Result<()> {
        open(service, ServiceAccess::STOP)?
            .stop()
            .map(drop)
            .map_err(ws_error)
    }

    fn query_status(&self, service: &str) -> io::Result<RawStatus> {
        let service = open(service, ServiceAccess::QUERY_STATUS)?;
        // SAFETY: SERVICE_STATUS_PROCESS is plain data; all-zero is a valid value.
        let mut ssp: SERVICE_STATUS_PROCESS = unsafe { std::mem::zeroed() };
        let mut needed = 0u32;
        // SAFETY: the handle is open with QUERY_STATUS; the buffer is a live
        // SERVICE_STATUS_PROCESS and its exact size is passed.
        let ok = unsafe {
            QueryServiceStatusEx(
                service.raw_handle(),
                SC_STATUS_PROCESS_INFO,
                (&raw mut ssp).cast(),
                size_of::<SERVICE_STATUS_PROCESS>() as u32,
                &mut needed,
            )
        };
        check_bool(ok)?;
        Ok(RawStatus {
            state: ssp.dwCurrentState,
            pid: ssp.dwProcessId,
            win32_exit_code: ssp.dwWin32ExitCode,
            service_exit_code: ssp.dwServiceSpecificExitCode,
        })
    }

    fn query_config(&self, service: &str) -> io::Result<RawConfig> {
        let service = open(service, ServiceAccess::QUERY_CONFIG)?;
        let config = service.query_config().map_err(ws_error)?;
        Ok(RawConfig {
            start_type: config.start_type.to_raw(),
            delayed: delayed_auto_start(&service),
            account: config
                .account_name
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default(),
            command_line: config.executable_path.to_string_lossy().into_owned(),
        })
    }
}

/// `windows-service`'s failure actions from the plan's.
fn failure_actions(reset_period_secs: u32, actions: &[ScAction]) -> ServiceFailureActions {
    let actions = actions
        .iter()
        .map(|a| match a {
            ScAction::Restart { delay_ms } => ServiceAction {
                action_type: ServiceActionType::Restart,
                delay: Duration::from_millis(u64::from(*delay_ms)),
            },
            ScAction::None => ServiceAction {
                action_type: ServiceActionType::None,
                delay: Duration::ZERO,
            },
        })
        .collect();
    ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(u64::from(
            reset_period_secs,
        ))),
        reboot_msg: None,
        command: None,
        actions: Some(actions),
    }
}

/// `ChangeServiceConfig2W(SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO)`.
fn set_required_privileges(service: &Service, privileges: &[String]) -> io::Result<()> {
    let mut list = wide_multi(privileges);
    let mut info = SERVICE_REQUIRED_PRIVILEGES_INFOW {
        pmszRequiredPrivileges: list.as_mut_ptr(),
    };
    // SAFETY: the handle is open with CHANGE_CONFIG; `info` points at a double-NUL-terminated
    // UTF-16 list that outlives the call.
    let ok = unsafe {
        ChangeServiceConfig2W(
            service.raw_handle(),
            SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO,
            (&raw mut info).cast(),
        )
    };
    check_bool(ok)
}

/// Whether delayed auto-start is on; `false` where the platform cannot say (Wine: error 124).
fn delayed_auto_start(service: &Service) -> bool {
    let mut info = SERVICE_DELAYED_AUTO_START_INFO {
        fDelayedAutostart: 0,
    };
    let mut needed = 0u32;
    // SAFETY: the handle is open with QUERY_CONFIG; the buffer is a live
    // SERVICE_DELAYED_AUTO_START_INFO and its exact size is passed.
    let ok = unsafe {
        QueryServiceConfig2W(
            service.raw_handle(),
            SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
            (&raw mut info).cast(),
            size_of::<SERVICE_DELAYED_AUTO_START_INFO>() as u32,
            &mut needed,
        )
    };
    ok != 0 && info.fDelayedAutostart != 0
}
