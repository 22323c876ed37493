//! The monitor's public data: what it watches, what it reports, what it emits.

use std::path::PathBuf;
use std::time::Duration;

use crate::{CheckRole, CheckSpec};

/// Where the wrapped program sends sd_notify messages, and its watchdog period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Unix: the socket's file path, in a directory only the service account can enter.
    /// Windows: the pipe name, `\\.\pipe\<name>` (e.g. `\\.\pipe\steward-web-notify`).
    pub path: PathBuf,
    /// `WATCHDOG_USEC` given to the program; `None` disables the watchdog.
    pub watchdog: Option<Duration>,
    /// When true, readiness also waits for `READY=1` from the program.
    pub require_ready: bool,
}

/// Everything the monitor watches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorConfig {
    /// The checks; names must be unique.
    pub checks: Vec<CheckSpec>,
    /// The notify socket, if the program speaks sd_notify.
    pub notify: Option<NotifyConfig>,
}

/// The latest result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Its role.
    pub role: CheckRole,
    /// Whether the last probe succeeded (false before the first probe).
    pub ok: bool,
    /// How long the last probe took.
    pub duration: Duration,
    /// What the last probe saw (status code, exit code, error); never a URL or argv.
    pub message: String,
    /// Failures in a row, as counted against the threshold.
    pub consecutive_failures: u32,
    /// Probes that failed since the monitor started (for metrics).
    pub failures_total: u64,
}

/// A consistent view of the program's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthState {
    /// Every readiness condition holds (and the program is live).
    pub ready: bool,
    /// No liveness check is failing and the watchdog was not missed.
    pub live: bool,
    /// One entry per check, in configuration order.
    pub results: Vec<CheckResult>,
    /// The last `STATUS=` text from the program.
    pub status: Option<String>,
}

/// What the supervisor hears from the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthEvent {
    /// The program became ready.
    Ready,
    /// The program was ready and no longer is.
    NotReady,
    /// A liveness check crossed its failure threshold: restart the program.
    LivenessFailed {
        /// The reason, naming the check.
        reason: String,
    },
    /// The program pinged the watchdog and then stopped within the period: restart it.
    WatchdogMissed,
    /// The program sent `STATUS=`.
    Status(String),
    /// The program sent `STOPPING=1`.
    Stopping,
}
