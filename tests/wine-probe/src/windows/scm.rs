//! Service control manager calls: open, create, start, control, query, delete.

use super::{last_error, wide};
use crate::cli::ControlKind;
use crate::failure::Failure;
use crate::status::{RawStatus, to_json};
use std::ptr::{null, null_mut};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, ControlService, CreateServiceW, DeleteService, OpenSCManagerW,
    OpenServiceW, QueryServiceStatusEx, SC_HANDLE, SC_MANAGER_ALL_ACCESS, SC_STATUS_PROCESS_INFO,
    SERVICE_ALL_ACCESS, SERVICE_CONTROL_CONTINUE, SERVICE_CONTROL_INTERROGATE,
    SERVICE_CONTROL_PAUSE, SERVICE_CONTROL_STOP, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
    SERVICE_STATUS, SERVICE_STATUS_PROCESS, SERVICE_WIN32_OWN_PROCESS, StartServiceW,
};

/// An open SCM or service handle, closed on drop.
pub struct ScHandle(SC_HANDLE);

impl Drop for ScHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenSCManagerW/OpenServiceW/CreateServiceW, is non-null
        // and is closed exactly once here.
        unsafe { CloseServiceHandle(self.0) };
    }
}

impl ScHandle {
    /// Wraps a returned handle, turning null into the last error.
    fn check(handle: SC_HANDLE, what: &str) -> Result<Self, Failure> {
        if handle.is_null() {
            Err(Failure::win32(what, last_error()))
        } else {
            Ok(ScHandle(handle))
        }
    }

    /// The raw handle, for calls made elsewhere; valid while `self` lives.
    pub fn raw(&self) -> SC_HANDLE {
        self.0
    }

    /// `QueryServiceStatusEx(SC_STATUS_PROCESS_INFO)` on a service handle.
    pub fn query(&self) -> Result<RawStatus, Failure> {
        let mut ssp = SERVICE_STATUS_PROCESS {
            dwServiceType: 0,
            dwCurrentState: 0,
            dwControlsAccepted: 0,
            dwWin32ExitCode: 0,
            dwServiceSpecificExitCode: 0,
            dwCheckPoint: 0,
            dwWaitHint: 0,
            dwProcessId: 0,
            dwServiceFlags: 0,
        };
        let mut needed = 0u32;
        // SAFETY: the buffer is a live SERVICE_STATUS_PROCESS and its exact size is passed.
        let ok = unsafe {
            QueryServiceStatusEx(
                self.0,
                SC_STATUS_PROCESS_INFO,
                (&raw mut ssp).cast(),
                size_of::<SERVICE_STATUS_PROCESS>() as u32,
                &mut needed,
            )
        };
        if ok == 0 {
            return Err(Failure::win32("QueryServiceStatusEx", last_error()));
        }
        Ok(RawStatus {
            state: ssp.dwCurrentState,
            controls_accepted: ssp.dwControlsAccepted,
            win32_exit_code: ssp.dwWin32ExitCode,
            service_specific_exit_code: ssp.dwServiceSpecificExitCode,
            checkpoint: ssp.dwCheckPoint,
            wait_hint_ms: ssp.dwWaitHint,
            pid: ssp.dwProcessId,
        })
    }
}

/// Opens the local service control manager with full access.
fn open_manager() -> Result<ScHandle, Failure> {
    // SAFETY: null machine and database names select the local active database.
    let h = unsafe { OpenSCManagerW(null(), null(), SC_MANAGER_ALL_ACCESS) };
    ScHandle::check(h, "OpenSCManagerW")
}

/// Opens a service with full access.
pub fn open_service(name: &str) -> Result<ScHandle, Failure> {
    let manager = open_manager()?;
    let wname = wide(name);
    // SAFETY: the manager handle is open and `wname` is NUL-terminated and outlives the call.
    let h = unsafe { OpenServiceW(manager.0, wname.as_ptr(), SERVICE_ALL_ACCESS) };
    ScHandle::check(h, &format!("OpenServiceW({name})"))
}

