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
//!   names the check); before that, only `start_timeout` applies;
//! - once a run has been ready, it *serves* while the snapshot says ready (and live): a dip is
//!   reported (naming the failing check) and so is the recovery, for the announce hook; a dip
//!   alone never kills the run.
//!
//! The decisions are a pure step ([`RunGate::step`]) over the monitor's events and snapshot.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steward_health::{
    CheckResult, CheckRole, HealthEvent, HealthHandle, HealthMonitor, HealthState, MonitorConfig,
};

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
    /// The current run just became ready (for the first time): it serves.
    Ready,
    /// The current run was serving and its readiness dipped, for this reason (it is not killed
    /// for that).
    NotServing(String),
    /// The current run's readiness came back after a dip: it serves again.
    Serving,
    /// Kill the current run's tree for this reason (the restart policy decides what follows).
    Kill(String),
}

/// The monitor plus the state of the current run.
pub(crate) struct Gate {
    monitor: HealthMonitor,
    events: Arc<Mutex<VecDeque<HealthEvent>>>,
    run: RunGate,
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
            run: RunGate::new(setup.start_timeout),
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
        self.run.spawned(now);
    }

    /// Whether the current run has passed its readiness gate.
    pub(crate) fn run_ready(&self) -> bool {
        self.run.run_ready
    }

    /// When the loop must look again even without an event (the start deadline).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.run.next_deadline()
    }

    /// Drains the monitor's events. `running`: the program runs and no stop is in progress.
    pub(crate) fn poll(&mut self, running: bool, now: Instant) -> Verdict {
        let events: Vec<HealthEvent> = lock(&self.events).drain(..).collect();
        // Read after the drain: an event queued since is looked at next time, with a snapshot
        // at least as new as the one that made it.
        let health = self.monitor.handle().snapshot();
        self.run.step(running, &events, &health, now)
    }
}

/// What the gate knows about the current run; [`step`](RunGate::step) is pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunGate {
    start_timeout: Duration,
    /// The current run must be ready by then; `None` when no run is being gated.
    deadline: Option<Instant>,
    /// The current run has been ready.
    run_ready: bool,
    /// The current run has been ready and its readiness has not dipped since.
    serving: bool,
    /// The current run was killed for its health: ignore it until the next spawn.
    killed: bool,
}

impl RunGate {
    /// No run gated yet.
    pub(crate) fn new(start_timeout: Duration) -> Self {
        RunGate {
            start_timeout,
            deadline: None,
            run_ready: false,
            serving: false,
            killed: false,
        }
    }

    /// A new run was spawned at `now`.
    pub(crate) fn spawned(&mut self, now: Instant) {
        self.deadline = Some(now + self.start_timeout);
        self.run_ready = false;
        self.serving = false;
        self.killed = false;
    }

    /// When the loop must look again even without an event (the start deadline).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        if self.run_ready || self.killed {
            None
        } else {
            self.deadline
        }
    }

    /// One look at the current run: `events` arrived since the last look, `health` is the
    /// monitor's snapshot now. `running`: the program runs and no stop is in progress.
    pub(crate) fn step(
        &mut self,
        running: bool,
        events: &[HealthEvent],
        health: &HealthState,
        now: Instant,
    ) -> Verdict {
        if !running || self.killed || self.deadline.is_none() {
            return Verdict::Nothing;
        }
        if self.run_ready {
            let reason = events.iter().find_map(|e| match e {
                HealthEvent::LivenessFailed { reason } => Some(reason.clone()),
                HealthEvent::WatchdogMissed => Some("watchdog missed".to_owned()),
                _ => None,
            });
            if let Some(reason) = reason {
                return self.kill(reason);
            }
            let up = health.ready && health.live;
            if self.serving && !up {
                self.serving = false;
                return Verdict::NotServing(not_serving_reason(health));
            }
            if !self.serving && up {
                self.serving = true;
                return Verdict::Serving;
            }
            return Verdict::Nothing;
        }
        if health.ready {
            self.run_ready = true;
            self.serving = true;
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
        self.serving = false;
        Verdict::Kill(reason)
    }
}

