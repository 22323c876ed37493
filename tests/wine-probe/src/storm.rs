//! The portable half of `control-storm NAME COUNT`: its arguments and the counts it prints. The
//! Win32 half (the `ControlService` loop) lives in `windows/storm.rs`.

use std::collections::BTreeMap;

use crate::cli::UsageError;
use crate::command::Command;

/// `SERVICE_CONTROL_INTERROGATE`.
pub const INTERROGATE: u32 = 4;
/// `SERVICE_CONTROL_PARAMCHANGE`.
pub const PARAMCHANGE: u32 = 6;
/// `SERVICE_ACCEPT_PARAMCHANGE` in `dwControlsAccepted`.
pub const ACCEPT_PARAMCHANGE: u32 = 0x8;

/// Parses `NAME COUNT`.
pub fn parse(rest: &[String]) -> Result<Command, UsageError> {
    match rest {
        [name, count] => Ok(Command::ControlStorm {
            name: name.clone(),
            count: count
                .parse()
                .map_err(|_| UsageError(format!("control-storm: bad COUNT {count:?}")))?,
        }),
        _ => Err(UsageError("control-storm: expected NAME COUNT".into())),
    }
}

/// The control sent as number `i` (from 0): INTERROGATE and PARAMCHANGE alternate when the
/// service accepts PARAMCHANGE, else INTERROGATE only.
pub fn control_for(i: u64, accepts_paramchange: bool) -> u32 {
    if accepts_paramchange && i % 2 == 1 {
        PARAMCHANGE
    } else {
        INTERROGATE
    }
}

/// What the storm did: sends per control, answers, and failures by Win32 error code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StormCounts {
    /// Controls sent.
    pub sent: u64,
    /// INTERROGATE sent.
    pub interrogate: u64,
    /// PARAMCHANGE sent.
    pub paramchange: u64,
    /// `ControlService` calls that succeeded.
    pub ok: u64,
    /// Failed calls by Win32 error code.
    pub errors: BTreeMap<u32, u64>,
}

impl StormCounts {
    /// Counts one call of `control`: `Ok` or its Win32 error.
    pub fn record(&mut self, control: u32, result: Result<(), u32>) {
        self.sent += 1;
        if control == PARAMCHANGE {
            self.paramchange += 1;
        } else {
            self.interrogate += 1;
        }
        match result {
            Ok(()) => self.ok += 1,
            Err(code) => *self.errors.entry(code).or_default() += 1,
        }
    }

    /// The JSON line: `{"sent":..,"interrogate":..,"paramchange":..,"ok":..,"failed":..,
    /// "errors":{"1061":3}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let errors: serde_json::Map<String, serde_json::Value> = self
            .errors
            .iter()
            .map(|(code, n)| (code.to_string(), (*n).into()))
            .collect();
        serde_json::json!({
            "sent": self.sent,
            "interrogate": self.interrogate,
            "paramchange": self.paramchange,
            "ok": self.ok,
            "failed": self.errors.values().sum::<u64>(),
            "errors": errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_count() {
        let args = ["svc".to_string(), "1000".to_string()];
        assert_eq!(
            parse(&args).unwrap(),
            Command::ControlStorm {
                name: "svc".into(),
                count: 1000
            }
        );
        assert!(parse(&args[..1]).is_err());
        assert!(parse(&["svc".into(), "many".into()]).is_err());
    }

    #[test]
    fn alternates_only_when_paramchange_is_accepted() {
        let seq: Vec<u32> = (0..4).map(|i| control_for(i, true)).collect();
        assert_eq!(seq, [INTERROGATE, PARAMCHANGE, INTERROGATE, PARAMCHANGE]);
        assert!((0..4).all(|i| control_for(i, false) == INTERROGATE));
    }

    #[test]
    fn counts_successes_and_errors_by_code() {
        let mut counts = StormCounts::default();
        counts.record(INTERROGATE, Ok(()));
        counts.record(PARAMCHANGE, Err(1061));
        counts.record(PARAMCHANGE, Err(1061));
        let json = counts.to_json();
        assert_eq!(json["sent"], 3);
        assert_eq!(json["interrogate"], 1);
        assert_eq!(json["paramchange"], 2);
        assert_eq!(json["ok"], 1);
        assert_eq!(json["failed"], 2);
        assert_eq!(json["errors"]["1061"], 2);
    }
}
