//! `steward status NAME [--json]`: the service manager's status merged with the supervisor's
//! state file (see [`crate::state`]) when there is one. The JSON form is documented in
//! `docs/status-json.md`; nothing secret (environment values, passwords) is ever shown.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use steward::control::{ControlError, ServiceManager, ServiceState, ServiceStatus};
use steward_supervise::{CaptureRecord, ExitStatus, StateName, StateRecord};

/// What the supervisor recorded, as `status` shows it (the `supervisor` object of the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SupervisorStatus {
    /// `starting`, `running`, `backoff`, `stopping`, `stopped` or `failed`.
    pub state: StateName,
    /// The wrapped program's PID while it runs.
    pub pid: Option<u32>,
    /// The PID of the `steward run` process that wrote the file.
    pub supervisor_pid: u32,
    /// Restarts since that supervisor started.
    pub restarts: u64,
    /// The code of the program's last exit (`128 + signal` for a signal death).
    pub last_exit_code: Option<u32>,
    /// The signal that ended the program last, if a signal did.
    pub last_exit_signal: Option<i32>,
    /// When the program last ended (RFC 3339, UTC).
    pub last_exit_time: Option<String>,
    /// When the file was last written (RFC 3339, UTC).
    pub updated_time: String,
    /// The service manager shows the service stopped while the file says the supervisor is
    /// active: the supervisor ended without recording it (e.g. it was killed).
    pub stale: bool,
    /// The state file read.
    pub state_file: PathBuf,
    /// The capture of the program's output (`null` when it is not captured, or the file was
    /// written by a steward without capture).
    pub capture: Option<CaptureRecord>,
    /// Why the supervisor itself last restarted the program (a failed health check, a missed
    /// watchdog, a restart over the admin endpoint); absent when it never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restart_reason: Option<String>,
}

/// The whole status: the manager's fields, then `supervisor` (null without a state file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// What the service manager says.
    #[serde(flatten)]
    pub service: ServiceStatus,
    /// What the supervisor recorded.
    pub supervisor: Option<SupervisorStatus>,
    /// The admin endpoint's `/status` (docs/admin.md), when the service has one and it
    /// answered; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<serde_json::Value>,
}

/// `status NAME [--json]`: asks `manager`, then reads the first state file of `candidates` that
/// exists. A state file that exists but cannot be read is skipped with a warning on stderr.
#[cfg(test)]
pub fn status<M: ServiceManager>(
    manager: &M,
    name: &str,
    json: bool,
    candidates: &[PathBuf],
) -> Result<String, ControlError> {
    status_with_admin(manager, name, json, candidates, None)
}

/// [`status`], plus the admin endpoint's `/status` when `admin` is given and answers (the
/// state file is still read: it is the fallback, and it has what the endpoint does not).
pub fn status_with_admin<M: ServiceManager>(
    manager: &M,
    name: &str,
    json: bool,
    candidates: &[PathBuf],
    admin: Option<&crate::admin::Target>,
) -> Result<String, ControlError> {
    // The manager validates the name first, so it is safe to use in a path below.
    let service = manager.status(name)?;
    let record = candidates
        .iter()
        .filter(|path| path.exists())
        .find_map(|path| match steward_supervise::read_state_file(path) {
            Ok(record) => Some((path.clone(), record)),
            Err(error) => {
                eprintln!("warning: {error}");
                None
            }
        });
    let mut report = merge(service, record);
    report.admin = admin.and_then(crate::admin::fetch);
    if json {
        serde_json::to_string(&report).map_err(|error| ControlError::Os {
            service: name.to_owned(),
            operation: "render the status as JSON".into(),
            source: std::io::Error::other(error),
        })
    } else {
        Ok(render_text(&report))
    }
}

