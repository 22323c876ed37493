//! The health gate of the supervisor loop: a [`HealthMonitor`] whose events wake the loop, the
//! readiness gate of each run, and the verdicts that restart a program that hangs.
//!
//! Rules (each run of the program, i.e. after each spawn, the monitor is reset):
//! - the run is *ready* once the monitor's snapshot says so; the first ready run makes the
//!   supervisor call `ctx.ready()` (until then the runtime reports START_PENDING / holds
//!   `READY=1`);
//! - a run not ready within `start_timeout` is killed (reason `not ready within ...`) and the
//!   restart policy decides;
//! - once a run has been ready, a liveness failure or a missed watchdog kills it (the reason
//!   names the check); before that, only `start_timeout` applies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steward_health::{HealthEvent, HealthHandle, HealthMonitor, MonitorConfig};

use crate::error::SuperviseError;
use crate::sys::Waker;

/// Health checking for a supervised program: the monitor's config and the readiness deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSetup {
    /// The checks and the notify socket.
    pub monitor: MonitorConfig,
    /// How long each run may take to become ready before it is killed.
    pub start_timeout: Duration,
}

/// What the loop must do after looking at the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing new.
    Nothing,
    /// The current run just became ready.
    Ready,
    /// Kill the current run's tree for this reason (the restart policy decides what follows).
    Kill(String),
}

/// The monitor plus the state of the current run.
pub(crate) struct Gate {
    monitor: HealthMonitor,
    events: Arc<Mutex<VecDeque<HealthEvent>>>,
    start_timeout: Duration,
    /// The current run must be ready by then; `None` when no run is being gated.
    deadline: Option<Instant>,
    /// The current run has been ready.
    run_ready: bool,
    /// The current run was killed for its health: ignore it until the next spawn.
    killed: bool,
}

impl Gate {
    /// Starts the monitor; each of its events wakes the loop through `waker`.
    pub(crate) fn start(setup: &HealthSetup, waker: Waker) -> Result<Self, SuperviseError> {
        let events = Arc::new(Mutex::new(VecDeque::new()));
        let queue = Arc::clone(&events);
        let monitor = HealthMonitor::start(setup.monitor.clone(), move |event| {
            lock(&queue).push_back(event);
            waker.wake();
        })
        .map_err(|e| {
            SuperviseError::os("cannot start the health checks", std::io::Error::other(e))
        })?;
        Ok(Gate {
            monitor,
            events,
            start_timeout: setup.start_timeout,
            deadline: None,
            run_ready: false,
            killed: false,
        })
    }

    /// Variables the program gets (`NOTIFY_SOCKET`, `WATCHDOG_USEC`).
    pub(crate) fn child_env(&self) -> &[(String, String)] {
        self.monitor.child_env()
    }

    /// A handle for snapshots.
    pub(crate) fn handle(&self) -> HealthHandle {
        self.monitor.handle()
    }

    /// A new run was spawned: forget everything about the previous one.
    pub(crate) fn spawned(&mut self, now: Instant) {
        self.monitor.reset();
        lock(&self.events).clear();
        self.deadline = Some(now + self.start_timeout);
        self.run_ready = false;
        self.killed = false;
    }

    /// Whether the current run has passed its readiness gate.
    pub(crate) fn run_ready(&self) -> bool {
        self.run_ready
    }

    /// When the loop must look again even without an event (the start deadline).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        if self.run_ready || self.killed {
            None
        } else {
            self.deadline
        }
    }

    /// Drains the monitor's events. `running`: the program runs and no stop is in progress.
    pub(crate) fn poll(&mut self, running: bool, now: Instant) -> Verdict {
        let events: Vec<HealthEvent> = lock(&self.events).drain(..).collect();
        if !running || self.killed || self.deadline.is_none() {
            return Verdict::Nothing;
        }
        if self.run_ready {
            let reason = events.into_iter().find_map(|e| match e {
                HealthEvent::LivenessFailed { reason } => Some(reason),
                HealthEvent::WatchdogMissed => Some("watchdog missed".to_owned()),
                _ => None,
            });
            return match reason {
                Some(reason) => self.kill(reason),
                None => Verdict::Nothing,
            };
        }
        if self.monitor.handle().snapshot().ready {
            self.run_ready = true;
            return Verdict::Ready;
        }
        if self.deadline.is_some_and(|d| now >= d) {
            let reason = format!("not ready within {}", humanize(self.start_timeout));
            return self.kill(reason);
        }
        Verdict::Nothing
    }

    fn kill(&mut self, reason: String) -> Verdict {
        self.killed = true;
        Verdict::Kill(reason)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `90s`, `1500ms`.
fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
