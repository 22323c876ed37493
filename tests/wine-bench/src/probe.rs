//! Service and registry helpers of [`WineBench`], each one wine-probe invocation.

use crate::error::BenchError;
use crate::registry::RegValue;
use crate::service::{Control, ServiceStatus, State};
use crate::{RunOutput, WineBench};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one probe command may take beyond the time it is asked to wait.
const PROBE_SLACK: Duration = Duration::from_secs(60);

/// The JSON line wine-probe prints on stderr when it fails.
#[derive(Deserialize)]
struct ProbeFailure {
    /// The failing operation.
    error: String,
    /// Its Win32 error code, if any.
    win32_error: Option<u32>,
    /// The system message for the code.
    detail: Option<String>,
}

/// The registry key of a service: `SYSTEM\CurrentControlSet\Services\<name>`.
pub fn service_key(name: &str) -> String {
    format!(r"SYSTEM\CurrentControlSet\Services\{name}")
}

/// Parses one JSON line of probe output.
pub(crate) fn parse<T: DeserializeOwned>(command: &str, line: &str) -> Result<T, BenchError> {
    serde_json::from_str(line).map_err(|source| BenchError::Parse {
        command: command.into(),
        output: line.into(),
        source,
    })
}

/// The last non-empty line of `s`.
pub(crate) fn last_line(s: &str) -> &str {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

impl WineBench {
    /// Runs wine-probe with `args` (no Wine debug output) and returns its stdout.
    pub(crate) fn probe(&self, args: &[&str], extra_time: Duration) -> Result<String, BenchError> {
        let out = self.run_probe(args, extra_time)?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(probe_error(&probe_text(args), args, &out))
    }

    /// [`WineBench::probe`] for a read that changes nothing (registry and status queries):
    /// a run that failed without the probe's failure line is run once more.
    ///
    /// wine-probe reports every failure it sees as a JSON line on stderr. A cold CI run once saw
    /// `regquery` exit with 1 (the probe's "not found") and an empty stderr, which no code path
    /// of the probe produces: the line was lost between Wine and the pipe. Asking again is
    /// harmless for a read; the retry is printed, and a second loss is reported with both runs.
    pub(crate) fn probe_read(
        &self,
        args: &[&str],
        extra_time: Duration,
    ) -> Result<String, BenchError> {
        let first = self.run_probe(args, extra_time)?;
        if first.status.success() {
            return Ok(first.stdout);
        }
        if !lost_failure_line(&first) {
            return Err(probe_error(&probe_text(args), args, &first));
        }
        eprintln!(
            "wine-bench: `{}` failed ({}) without its failure line (stdout: {:?}); asking again",
            probe_text(args),
            first.status,
            first.stdout.trim()
        );
        let second = self.run_probe(args, extra_time)?;
        if second.status.success() {
            return Ok(second.stdout);
        }
        let mut error = probe_error(&probe_text(args), args, &second);
        if let BenchError::CommandFailed { stderr, .. } = &mut error {
            stderr.push_str(&format!(
                " (stdout: {:?}; the first run also failed ({}) without a failure line)",
                second.stdout.trim(),
                first.status
            ));
        }
        Err(error)
    }

    /// One wine-probe run with `args`, bounded by `extra_time` plus [`PROBE_SLACK`].
    fn run_probe(&self, args: &[&str], extra_time: Duration) -> Result<RunOutput, BenchError> {
        let mut cmd = self.wine_command("-all");
        cmd.arg(self.probe_path()).args(args);
        crate::process::run(cmd, extra_time + PROBE_SLACK)
    }

    /// Registers an own-process, demand-start LocalSystem service whose image path is
    /// `"windows_binpath"` followed by `args` (quoted when they contain spaces).
    pub fn create_service(
        &self,
        name: &str,
        windows_binpath: &str,
        args: &[&str],
    ) -> Result<ServiceStatus, BenchError> {
        let mut a = vec!["create", name, windows_binpath];
        a.extend_from_slice(args);
        let out = self.probe(&a, Duration::ZERO)?;
        parse(&a.join(" "), last_line(&out))
    }

    /// Starts a service (`StartServiceW`) and returns the status right after. Wine's
    /// `StartServiceW` returns once the service reports RUNNING or its start times out.
    pub fn start_service(&self, name: &str, args: &[&str]) -> Result<ServiceStatus, BenchError> {
        let mut a = vec!["start", name];
        a.extend_from_slice(args);
        let out = self.probe(&a, Duration::ZERO)?;
        parse(&a.join(" "), last_line(&out))
    }

    /// Sends a control (`ControlService`) and returns the status the SCM hands back (its `pid`
    /// is always 0).
    pub fn control(&self, name: &str, control: Control) -> Result<ServiceStatus, BenchError> {
        let a = ["control", name, control.as_str()];
        let out = self.probe(&a, Duration::ZERO)?;
        parse(&a.join(" "), last_line(&out))
    }

    /// The current status (`QueryServiceStatusEx`).
    pub fn query(&self, name: &str) -> Result<ServiceStatus, BenchError> {
        let out = self.probe_read(&["query", name], Duration::ZERO)?;
        parse(&format!("query {name}"), last_line(&out))
    }

    /// Samples the status every `interval` for up to `duration` in one probe process, stopping
    /// early once `until` is seen; each sample carries `t_ms`.
    pub fn watch(
        &self,
        name: &str,
        interval: Duration,
        duration: Duration,
        until: Option<State>,
    ) -> Result<Vec<ServiceStatus>, BenchError> {
        let (i, d) = (
            interval.as_millis().to_string(),
            duration.as_millis().to_string(),
        );
        let mut a = vec!["watch", name, "--interval-ms", &i, "--duration-ms", &d];
        if let Some(state) = until {
            a.extend(["--until", state.as_str()]);
        }
        let out = self.probe(&a, duration)?;
        out.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse(&a.join(" "), l))
            .collect()
    }

    /// Polls until the service is in `state`; [`BenchError::Timeout`] (with the last status)
    /// after `timeout`.
    pub fn wait_state(
        &self,
        name: &str,
        state: State,
        timeout: Duration,
    ) -> Result<ServiceStatus, BenchError> {
        let ms = timeout.as_millis().to_string();
        let a = ["wait", name, state.as_str(), "--timeout-ms", &ms];
        let out = self.probe_read(&a, timeout)?;
        parse(&a.join(" "), last_line(&out))
    }

    /// Marks a service for deletion (`DeleteService`).
    pub fn delete_service(&self, name: &str) -> Result<(), BenchError> {
        self.probe(&["delete", name], Duration::ZERO).map(|_| ())
    }

    /// Reads one value (or all values) of `HKLM\key`; [`BenchError::RegistryNotFound`] when
    /// the key or value is missing. See [`service_key`] for a service's key.
    pub fn reg_query(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<BTreeMap<String, RegValue>, BenchError> {
        let mut a = vec!["regquery", key];
        a.extend(value);
        let out = self.probe_read(&a, Duration::ZERO)?;
        parse(&a.join(" "), last_line(&out))
    }
}

/// How a probe run is named in errors.
fn probe_text(args: &[&str]) -> String {
    format!("wine-probe {}", args.join(" "))
}

/// Whether a failed run lacks the JSON failure line every failing probe prints on stderr.
fn lost_failure_line(out: &RunOutput) -> bool {
    out.status.code().is_some()
        && serde_json::from_str::<ProbeFailure>(last_line(&out.stderr)).is_err()
}

/// Turns a failed probe run into the matching typed error.
fn probe_error(text: &str, args: &[&str], out: &RunOutput) -> BenchError {
    let failure: Option<ProbeFailure> = serde_json::from_str(last_line(&out.stderr)).ok();
    let code = out.status.code();
    match (code, failure) {
        (Some(1), Some(f)) if f.win32_error == Some(2) => {
            BenchError::RegistryNotFound { what: f.error }
        }
        (Some(1), Some(f)) => BenchError::Timeout {
            what: f.error,
            last: serde_json::from_str(last_line(&out.stdout))
                .ok()
                .map(Box::new),
        },
        (Some(3), Some(f)) if f.win32_error == Some(crate::ERROR_SERVICE_DOES_NOT_EXIST) => {
            BenchError::ServiceNotFound {
                name: args.get(1).map(|s| s.to_string()).unwrap_or_default(),
            }
        }
        (
            Some(3),
            Some(ProbeFailure {
                error,
                win32_error: Some(code),
                detail,
            }),
        ) => BenchError::Win32 {
            operation: error,
            code,
            detail: detail.unwrap_or_default(),
        },
        _ => BenchError::CommandFailed {
            command: text.into(),
            status: out.status.to_string(),
            stderr: out.stderr.trim().into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn failed(raw: i32, stderr: &str) -> RunOutput {
        RunOutput {
            status: ExitStatus::from_raw(raw),
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn a_failure_with_its_json_line_is_an_answer_not_a_loss() {
        let line = r#"{"error":"registry key HKLM\\x: not found","win32_error":2}"#;
        let out = failed(1 << 8, &format!("wine noise\n{line}\n"));
        assert!(!lost_failure_line(&out));
        assert!(matches!(
            probe_error("wine-probe regquery x", &["regquery", "x"], &out),
            BenchError::RegistryNotFound { .. }
        ));
    }

    #[test]
    fn an_exit_code_without_the_json_line_is_a_lost_line() {
        assert!(lost_failure_line(&failed(1 << 8, "")));
        assert!(lost_failure_line(&failed(1 << 8, "some wine message\n")));
    }

    #[test]
    fn a_run_killed_by_a_signal_is_not_retried() {
        // Raw wait status 9: terminated by SIGKILL, no exit code.
        assert!(!lost_failure_line(&failed(9, "")));
    }
}