/// Joins the manager's status and the state file's record.
pub fn merge(service: ServiceStatus, record: Option<(PathBuf, StateRecord)>) -> Report {
    let supervisor = record.map(|(state_file, record)| {
        let active = matches!(
            record.state,
            StateName::Starting | StateName::Running | StateName::Backoff | StateName::Stopping
        );
        let manager_stopped = service.installed
            && matches!(
                service.state,
                Some(ServiceState::Stopped | ServiceState::Failed)
            );
        SupervisorStatus {
            state: record.state,
            pid: record.pid,
            supervisor_pid: record.supervisor_pid,
            restarts: record.restarts,
            last_exit_code: record.last_exit_code,
            last_exit_signal: match record.last_exit {
                Some(ExitStatus::Signal(signal)) => Some(signal),
                _ => None,
            },
            last_exit_time: record.last_exit_unix_ms.map(rfc3339),
            updated_time: rfc3339(record.updated_unix_ms),
            stale: active && manager_stopped,
            state_file,
            capture: record.capture,
            last_restart_reason: record.last_restart_reason,
        }
    });
    Report {
        service,
        supervisor,
        admin: None,
    }
}

fn rfc3339(unix_ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(unix_ms)).to_string()
}

/// A snake_case name as the JSON form spells it, with spaces.
fn words<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_else(|| "?".into())
}

