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
        let text = format!("wine-probe {}", args.join(" "));
        let mut cmd = self.wine_command("-all");
        cmd.arg(self.probe_path()).args(args);
        let out = crate::process::run(cmd, extra_time + PROBE_SLACK)?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(probe_error(&text, args, &out))
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
        let out = self.probe(&["query", name], Duration::ZERO)?;
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
        let out = self.probe(&a, timeout)?;
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
        let out = self.probe(&a, Duration::ZERO)?;
        parse(&a.join(" "), last_line(&out))
    }
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
