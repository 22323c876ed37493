//! `serve`: a minimal real service on the windows-service dispatcher, for the bench's self-test.
//!
//! It reports START_PENDING for `--pending-ms` (checkpoint advancing every 100 ms), then RUNNING, accepts stop and pause/continue, and exits 0 when stopped. Once running
//! it reports one informational event `wine-probe serve NAME running as pid N`; under Wine that
//! shows up as a `trace:eventlog` debug line, which lets the bench test where service debug
//! output goes.

use crate::failure::Failure;
use std::ffi::OsString;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;
use std::time::Instant;
use windows_service::service::{
    ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::{define_windows_service, service_dispatcher};

define_windows_service!(ffi_service_main, service_main);

/// How long to stay START_PENDING; set once by `serve` before the dispatcher starts.
static PENDING_MS: OnceLock<u64> = OnceLock::new();

/// Hands the process to the service dispatcher; returns when the service has stopped.
pub fn serve(name: &str, pending_ms: u64) -> Result<(), Failure> {
    let _ = PENDING_MS.set(pending_ms);
    service_dispatcher::start(name, ffi_service_main).map_err(|e| {
        let code = match &e {
            windows_service::Error::Winapi(io) => io.raw_os_error().map(|c| c as u32),
            _ => None,
        };
        Failure {
            message: format!("service_dispatcher::start({name}): {e}"),
            win32_error: code,
            exit_code: crate::failure::EXIT_WIN32,
        }
    })
}

/// The service's main function, called by the dispatcher on its own thread.
fn service_main(args: Vec<OsString>) {
    let name = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Err(e) = run_service(&name) {
        eprintln!("wine-probe serve: {e}");
    }
}

/// Status with the given state, accepting stop and pause/continue.
fn status(state: ServiceState) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Stopped {
            ServiceControlAccept::empty()
        } else {
            ServiceControlAccept::STOP | ServiceControlAccept::PAUSE_CONTINUE
        },
        exit_code: ServiceExitCode::Win32(0),
        checkpoint: 0,
        wait_hint: Duration::ZERO,
        process_id: None,
    }
}

/// Registers the control handler and reports states until a stop arrives.
fn run_service(name: &str) -> windows_service::Result<()> {
    let (tx, rx) = mpsc::channel();
    let handle = service_control_handler::register(name, move |control| match control {
        ServiceControl::Stop | ServiceControl::Pause | ServiceControl::Continue => {
            // The receiver lives until the stop is handled; a send error only means we are done.
            let _ = tx.send(control);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })?;
    let pending = Duration::from_millis(PENDING_MS.get().copied().unwrap_or(0));
    let started = Instant::now();
    let mut checkpoint = 0;
    while started.elapsed() < pending {
        checkpoint += 1;
        handle.set_service_status(ServiceStatus {
            checkpoint,
            wait_hint: Duration::from_secs(2),
            controls_accepted: ServiceControlAccept::empty(),
            ..status(ServiceState::StartPending)
        })?;
        std::thread::sleep(Duration::from_millis(100));
    }
    handle.set_service_status(status(ServiceState::Running))?;
    report_event(&format!(
        "wine-probe serve {name} running as pid {}",
        std::process::id()
    ));
    while let Ok(control) = rx.recv() {
        match control {
            ServiceControl::Pause => handle.set_service_status(status(ServiceState::Paused))?,
            ServiceControl::Continue => handle.set_service_status(status(ServiceState::Running))?,
            _ => break,
        }
    }
    handle.set_service_status(status(ServiceState::Stopped))
}

/// Reports one informational event under the source `wine-probe`; failures are ignored (the
/// event is a diagnostic, not part of the service's job).
fn report_event(message: &str) {
    use windows_sys::Win32::System::EventLog::{
        DeregisterEventSource, EVENTLOG_INFORMATION_TYPE, RegisterEventSourceW, ReportEventW,
    };
    let source = super::wide("wine-probe");
    let text = super::wide(message);
    let strings = [text.as_ptr()];
    // SAFETY: a null server name selects the local machine; `source` is NUL-terminated.
    let handle = unsafe { RegisterEventSourceW(std::ptr::null(), source.as_ptr()) };
    if handle.is_null() {
        return;
    }
    // SAFETY: `handle` is open, `strings` holds one NUL-terminated string that outlives the
    // call, and no SID or binary data is passed.
    unsafe {
        ReportEventW(
            handle,
            EVENTLOG_INFORMATION_TYPE,
            0,
            1,
            std::ptr::null_mut(),
            1,
            0,
            strings.as_ptr(),
            std::ptr::null(),
        );
        DeregisterEventSource(handle);
    }
}