/// Creates an own-process, demand-start LocalSystem service with the given image path.
pub fn create(name: &str, image_path: &str) -> Result<(), Failure> {
    let manager = open_manager()?;
    let (wname, wpath) = (wide(name), wide(image_path));
    // SAFETY: all strings are NUL-terminated and outlive the call; null optional parameters
    // select no group, no tag, no dependencies and the LocalSystem account without password.
    let h = unsafe {
        CreateServiceW(
            manager.0,
            wname.as_ptr(),
            wname.as_ptr(),
            SERVICE_ALL_ACCESS,
            SERVICE_WIN32_OWN_PROCESS,
            SERVICE_DEMAND_START,
            SERVICE_ERROR_NORMAL,
            wpath.as_ptr(),
            null(),
            null_mut(),
            null(),
            null(),
            null(),
        )
    };
    let service = ScHandle::check(h, &format!("CreateServiceW({name})"))?;
    println!("{}", to_json(&service.query()?));
    Ok(())
}

/// Starts a service, handing it `args`.
pub fn start(name: &str, args: &[String]) -> Result<(), Failure> {
    let service = open_service(name)?;
    let wargs: Vec<Vec<u16>> = args.iter().map(|a| wide(a)).collect();
    let ptrs: Vec<*const u16> = wargs.iter().map(|a| a.as_ptr()).collect();
    let argv = if ptrs.is_empty() {
        null()
    } else {
        ptrs.as_ptr()
    };
    // SAFETY: `argv` points to `ptrs.len()` NUL-terminated strings kept alive by `wargs`.
    let ok = unsafe { StartServiceW(service.0, ptrs.len() as u32, argv) };
    if ok == 0 {
        return Err(Failure::win32(
            format!("StartServiceW({name})"),
            last_error(),
        ));
    }
    println!("{}", to_json(&service.query()?));
    Ok(())
}

/// Marks a service for deletion.
pub fn delete(name: &str) -> Result<(), Failure> {
    let service = open_service(name)?;
    // SAFETY: the service handle is open with DELETE access (SERVICE_ALL_ACCESS).
    if unsafe { DeleteService(service.0) } == 0 {
        return Err(Failure::win32(
            format!("DeleteService({name})"),
            last_error(),
        ));
    }
    println!("{}", serde_json::json!({ "deleted": name }));
    Ok(())
}

/// Sends a control and prints the status the SCM returns.
pub fn control(name: &str, kind: ControlKind) -> Result<(), Failure> {
    let code = match kind {
        ControlKind::Stop => SERVICE_CONTROL_STOP,
        ControlKind::Pause => SERVICE_CONTROL_PAUSE,
        ControlKind::Continue => SERVICE_CONTROL_CONTINUE,
        ControlKind::Interrogate => SERVICE_CONTROL_INTERROGATE,
    };
    let service = open_service(name)?;
    let mut ss = SERVICE_STATUS {
        dwServiceType: 0,
        dwCurrentState: 0,
        dwControlsAccepted: 0,
        dwWin32ExitCode: 0,
        dwServiceSpecificExitCode: 0,
        dwCheckPoint: 0,
        dwWaitHint: 0,
    };
    // SAFETY: the handle is open and `ss` is a live SERVICE_STATUS the call may fill.
    if unsafe { ControlService(service.0, code, &mut ss) } == 0 {
        return Err(Failure::win32(
            format!("ControlService({name}, {kind:?})"),
            last_error(),
        ));
    }
    let raw = RawStatus {
        state: ss.dwCurrentState,
        controls_accepted: ss.dwControlsAccepted,
        win32_exit_code: ss.dwWin32ExitCode,
        service_specific_exit_code: ss.dwServiceSpecificExitCode,
        checkpoint: ss.dwCheckPoint,
        wait_hint_ms: ss.dwWaitHint,
        pid: 0,
    };
    println!("{}", to_json(&raw));
    Ok(())
}
