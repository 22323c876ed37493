//! Start, stop, uninstall and status over an [`ScmApi`], with deadline-bounded waits.

use std::time::{Duration, Instant};

use super::api::{
    ERROR_SERVICE_CANNOT_ACCEPT_CTRL, ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_MARKED_FOR_DELETE, ERROR_SERVICE_NEVER_STARTED, ERROR_SERVICE_NOT_ACTIVE,
    RawConfig, RawStatus, ScmApi, is, map_error,
};
use super::command_line::{executable_of, validate_name};
use crate::control::{ControlError, ServiceState, ServiceStatus, StartType};

/// `SERVICE_STOPPED`.
const STOPPED: u32 = 1;
/// `SERVICE_RUNNING`.
const RUNNING: u32 = 4;

/// The [`ServiceState`] of a raw status: a stopped service with a real exit code is `Failed`.
pub fn state_of(raw: &RawStatus) -> ServiceState {
    match raw.state {
        2 => ServiceState::StartPending,
        3 => ServiceState::StopPending,
        4 => ServiceState::Running,
        5 => ServiceState::ContinuePending,
        6 => ServiceState::PausePending,
        7 => ServiceState::Paused,
        _ if raw.win32_exit_code != 0 && raw.win32_exit_code != ERROR_SERVICE_NEVER_STARTED => {
            ServiceState::Failed
        }
        _ => ServiceState::Stopped,
    }
}

/// The [`StartType`] of a raw config; unknown values (boot/system drivers) read as manual.
fn start_type_of(config: &RawConfig) -> StartType {
    match (config.start_type, config.delayed) {
        (2, true) => StartType::Delayed,
        (2, false) => StartType::Auto,
        (4, _) => StartType::Disabled,
        _ => StartType::Manual,
    }
}

/// The status of `name`; a service that is not installed is a status, not an error.
pub fn status<A: ScmApi + ?Sized>(api: &A, name: &str) -> Result<ServiceStatus, ControlError> {
    validate_name(name)?;
    let raw = match api.query_status(name) {
        Ok(raw) => raw,
        Err(e) if is(&e, ERROR_SERVICE_DOES_NOT_EXIST) => {
            return Ok(ServiceStatus::not_installed(name));
        }
        Err(e) => return Err(map_error(e, name, "query")),
    };
    let config = api
        .query_config(name)
        .map_err(|e| map_error(e, name, "query"))?;
    let running = raw.state != STOPPED;
    Ok(ServiceStatus {
        name: name.to_owned(),
        installed: true,
        state: Some(state_of(&raw)),
        pid: (running && raw.pid != 0).then_some(raw.pid),
        start_type: Some(start_type_of(&config)),
        account: Some(if config.account.is_empty() {
            "LocalSystem".to_owned()
        } else {
            config.account.clone()
        }),
        binary_path: Some(executable_of(&config.command_line).into()),
        command_line: Some(config.command_line),
        win32_exit_code: Some(raw.win32_exit_code),
        service_exit_code: Some(raw.service_exit_code),
    })
}

/// Starts `name`; with `wait`, polls until it runs, fails or the time is up.
pub fn start<A: ScmApi + ?Sized>(
    api: &A,
    name: &str,
    wait: Option<Duration>,
    poll: Duration,
) -> Result<ServiceStatus, ControlError> {
    validate_name(name)?;
    api.start_service(name)
        .map_err(|e| map_error(e, name, "start"))?;
    let Some(timeout) = wait else {
        return status(api, name);
    };
    let status = wait_for(api, name, RUNNING, timeout, poll)?;
    if status.state != Some(ServiceState::Running) {
        return Err(ControlError::Os {
            service: name.to_owned(),
            operation: "start".into(),
            source: std::io::Error::other(format!(
                "it stopped while starting (win32 exit code {}, service-specific exit code {})",
                status.win32_exit_code.unwrap_or(0),
                status.service_exit_code.unwrap_or(0)
            )),
        });
    }
    Ok(status)
}

/// Sends stop to `name`; with `wait`, polls until it has stopped or the time is up.
pub fn stop<A: ScmApi + ?Sized>(
    api: &A,
    name: &str,
    wait: Option<Duration>,
    poll: Duration,
) -> Result<ServiceStatus, ControlError> {
    validate_name(name)?;
    api.stop_service(name)
        .map_err(|e| map_error(e, name, "stop"))?;
    match wait {
        Some(timeout) => wait_for(api, name, STOPPED, timeout, poll),
        None => status(api, name),
    }
}

/// Stops `name` if it runs (waiting at most `stop_timeout`), then deletes it and removes its
/// Event Log source. A service already marked for deletion counts as uninstalled.
pub fn uninstall<A: ScmApi + ?Sized>(
    api: &A,
    name: &str,
    stop_timeout: Duration,
    poll: Duration,
) -> Result<(), ControlError> {
    validate_name(name)?;
    let raw = api
        .query_status(name)
        .map_err(|e| map_error(e, name, "uninstall"))?;
    if raw.state != STOPPED {
        match api.stop_service(name) {
            Ok(()) => {}
            // Already stopping, or stopped meanwhile: the wait below settles it.
            Err(e)
                if is(&e, ERROR_SERVICE_NOT_ACTIVE) || is(&e, ERROR_SERVICE_CANNOT_ACCEPT_CTRL) => {
            }
            Err(e) => return Err(map_error(e, name, "uninstall")),
        }
        wait_for(api, name, STOPPED, stop_timeout, poll)?;
    }
    match api.delete_service(name) {
        Ok(()) => {}
        Err(e) if is(&e, ERROR_SERVICE_MARKED_FOR_DELETE) => {
            tracing::info!(service = name, "already marked for deletion");
        }
        Err(e) => return Err(map_error(e, name, "uninstall")),
    }
    // The source `install` registered under the service's name (absent is fine).
    api.remove_event_source(name)
        .map_err(|e| match map_error(e, name, "uninstall") {
            ControlError::Os {
                service, source, ..
            } => ControlError::Os {
                service,
                operation: "remove the event log source".into(),
                source,
            },
            other => other,
        })
}

/// Polls the raw state every `poll` until it is `wanted` — or, when waiting for RUNNING, until
/// the service stopped — and returns the status; [`ControlError::Timeout`] at the deadline.
fn wait_for<A: ScmApi + ?Sized>(
    api: &A,
    name: &str,
    wanted: u32,
    timeout: Duration,
    poll: Duration,
) -> Result<ServiceStatus, ControlError> {
    let deadline = Instant::now() + timeout;
    loop {
        let raw = api
            .query_status(name)
            .map_err(|e| map_error(e, name, "query"))?;
        let settled = raw.state == wanted || (wanted == RUNNING && raw.state == STOPPED);
        if settled {
            return status(api, name);
        }
        if Instant::now() >= deadline {
            let wanted_state = state_of(&RawStatus {
                state: wanted,
                ..RawStatus::default()
            });
            return Err(ControlError::Timeout {
                service: name.to_owned(),
                wanted: state_name(wanted_state),
                current: state_name(state_of(&raw)),
                timeout,
            });
        }
        std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// The snake_case name of a state, as `status --json` spells it.
pub fn state_name(state: ServiceState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{state:?}"))
}
