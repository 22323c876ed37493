//! The seam between the Windows logic and the OS: a small trait over the SCM and registry calls,
//! with the raw data they return, and the mapping of Win32 error codes to [`ControlError`].

use std::io;
use std::path::Path;

use super::plan::{Config2, ServiceConfig};
use crate::control::ControlError;

/// `ERROR_ACCESS_DENIED`.
pub const ERROR_ACCESS_DENIED: i32 = 5;
/// `ERROR_INVALID_NAME`.
pub const ERROR_INVALID_NAME: i32 = 123;
/// `ERROR_INVALID_LEVEL`: the platform does not know this `ChangeServiceConfig2W` level.
pub const ERROR_INVALID_LEVEL: i32 = 124;
/// `ERROR_SERVICE_ALREADY_RUNNING`.
pub const ERROR_SERVICE_ALREADY_RUNNING: i32 = 1056;
/// `ERROR_SERVICE_DOES_NOT_EXIST`.
pub const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;
/// `ERROR_SERVICE_CANNOT_ACCEPT_CTRL`: e.g. a stop sent to a service that is already stopping.
pub const ERROR_SERVICE_CANNOT_ACCEPT_CTRL: i32 = 1061;
/// `ERROR_SERVICE_NOT_ACTIVE`.
pub const ERROR_SERVICE_NOT_ACTIVE: i32 = 1062;
/// `ERROR_SERVICE_MARKED_FOR_DELETE`.
pub const ERROR_SERVICE_MARKED_FOR_DELETE: i32 = 1072;
/// `ERROR_SERVICE_EXISTS`.
pub const ERROR_SERVICE_EXISTS: i32 = 1073;
/// `ERROR_SERVICE_NEVER_STARTED`: the exit code of a service that never ran.
pub const ERROR_SERVICE_NEVER_STARTED: u32 = 1077;

/// What `QueryServiceStatusEx(SC_STATUS_PROCESS_INFO)` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawStatus {
    /// `dwCurrentState` (`SERVICE_STOPPED` = 1 ... `SERVICE_PAUSED` = 7).
    pub state: u32,
    /// `dwProcessId`.
    pub pid: u32,
    /// `dwWin32ExitCode`.
    pub win32_exit_code: u32,
    /// `dwServiceSpecificExitCode`.
    pub service_exit_code: u32,
}

/// What `QueryServiceConfigW` (plus the delayed auto-start level, where supported) returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawConfig {
    /// `dwStartType`.
    pub start_type: u32,
    /// Delayed auto-start (`false` where the platform cannot say).
    pub delayed: bool,
    /// `lpServiceStartName`.
    pub account: String,
    /// `lpBinaryPathName`.
    pub command_line: String,
}

/// The SCM and registry calls the Windows backend needs, one method per call. The real
/// implementation lives in `windows.rs`; tests use a recording one.
///
/// Every method opens what it needs by service name and closes it before returning, so a
/// deleted service never lingers because of a handle kept here.
pub trait ScmApi {
    /// `CreateServiceW` with `config`; `password` only for named accounts.
    fn create_service(&self, config: &ServiceConfig, password: Option<&str>) -> io::Result<()>;
    /// `ChangeServiceConfigW` with `config`.
    fn change_service_config(
        &self,
        config: &ServiceConfig,
        password: Option<&str>,
    ) -> io::Result<()>;
    /// `ChangeServiceConfig2W` with one level.
    fn change_service_config2(&self, service: &str, info: &Config2) -> io::Result<()>;
    /// Writes the `Environment` `REG_MULTI_SZ` value under the service's registry key.
    fn set_environment(&self, service: &str, entries: &[String]) -> io::Result<()>;
    /// `DeleteService`.
    fn delete_service(&self, service: &str) -> io::Result<()>;
    /// Registers the Event Log source `source` (`HKLM\SYSTEM\CurrentControlSet\Services\
    /// EventLog\Application\<source>`) with `message_file` as its `EventMessageFile` and
    /// `TypesSupported` 7.
    fn register_event_source(&self, source: &str, message_file: &Path) -> io::Result<()>;
    /// Removes the Event Log source `source`; succeeds when it is not registered.
    fn remove_event_source(&self, source: &str) -> io::Result<()>;
    /// `StartServiceW` without arguments.
    fn start_service(&self, service: &str) -> io::Result<()>;
    /// `ControlService(SERVICE_CONTROL_STOP)`.
    fn stop_service(&self, service: &str) -> io::Result<()>;
    /// `QueryServiceStatusEx`.
    fn query_status(&self, service: &str) -> io::Result<RawStatus>;
    /// `QueryServiceConfigW` (and the delayed auto-start flag).
    fn query_config(&self, service: &str) -> io::Result<RawConfig>;
}

/// Whether `error` is the Win32 error `code`.
pub fn is(error: &io::Error, code: i32) -> bool {
    error.raw_os_error() == Some(code)
}

/// Turns a Win32 error of `operation` on `service` into the matching [`ControlError`].
pub fn map_error(error: io::Error, service: &str, operation: &'static str) -> ControlError {
    let service = service.to_owned();
    match error.raw_os_error() {
        Some(ERROR_ACCESS_DENIED) => ControlError::AccessDenied {
            privileged: "Administrator",
            operation,
            service,
        },
        Some(ERROR_SERVICE_EXISTS) => ControlError::AlreadyInstalled(service),
        Some(ERROR_SERVICE_DOES_NOT_EXIST) => ControlError::NotInstalled(service),
        Some(ERROR_SERVICE_ALREADY_RUNNING) => ControlError::AlreadyRunning(service),
        Some(ERROR_SERVICE_NOT_ACTIVE) => ControlError::NotRunning(service),
        Some(ERROR_INVALID_NAME) => ControlError::InvalidName {
            name: service,
            reason: "the service manager rejects it",
        },
        _ => ControlError::Os {
            service,
            operation: operation.to_owned(),
            source: error,
        },
    }
}
