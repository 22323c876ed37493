//! A typed wrapper of wine-probe's `control-storm`: many controls to one service, fast.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::WineBench;
use crate::error::BenchError;
use crate::probe::{last_line, parse};

/// What `control-storm` reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StormCounts {
    /// Controls sent.
    pub sent: u64,
    /// `SERVICE_CONTROL_INTERROGATE` sent.
    pub interrogate: u64,
    /// `SERVICE_CONTROL_PARAMCHANGE` sent (0 when the service does not accept it).
    pub paramchange: u64,
    /// `ControlService` calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Failed calls by Win32 error code (as a decimal string).
    pub errors: BTreeMap<String, u64>,
}

impl WineBench {
    /// Sends `count` controls to `name` in a tight loop (INTERROGATE, alternating with
    /// PARAMCHANGE when the service accepts it); individual failures are counted, not fatal.
    /// `extra_time` is added to the probe's own time limit.
    pub fn control_storm(
        &self,
        name: &str,
        count: u64,
        extra_time: Duration,
    ) -> Result<StormCounts, BenchError> {
        let count = count.to_string();
        let args = ["control-storm", name, &count];
        let out = self.probe(&args, extra_time)?;
        parse(&args.join(" "), last_line(&out))
    }
}
