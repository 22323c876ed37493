//! Turning raw `SERVICE_STATUS_PROCESS` numbers into the JSON the bench parses; pure and portable.

use serde_json::{Value, json};

/// Every state name wine-probe prints, indexed by the Win32 value minus one.
pub const STATE_NAMES: [&str; 7] = [
    "stopped",
    "start_pending",
    "stop_pending",
    "running",
    "continue_pending",
    "pause_pending",
    "paused",
];

/// Names of the `SERVICE_ACCEPT_*` bits, lowest bit first.
const ACCEPT_NAMES: [(u32, &str); 11] = [
    (0x1, "stop"),
    (0x2, "pause_continue"),
    (0x4, "shutdown"),
    (0x8, "paramchange"),
    (0x10, "netbindchange"),
    (0x20, "hardwareprofilechange"),
    (0x40, "powerevent"),
    (0x80, "sessionchange"),
    (0x100, "preshutdown"),
    (0x200, "timechange"),
    (0x400, "triggerevent"),
];

/// The fields of `SERVICE_STATUS_PROCESS` the probe reports, as raw numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawStatus {
    /// `dwCurrentState`.
    pub state: u32,
    /// `dwControlsAccepted`.
    pub controls_accepted: u32,
    /// `dwWin32ExitCode`.
    pub win32_exit_code: u32,
    /// `dwServiceSpecificExitCode`.
    pub service_specific_exit_code: u32,
    /// `dwCheckPoint`.
    pub checkpoint: u32,
    /// `dwWaitHint`.
    pub wait_hint_ms: u32,
    /// `dwProcessId` (0 when the service has no process).
    pub pid: u32,
}

/// The name of a Win32 service state, or `unknown(N)` for a value outside the documented range.
pub fn state_name(state: u32) -> String {
    match state
        .checked_sub(1)
        .and_then(|i| STATE_NAMES.get(i as usize))
    {
        Some(name) => (*name).to_string(),
        None => format!("unknown({state})"),
    }
}

/// The status as one JSON object; unknown accept bits are kept in `controls_accepted_raw`.
pub fn to_json(s: &RawStatus) -> Value {
    let accepted: Vec<&str> = ACCEPT_NAMES
        .iter()
        .filter(|(bit, _)| s.controls_accepted & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    json!({
        "state": state_name(s.state),
        "checkpoint": s.checkpoint,
        "wait_hint_ms": s.wait_hint_ms,
        "win32_exit_code": s.win32_exit_code,
        "service_specific_exit_code": s.service_specific_exit_code,
        "pid": s.pid,
        "controls_accepted": accepted,
        "controls_accepted_raw": s.controls_accepted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_status_json() {
        let s = RawStatus {
            state: 4,
            controls_accepted: 0x3,
            pid: 42,
            ..RawStatus::default()
        };
        let v = to_json(&s);
        assert_eq!(v["state"], "running");
        assert_eq!(v["controls_accepted"], json!(["stop", "pause_continue"]));
        assert_eq!(v["pid"], 42);
    }

    #[test]
    fn unknown_state_is_named_not_panicking() {
        assert_eq!(state_name(0), "unknown(0)");
        assert_eq!(state_name(8), "unknown(8)");
        assert_eq!(state_name(7), "paused");
    }
}