/// The human form: one `key  value` line per fact, values aligned.
pub fn render_text(report: &Report) -> String {
    let mut lines: Vec<(&str, String)> = vec![("service", report.service.name.clone())];
    service_lines(&report.service, &mut lines);
    if let Some(supervisor) = &report.supervisor {
        supervisor_lines(supervisor, &mut lines);
    }
    if let Some(admin) = &report.admin {
        admin_lines(admin, &mut lines);
    }
    let width = lines.iter().map(|(key, _)| key.len()).max().unwrap_or(0) + 2;
    lines
        .iter()
        .map(|(key, value)| format!("{key:width$}{value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn service_lines(status: &ServiceStatus, lines: &mut Vec<(&'static str, String)>) {
    if !status.installed {
        lines.push(("state", "not installed".into()));
        return;
    }
    let mut state = status.state.map_or_else(|| "unknown".into(), words);
    if let Some(pid) = status.pid {
        state.push_str(&format!(" (pid {pid})"));
    }
    if matches!(
        status.state,
        Some(ServiceState::Stopped | ServiceState::Failed)
    ) && let Some(code) = status.service_exit_code.filter(|code| *code != 0)
    {
        state.push_str(&format!(" (exit code {code})"));
    }
    lines.push(("state", state));
    if let Some(start) = status.start_type {
        lines.push(("start", words(start)));
    }
    if let Some(account) = &status.account {
        lines.push(("account", account.clone()));
    }
    if let Some(command) = &status.command_line {
        lines.push(("command", command.clone()));
    }
}

fn supervisor_lines(supervisor: &SupervisorStatus, lines: &mut Vec<(&'static str, String)>) {
    let mut state = words(supervisor.state);
    if let Some(pid) = supervisor.pid {
        state.push_str(&format!(", program pid {pid}"));
    }
    state.push_str(&format!(", supervisor pid {}", supervisor.supervisor_pid));
    if supervisor.stale {
        state.push_str(" (stale: the supervisor is gone)");
    }
    lines.push(("supervisor", state));
    lines.push(("restarts", supervisor.restarts.to_string()));
    if let Some(reason) = &supervisor.last_restart_reason {
        lines.push(("restarted", reason.clone()));
    }
    if let Some(code) = supervisor.last_exit_code {
        let how = match supervisor.last_exit_signal {
            Some(signal) => format!("killed by signal {signal} (code {code})"),
            None => format!("exit code {code}"),
        };
        let when = supervisor
            .last_exit_time
            .as_deref()
            .unwrap_or("unknown time");
        lines.push(("last exit", format!("{how} at {when}")));
    }
    if let Some(capture) = &supervisor.capture {
        let mut logs = format!(
            "{} bytes written, {} dropped",
            capture.bytes_written, capture.bytes_dropped
        );
        if capture.bytes_buffered > 0 {
            logs.push_str(&format!(", {} buffered", capture.bytes_buffered));
        }
        if capture.degraded {
            logs.push_str(" (degraded");
            if let Some(error) = &capture.last_error {
                logs.push_str(&format!(": {error}"));
            }
            logs.push(')');
        }
        lines.push(("logs", logs));
    }
    lines.push(("state file", display(&supervisor.state_file)));
}

/// The endpoint's view: state, readiness and each check.
fn admin_lines(admin: &serde_json::Value, lines: &mut Vec<(&'static str, String)>) {
    let flag = |key: &str, yes: &'static str, no: &'static str| -> &'static str {
        if admin[key].as_bool() == Some(true) {
            yes
        } else {
            no
        }
    };
    let state = admin["state"].as_str().unwrap_or("?");
    let (live, ready) = (
        flag("live", "live", "not live"),
        flag("ready", "ready", "not ready"),
    );
    lines.push(("endpoint", format!("{state}, {live}, {ready}")));
    for check in admin["health"]["checks"].as_array().into_iter().flatten() {
        let ok = if check["ok"].as_bool() == Some(true) {
            "ok"
        } else {
            "failing"
        };
        let name = check["name"].as_str().unwrap_or("?");
        let message = check["message"].as_str().unwrap_or("");
        lines.push(("check", format!("{name}: {ok} ({message})")));
    }
    if let Some(registry) = registry_line(&admin["registry"]) {
        lines.push(("registry", registry));
    }
}

/// The endpoint's `registry` object in one line, e.g. `registered /services/web/host1-42 for
/// 1m 30s (healthy, leader)`; `None` without a `[registry]` table.
fn registry_line(registry: &serde_json::Value) -> Option<String> {
    let mut line = registry["state"].as_str()?.to_owned();
    if let Some(key) = registry["key"].as_str() {
        line.push_str(&format!(" {key}"));
    }
    if let Some(seconds) = registry["in_state_seconds"].as_f64() {
        let seconds = Duration::from_secs(seconds.max(0.0) as u64);
        line.push_str(&format!(" for {}", humantime::format_duration(seconds)));
    }
    let mut details: Vec<String> = Vec::new();
    for key in ["health", "role"] {
        if let Some(value) = registry[key].as_str() {
            details.push(value.to_owned());
        }
    }
    match registry["attempts"].as_u64() {
        Some(1) => details.push("1 failed attempt".into()),
        Some(n) if n > 1 => details.push(format!("{n} failed attempts")),
        _ => {}
    }
    if let Some(error) = registry["last_error"].as_str() {
        details.push(format!("last error: {error}"));
    }
    if !details.is_empty() {
        line.push_str(&format!(" ({})", details.join(", ")));
    }
    Some(line)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward::control::StartType;

    fn running() -> ServiceStatus {
        ServiceStatus {
            state: Some(ServiceState::Running),
            installed: true,
            pid: Some(42),
            start_type: Some(StartType::Auto),
            command_line: Some("/usr/bin/steward run --config /srv/web/steward.toml".into()),
            ..ServiceStatus::not_installed("web")
        }
    }

    fn record(state: StateName) -> StateRecord {
        StateRecord {
            state,
            pid: Some(43),
            restarts: 2,
            last_exit_code: Some(137),
            last_exit: Some(ExitStatus::Signal(9)),
            last_exit_unix_ms: Some(1_764_085_201_000),
            updated_unix_ms: 1_764_085_202_500,
            supervisor_pid: 42,
            capture: Some(CaptureRecord {
                bytes_read: 1000,
                bytes_written: 1000,
                bytes_dropped: 24,
                ..CaptureRecord::default()
            }),
            last_restart_reason: None,
        }
    }

    #[test]
    fn json_adds_the_supervisor_object() {
        let report = merge(
            running(),
            Some((
                "/run/steward/web/state.json".into(),
                record(StateName::Running),
            )),
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["state"], "running");
        assert_eq!(json["pid"], 42);
        let supervisor = &json["supervisor"];
        assert_eq!(supervisor["state"], "running");
        assert_eq!(supervisor["pid"], 43);
        assert_eq!(supervisor["supervisor_pid"], 42);
        assert_eq!(supervisor["restarts"], 2);
        assert_eq!(supervisor["last_exit_code"], 137);
        assert_eq!(supervisor["last_exit_signal"], 9);
        assert_eq!(supervisor["last_exit_time"], "2025-11-25T15:40:01.000Z");
        assert_eq!(supervisor["updated_time"], "2025-11-25T15:40:02.500Z");
        assert_eq!(supervisor["stale"], false);
        assert_eq!(supervisor["state_file"], "/run/steward/web/state.json");
        assert_eq!(supervisor["capture"]["bytes_written"], 1000);
        assert_eq!(supervisor["capture"]["bytes_dropped"], 24);
        assert_eq!(supervisor["capture"]["degraded"], false);
        assert!(supervisor["capture"]["last_error"].is_null());
        let text = serde_json::to_string(&report).unwrap();
        assert!(
            text.starts_with(r#"{"name":"web","installed":true,"state":"running""#),
            "the manager's fields come first, in their documented order: {text}"
        );
        let none = serde_json::to_value(merge(ServiceStatus::not_installed("x"), None)).unwrap();
        assert_eq!(none["installed"], false);
        assert!(none["supervisor"].is_null());
    }

    #[test]
    fn an_active_record_of_a_stopped_service_is_stale() {
        let stopped = ServiceStatus {
            state: Some(ServiceState::Failed),
            pid: None,
            ..running()
        };
        let report = merge(stopped, Some(("f".into(), record(StateName::Running))));
        assert!(report.supervisor.unwrap().stale);
        let console = merge(
            ServiceStatus::not_installed("web"),
            Some(("f".into(), record(StateName::Running))),
        );
        assert!(
            !console.supervisor.unwrap().stale,
            "a console run is not stale"
        );
    }

    #[test]
    fn text_lines_are_aligned() {
        let report = merge(
            running(),
            Some((
                "/run/steward/web/state.json".into(),
                record(StateName::Running),
            )),
        );
        assert_eq!(
            render_text(&report),
            "service     web\n\
             state       running (pid 42)\n\
             start       auto\n\
             command     /usr/bin/steward run --config /srv/web/steward.toml\n\
             supervisor  running, program pid 43, supervisor pid 42\n\
             restarts    2\n\
             last exit   killed by signal 9 (code 137) at 2025-11-25T15:40:01.000Z\n\
             logs        1000 bytes written, 24 dropped\n\
             state file  /run/steward/web/state.json"
        );
        let mut degraded = record(StateName::Running);
        degraded.capture = Some(CaptureRecord {
            bytes_buffered: 7,
            degraded: true,
            last_error: Some("/srv/logs/web.stdout.log: No space left on device".into()),
            ..CaptureRecord::default()
        });
        let text = render_text(&merge(running(), Some(("f".into(), degraded))));
        assert!(
            text.contains("logs        0 bytes written, 0 dropped, 7 buffered (degraded: /srv/logs/web.stdout.log: No space left on device)"),
            "{text}"
        );
        assert_eq!(
            render_text(&merge(ServiceStatus::not_installed("x"), None)),
            "service  x\nstate    not installed"
        );
    }

    #[test]
    fn the_endpoint_registry_shows_as_one_line() {
        let mut report = merge(ServiceStatus::not_installed("web"), None);
        report.admin = Some(serde_json::json!({
            "state": "running", "live": true, "ready": true, "health": null,
            "registry": {
                "state": "registered", "registered": true, "key": "/services/web/host1-42",
                "lease_id": "694d8a1b2c3d4e5f", "health": "healthy", "role": "leader",
                "attempts": 0, "last_error": null, "in_state_seconds": 90.4
            }
        }));
        assert!(
            render_text(&report).ends_with(
                "endpoint  running, live, ready\n\
                 registry  registered /services/web/host1-42 for 1m 30s (healthy, leader)"
            ),
            "{}",
            render_text(&report)
        );
        let retrying = serde_json::json!({
            "state": "retrying", "registered": false, "key": null, "lease_id": null,
            "health": null, "role": null, "attempts": 4,
            "last_error": "etcd request timed out after 3.333s", "in_state_seconds": 12.0
        });
        assert_eq!(
            registry_line(&retrying).unwrap(),
            "retrying for 12s (4 failed attempts, last error: etcd request timed out after 3.333s)"
        );
        assert_eq!(registry_line(&serde_json::Value::Null), None);
        report.admin = Some(serde_json::json!({"state": "running", "registry": null}));
        assert!(!render_text(&report).contains("registry"));
    }
}
