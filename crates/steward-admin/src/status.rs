//! The seams to the supervisor: what it reports ([`StatusSource`]) and what it obeys
//! ([`ControlSink`]), plus the JSON view of `/status`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use steward_health::{CheckRole, HealthState};

use crate::registry::{RegistryJson, RegistryReport};

/// The supervisor's state, as reported on `/status` and the `steward_state` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServiceState {
    /// Spawned, waiting for readiness.
    Starting,
    /// Running (and ready, when readiness is gated).
    Running,
    /// Waiting out a restart delay.
    Backoff,
    /// Stopping the program.
    Stopping,
    /// Not running, by request.
    Stopped,
    /// Gave up (start limit reached).
    Failed,
    /// A cold-standby instance that does not lead: alive, running no program.
    Standby,
}

impl ServiceState {
    /// Every state, in metric order.
    pub const ALL: [ServiceState; 7] = [
        Self::Starting,
        Self::Running,
        Self::Backoff,
        Self::Stopping,
        Self::Stopped,
        Self::Failed,
        Self::Standby,
    ];

    /// The lowercase name used in JSON and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Backoff => "backoff",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
            Self::Standby => "standby",
        }
    }
}

/// How the program last ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LastExit {
    /// Exit code, if it exited.
    pub code: Option<i32>,
    /// Signal number, if a signal ended it (Unix).
    pub signal: Option<i32>,
}

/// Counters of the output capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LogCounters {
    /// Bytes written to log files.
    pub bytes_written: u64,
    /// Bytes dropped (disk full, write errors).
    pub bytes_dropped: u64,
}

/// Everything `/status` and `/metrics` show. It has no field for environment, arguments,
/// tokens or registry credentials, so none of them can leak through the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The service name.
    pub name: String,
    /// The supervisor's state.
    pub state: ServiceState,
    /// PID of the running program.
    pub pid: Option<u32>,
    /// Time since the program was (re)started.
    pub uptime: Option<Duration>,
    /// Restarts since the supervisor started.
    pub restarts: u64,
    /// How the program last ended.
    pub last_exit: Option<LastExit>,
    /// Health snapshot, when checks are configured.
    pub health: Option<Arc<HealthState>>,
    /// Output capture counters.
    pub log: LogCounters,
    /// The service registry registration, with a `[registry]` table; `None` without one.
    pub registry: Option<RegistryReport>,
}

impl ServiceStatus {
    /// Live: the program runs (or starts) and no liveness check or watchdog failed; or the
    /// instance is a healthy cold standby (it must not be restarted for running nothing).
    pub fn live(&self) -> bool {
        match self.state {
            ServiceState::Standby => true,
            ServiceState::Starting | ServiceState::Running => {
                self.health.as_ref().is_none_or(|h| h.live)
            }
            _ => false,
        }
    }
    /// Ready: the program runs and every readiness condition holds.
    pub fn ready(&self) -> bool {
        self.state == ServiceState::Running
            && self.health.as_ref().is_none_or(|h| h.ready && h.live)
    }
}

/// Implemented by the supervisor: a consistent status, cheap to take (called on every request).
pub trait StatusSource: Send + Sync + 'static {
    /// The current status.
    fn status(&self) -> ServiceStatus;
}

/// A control action requested over `POST /start`, `/stop`, `/restart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    /// Start the program if stopped.
    Start,
    /// Stop the program (the service keeps running).
    Stop,
    /// Stop and start again, through the restart policy.
    Restart,
}

/// Why the supervisor refused or failed an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// Not possible in the current state (answered with 409).
    #[error("{0}")]
    Conflict(String),
    /// Tried and failed (answered with 500).
    #[error("{0}")]
    Failed(String),
}

/// Implemented by the supervisor: carries out control actions. Called on a blocking thread;
/// it should queue the action and return, not wait for the program.
pub trait ControlSink: Send + Sync + 'static {
    /// Accepts (or refuses) `action`.
    fn control(&self, action: ControlAction) -> Result<(), ControlError>;
}

#[derive(Serialize)]
pub(crate) struct StatusJson<'a> {
    name: &'a str,
    state: ServiceState,
    live: bool,
    ready: bool,
    pid: Option<u32>,
    uptime_seconds: Option<f64>,
    restarts: u64,
    last_exit: Option<LastExit>,
    health: Option<HealthJson<'a>>,
    log: LogCounters,
    registry: Option<RegistryJson<'a>>,
}

#[derive(Serialize)]
struct HealthJson<'a> {
    ready: bool,
    live: bool,
    status: Option<&'a str>,
    checks: Vec<CheckJson<'a>>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    name: &'a str,
    role: &'static str,
    ok: bool,
    duration_seconds: f64,
    message: &'a str,
    consecutive_failures: u32,
    failures_total: u64,
}

pub(crate) fn role_name(role: CheckRole) -> &'static str {
    match role {
        CheckRole::Readiness => "readiness",
        CheckRole::Liveness => "liveness",
        CheckRole::Both => "both",
    }
}

impl<'a> StatusJson<'a> {
    pub(crate) fn new(s: &'a ServiceStatus) -> Self {
        let health = s.health.as_deref().map(|h| HealthJson {
            ready: h.ready,
            live: h.live,
            status: h.status.as_deref(),
            checks: h
                .results
                .iter()
                .map(|r| CheckJson {
                    name: &r.name,
                    role: role_name(r.role),
                    ok: r.ok,
                    duration_seconds: r.duration.as_secs_f64(),
                    message: &r.message,
                    consecutive_failures: r.consecutive_failures,
                    failures_total: r.failures_total,
                })
                .collect(),
        });
        Self {
            name: &s.name,
            state: s.state,
            live: s.live(),
            ready: s.ready(),
            pid: s.pid,
            uptime_seconds: s.uptime.map(|d| d.as_secs_f64()),
            restarts: s.restarts,
            last_exit: s.last_exit,
            health,
            log: s.log,
            registry: s.registry.as_ref().map(RegistryJson::new),
        }
    }
}