/// Why a run that served no longer does: the first failing liveness check when the program is
/// not live, else the first failing readiness check (`not ready: health check "web" failed:
/// status 503, expected 200-399`).
fn not_serving_reason(health: &HealthState) -> String {
    let failing = |wanted: fn(CheckRole) -> bool| {
        health
            .results
            .iter()
            .find(|r| wanted(r.role) && !r.ok)
            .map(|r: &CheckResult| format!("health check {:?} failed: {}", r.name, r.message))
    };
    let check = if health.live {
        None
    } else {
        failing(CheckRole::liveness)
    };
    match check.or_else(|| failing(CheckRole::readiness)) {
        Some(check) if health.live => format!("not ready: {check}"),
        Some(check) => format!("not live: {check}"),
        None if health.live => "not ready".to_owned(),
        None => "not live".to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn check(name: &str, role: CheckRole, ok: bool, message: &str) -> CheckResult {
        CheckResult {
            name: name.into(),
            role,
            ok,
            duration: Duration::ZERO,
            message: message.into(),
            consecutive_failures: u32::from(!ok),
            failures_total: u64::from(!ok),
        }
    }

    fn health(ready: bool, live: bool, results: Vec<CheckResult>) -> HealthState {
        HealthState {
            ready,
            live,
            results,
            status: None,
        }
    }

    fn up() -> HealthState {
        health(
            true,
            true,
            vec![check("web", CheckRole::Both, true, "status 200")],
        )
    }

    fn web_down() -> HealthState {
        let web = check(
            "web",
            CheckRole::Readiness,
            false,
            "connect failed: refused",
        );
        health(false, true, vec![web])
    }

    /// A gate whose run was spawned at `t0` and became ready.
    fn ready_gate(t0: Instant) -> RunGate {
        let mut gate = RunGate::new(Duration::from_secs(90));
        gate.spawned(t0);
        assert_eq!(gate.step(true, &[], &up(), t0), Verdict::Ready);
        gate
    }

    #[test]
    fn not_ready_until_the_snapshot_says_so_then_killed_at_the_start_timeout() {
        let t0 = Instant::now();
        let mut gate = RunGate::new(100 * MS);
        let down = health(false, true, vec![]);
        // No run gated yet.
        assert_eq!(gate.step(true, &[], &up(), t0), Verdict::Nothing);
        gate.spawned(t0);
        assert_eq!(gate.next_deadline(), Some(t0 + 100 * MS));
        assert_eq!(gate.step(true, &[], &down, t0 + 99 * MS), Verdict::Nothing);
        // A liveness failure before the first ready does not kill.
        let failed = [HealthEvent::LivenessFailed { reason: "x".into() }];
        assert_eq!(gate.step(true, &failed, &down, t0), Verdict::Nothing);
        assert_eq!(
            gate.step(true, &[], &down, t0 + 100 * MS),
            Verdict::Kill("not ready within 100ms".into())
        );
        assert_eq!(gate.next_deadline(), None);
        assert_eq!(gate.step(true, &[], &up(), t0 + 200 * MS), Verdict::Nothing);
    }

    #[test]
    fn a_readiness_dip_is_reported_with_the_check_and_its_recovery_without_a_kill() {
        let t0 = Instant::now();
        let mut gate = ready_gate(t0);
        assert_eq!(gate.next_deadline(), None);
        assert_eq!(gate.step(true, &[], &up(), t0), Verdict::Nothing);
        assert_eq!(
            gate.step(true, &[HealthEvent::NotReady], &web_down(), t0),
            Verdict::NotServing(
                "not ready: health check \"web\" failed: connect failed: refused".into()
            )
        );
        // Still down: nothing more; long past the start timeout: no kill.
        let later = t0 + Duration::from_secs(600);
        assert_eq!(gate.step(true, &[], &web_down(), later), Verdict::Nothing);
        assert_eq!(
            gate.step(true, &[HealthEvent::Ready], &up(), later),
            Verdict::Serving
        );
        assert_eq!(gate.step(true, &[], &up(), later), Verdict::Nothing);
        assert!(gate.run_ready);
    }

    #[test]
    fn a_liveness_failure_kills_once_and_is_not_also_a_dip() {
        let t0 = Instant::now();
        let mut gate = ready_gate(t0);
        let web = check("web", CheckRole::Both, false, "no answer within 2s");
        let dead = health(false, false, vec![web]);
        let events = [
            HealthEvent::LivenessFailed {
                reason: "health check \"web\" failed: no answer within 2s".into(),
            },
            HealthEvent::NotReady,
        ];
        assert_eq!(
            gate.step(true, &events, &dead, t0),
            Verdict::Kill("health check \"web\" failed: no answer within 2s".into())
        );
        assert_eq!(gate.step(true, &[], &dead, t0), Verdict::Nothing);
        assert_eq!(gate.step(true, &[], &up(), t0), Verdict::Nothing);
        // The next run starts over.
        gate.spawned(t0);
        assert_eq!(gate.step(true, &[], &up(), t0), Verdict::Ready);
    }

    #[test]
    fn a_watchdog_miss_after_a_dip_still_kills() {
        let t0 = Instant::now();
        let mut gate = ready_gate(t0);
        assert!(matches!(
            gate.step(true, &[], &web_down(), t0),
            Verdict::NotServing(_)
        ));
        assert_eq!(
            gate.step(true, &[HealthEvent::WatchdogMissed], &web_down(), t0),
            Verdict::Kill("watchdog missed".into())
        );
    }

    #[test]
    fn nothing_while_not_running() {
        let t0 = Instant::now();
        let mut gate = ready_gate(t0);
        assert_eq!(gate.step(false, &[], &web_down(), t0), Verdict::Nothing);
        let missed = [HealthEvent::WatchdogMissed];
        assert_eq!(gate.step(false, &missed, &web_down(), t0), Verdict::Nothing);
    }

    #[test]
    fn reasons_name_the_failing_check() {
        let ready_check = check("port", CheckRole::Readiness, false, "refused");
        let live_check = check("self-test", CheckRole::Liveness, false, "exit code 3");
        let both = vec![ready_check.clone(), live_check];
        assert_eq!(
            not_serving_reason(&health(false, false, both.clone())),
            "not live: health check \"self-test\" failed: exit code 3"
        );
        assert_eq!(
            not_serving_reason(&health(false, true, both)),
            "not ready: health check \"port\" failed: refused"
        );
        // Not ready for a reason no check shows (READY=1 not sent), or the watchdog.
        assert_eq!(
            not_serving_reason(&health(false, true, vec![])),
            "not ready"
        );
        assert_eq!(
            not_serving_reason(&health(false, false, vec![])),
            "not live"
        );
    }
}
