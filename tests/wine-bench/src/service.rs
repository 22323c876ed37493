//! Typed service status and controls, as wine-probe reports and sends them.

use serde::Deserialize;
use std::fmt;

/// A Win32 service state (`SERVICE_STOPPED` ... `SERVICE_PAUSED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// `SERVICE_STOPPED`.
    Stopped,
    /// `SERVICE_START_PENDING`.
    StartPending,
    /// `SERVICE_STOP_PENDING`.
    StopPending,
    /// `SERVICE_RUNNING`.
    Running,
    /// `SERVICE_CONTINUE_PENDING`.
    ContinuePending,
    /// `SERVICE_PAUSE_PENDING`.
    PausePending,
    /// `SERVICE_PAUSED`.
    Paused,
}

impl State {
    /// The name wine-probe uses on its command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Stopped => "stopped",
            State::StartPending => "start_pending",
            State::StopPending => "stop_pending",
            State::Running => "running",
            State::ContinuePending => "continue_pending",
            State::PausePending => "pause_pending",
            State::Paused => "paused",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A control that [`WineBench::control`](crate::WineBench::control) sends with `ControlService`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// `SERVICE_CONTROL_STOP`.
    Stop,
    /// `SERVICE_CONTROL_PAUSE`.
    Pause,
    /// `SERVICE_CONTROL_CONTINUE`.
    Continue,
    /// `SERVICE_CONTROL_INTERROGATE`.
    Interrogate,
}

impl Control {
    /// The word wine-probe takes for this control.
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Stop => "stop",
            Control::Pause => "pause",
            Control::Continue => "continue",
            Control::Interrogate => "interrogate",
        }
    }
}

/// A service's status (`SERVICE_STATUS_PROCESS`), parsed from wine-probe's JSON.
///
/// `pid` is 0 when the service has no process, and always 0 in the status `ControlService`
/// returns (that structure has no process id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceStatus {
    /// Current state.
    pub state: State,
    /// `dwCheckPoint`: advances while a pending operation makes progress.
    pub checkpoint: u32,
    /// `dwWaitHint` in milliseconds.
    pub wait_hint_ms: u32,
    /// `dwWin32ExitCode` (1066 means "see `service_specific_exit_code`").
    pub win32_exit_code: u32,
    /// `dwServiceSpecificExitCode`.
    pub service_specific_exit_code: u32,
    /// `dwProcessId`, 0 when none.
    pub pid: u32,
    /// Names of the accepted controls: `stop`, `pause_continue`, `shutdown`, `preshutdown`, ...
    pub controls_accepted: Vec<String>,
    /// The raw `dwControlsAccepted` bits.
    pub controls_accepted_raw: u32,
    /// Milliseconds since the watch began (only in [`WineBench::watch`](crate::WineBench::watch)
    /// samples).
    #[serde(default)]
    pub t_ms: Option<u64>,
}

impl ServiceStatus {
    /// Whether the service accepts the named control (as in `controls_accepted`).
    pub fn accepts(&self, control: &str) -> bool {
        self.controls_accepted.iter().any(|c| c == control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_probe_json() {
        let line = r#"{"checkpoint":2,"controls_accepted":["stop"],"controls_accepted_raw":1,"pid":288,"service_specific_exit_code":0,"state":"start_pending","t_ms":40,"wait_hint_ms":3000,"win32_exit_code":0}"#;
        let s: ServiceStatus = serde_json::from_str(line).expect("valid status");
        assert_eq!(s.state, State::StartPending);
        assert_eq!(s.checkpoint, 2);
        assert_eq!(s.t_ms, Some(40));
        assert!(s.accepts("stop"));
    }

    #[test]
    fn rejects_unknown_state() {
        let line = r#"{"checkpoint":0,"controls_accepted":[],"controls_accepted_raw":0,"pid":0,"service_specific_exit_code":0,"state":"unknown(9)","wait_hint_ms":0,"win32_exit_code":0}"#;
        assert!(serde_json::from_str::<ServiceStatus>(line).is_err());
    }
}
