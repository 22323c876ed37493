//! Status, start, stop and uninstall through `systemctl`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::thread;
use std::time::{Duration, Instant};

use super::status::{PROPERTIES, parse_properties, status_from_properties};
use super::{Systemd, unit};
use crate::control::{ControlError, ServiceState, ServiceStatus};

/// How often waits without a blocking `systemctl` look at the unit.
const POLL: Duration = Duration::from_millis(20);
/// How long uninstall waits for a unit it had to kill to go away.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// The unit's properties and the status built from them.
pub(crate) fn properties(
    systemd: &Systemd,
    service: &str,
) -> Result<(HashMap<String, String>, ServiceStatus), ControlError> {
    let name = unit::unit_name(service);
    let property = format!("--property={PROPERTIES}");
    let text = systemd
        .systemctl
        .run(service, "query", &["show", &property, &name])?;
    let props = parse_properties(&text);
    let status = status_from_properties(service, &props);
    Ok((props, status))
}

/// `activating (start)`: the manager's own words, for timeouts.
fn describe(props: &HashMap<String, String>) -> String {
    let get = |k: &str| props.get(k).map_or("?", String::as_str);
    format!("{} ({})", get("ActiveState"), get("SubState"))
}

fn installed(systemd: &Systemd, service: &str) -> Result<ServiceStatus, ControlError> {
    let (_, status) = properties(systemd, service)?;
    if status.installed {
        Ok(status)
    } else {
        Err(ControlError::NotInstalled(service.to_owned()))
    }
}

fn is_down(status: &ServiceStatus) -> bool {
    matches!(
        status.state,
        None | Some(ServiceState::Stopped | ServiceState::Failed)
    )
}

/// Starts the unit. Without `wait`, queues the start job (`--no-block`) and returns; with it,
/// runs the blocking `systemctl start` (which for `Type=notify` returns once `READY=1` arrives
/// or the start fails) for at most that long.
pub(crate) fn start(
    systemd: &Systemd,
    service: &str,
    wait: Option<Duration>,
) -> Result<ServiceStatus, ControlError> {
    let status = installed(systemd, service)?;
    if matches!(
        status.state,
        Some(ServiceState::Running | ServiceState::StartPending)
    ) {
        return Err(ControlError::AlreadyRunning(service.to_owned()));
    }
    transition(systemd, service, "start", wait, "running")
}

/// Stops the unit; `wait` as for [`start`].
pub(crate) fn stop(
    systemd: &Systemd,
    service: &str,
    wait: Option<Duration>,
) -> Result<ServiceStatus, ControlError> {
    let status = installed(systemd, service)?;
    if is_down(&status) {
        return Err(ControlError::NotRunning(service.to_owned()));
    }
    transition(systemd, service, "stop", wait, "stopped")
}

fn transition(
    systemd: &Systemd,
    service: &str,
    verb: &'static str,
    wait: Option<Duration>,
    wanted: &str,
) -> Result<ServiceStatus, ControlError> {
    let name = unit::unit_name(service);
    let ctl = &systemd.systemctl;
    let Some(timeout) = wait else {
        ctl.run(service, verb, &["--no-block", verb, &name])?;
        return Ok(properties(systemd, service)?.1);
    };
    let finished = ctl
        .run_until(service, verb, &[verb, &name], timeout)
        .map_err(|e| with_exit_code(systemd, service, e))?;
    let (props, status) = properties(systemd, service)?;
    if finished.is_none() {
        return Err(ControlError::Timeout {
            service: service.to_owned(),
            wanted: wanted.to_owned(),
            current: describe(&props),
            timeout,
        });
    }
    Ok(status)
}

/// Adds the unit's state and exit status to a failed start's message ("Job ... failed").
fn with_exit_code(systemd: &Systemd, service: &str, error: ControlError) -> ControlError {
    let ControlError::Tool {
        service: s,
        command,
        message,
    } = error
    else {
        return error;
    };
    let detail = match properties(systemd, service) {
        Ok((props, status))
            if status.state == Some(ServiceState::Failed)
                || status.service_exit_code.is_some_and(|c| c != 0) =>
        {
            format!(
                "; the service is {} with exit status {}",
                describe(&props),
                status.service_exit_code.unwrap_or(0)
            )
        }
        _ => String::new(),
    };
    ControlError::Tool {
        service: s,
        command,
        message: format!("{message}{detail}"),
    }
}

/// Stops the unit (killing it if the stop takes longer than `stop_timeout`), disables it, forgets
/// its failed state, removes its unit file and reloads the manager.
pub(crate) fn uninstall(
    systemd: &Systemd,
    service: &str,
    stop_timeout: Duration,
) -> Result<(), ControlError> {
    let status = installed(systemd, service)?;
    let name = unit::unit_name(service);
    let path = systemd.unit_path(service);
    if path.symlink_metadata().is_err() {
        return Err(ControlError::Os {
            service: service.to_owned(),
            operation: "uninstall".into(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!("its unit file is not in {}", systemd.unit_dir().display()),
            ),
        });
    }
    let ctl = &systemd.systemctl;
    if !is_down(&status) {
        let stopped = ctl.run_until(service, "uninstall", &["stop", &name], stop_timeout)?;
        if stopped.is_none() {
            ctl.run(service, "uninstall", &["kill", "--signal=SIGKILL", &name])?;
            wait_down(systemd, service)?;
        }
    }
    ctl.run(service, "uninstall", &["disable", &name])?;
    // Nothing to forget is fine: the unit may never have failed.
    let _ = ctl.run(service, "uninstall", &["reset-failed", &name]);
    fs::remove_file(&path).map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => ControlError::AccessDenied {
            privileged: "root",
            operation: "uninstall",
            service: service.to_owned(),
        },
        _ => ControlError::Os {
            service: service.to_owned(),
            operation: format!("remove unit file {}", path.display()),
            source: e,
        },
    })?;
    ctl.run(service, "uninstall", &["daemon-reload"])?;
    Ok(())
}

fn wait_down(systemd: &Systemd, service: &str) -> Result<(), ControlError> {
    let deadline = Instant::now() + KILL_WAIT;
    loop {
        let (props, status) = properties(systemd, service)?;
        if is_down(&status) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ControlError::Timeout {
                service: service.to_owned(),
                wanted: "stopped".into(),
                current: describe(&props),
                timeout: KILL_WAIT,
            });
        }
        thread::sleep(POLL);
    }
}
