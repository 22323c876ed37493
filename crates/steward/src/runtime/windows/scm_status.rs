//! Turns driver notices into `SetServiceStatus` calls.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use windows_service::service::{
    ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::ServiceStatusHandle;

use crate::driver::{Notice, Reporter};
use crate::exit::Exit;
use crate::shared::Phase;

/// Reports to the SCM through the handle the control handler registration returned.
pub(super) struct ScmReporter {
    handle: ServiceStatusHandle,
    accepts_pause: bool,
    /// SetServiceStatus calls must not interleave: a late START_PENDING after STOPPED would
    /// confuse the SCM.
    stopped: Mutex<bool>,
    /// Whether RUNNING was reported once ("service started" is logged the first time only).
    started: AtomicBool,
}

impl ScmReporter {
    pub fn new(handle: ServiceStatusHandle, accepts_pause: bool) -> Self {
        ScmReporter {
            handle,
            accepts_pause,
            stopped: Mutex::new(false),
            started: AtomicBool::new(false),
        }
    }

    fn accepted(&self, state: ServiceState) -> ServiceControlAccept {
        let stop = ServiceControlAccept::STOP
            | ServiceControlAccept::SHUTDOWN
            | ServiceControlAccept::PRESHUTDOWN
            | ServiceControlAccept::PARAM_CHANGE;
        match state {
            ServiceState::Running | ServiceState::Paused if self.accepts_pause => {
                stop | ServiceControlAccept::PAUSE_CONTINUE
            }
            ServiceState::Running | ServiceState::Paused => stop,
            // While starting, accepting STOP lets an admin abort a hung initialisation.
            ServiceState::StartPending => stop,
            _ => ServiceControlAccept::empty(),
        }
    }
}

impl Reporter for ScmReporter {
    fn notify(&self, notice: Notice) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if *stopped {
            return;
        }
        let (state, checkpoint, wait_hint, exit_code) = match notice {
            Notice::State {
                phase,
                checkpoint,
                wait_hint,
            } => (
                scm_state(phase),
                checkpoint,
                wait_hint,
                ServiceExitCode::Win32(0),
            ),
            Notice::Stopped(exit) => {
                *stopped = true;
                (ServiceState::Stopped, 0, Duration::ZERO, exit_code(&exit))
            }
            Notice::StatusText(_) | Notice::Watchdog => return,
        };
        let status = ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: self.accepted(state),
            exit_code,
            checkpoint: if is_pending(state) { checkpoint } else { 0 },
            wait_hint,
            process_id: None,
        };
        if let Err(error) = self.handle.set_service_status(status) {
            tracing::warn!(%error, ?state, "SetServiceStatus failed");
        } else if state == ServiceState::Running && !self.started.swap(true, Ordering::Relaxed) {
            tracing::info!(
                event_id = steward_log::EventId::SERVICE_STARTED.get(),
                "service started"
            );
        }
    }
}

fn is_pending(state: ServiceState) -> bool {
    matches!(
        state,
        ServiceState::StartPending
            | ServiceState::StopPending
            | ServiceState::PausePending
            | ServiceState::ContinuePending
    )
}

fn scm_state(phase: Phase) -> ServiceState {
    match phase {
        Phase::Starting => ServiceState::StartPending,
        Phase::Running => ServiceState::Running,
        Phase::Pausing => ServiceState::PausePending,
        Phase::Paused => ServiceState::Paused,
        Phase::Continuing => ServiceState::ContinuePending,
        Phase::Stopping => ServiceState::StopPending,
    }
}

/// A clean stop is Win32 code 0; anything else is ERROR_SERVICE_SPECIFIC_ERROR with our code, so
/// the SCM's recovery actions fire.
fn exit_code(exit: &Exit) -> ServiceExitCode {
    match exit.code() {
        0 => ServiceExitCode::Win32(0),
        code => ServiceExitCode::ServiceSpecific(code),
    }
}
