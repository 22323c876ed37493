//! The monitor: one thread per check plus one for the notify socket, a shared state behind a
//! mutex, a cheap snapshot for readers, events for the supervisor, and the readiness gate.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::notify::{self, NotifyMessage, Watchdog};
use crate::tracker::{Tracker, Verdict};
use crate::{
    CheckResult, CheckSpec, HealthError, HealthEvent, HealthState, MonitorConfig, WaitReadyError,
    probe, sys,
};

type Sink = Box<dyn Fn(HealthEvent) + Send + Sync>;

struct Slot {
    spec: CheckSpec,
    tracker: Tracker,
    result: CheckResult,
}

struct Inner {
    slots: Vec<Slot>,
    notify_required: bool,
    notify_ready: bool,
    watchdog: Watchdog,
    status: Option<String>,
    ready: bool,
    live: bool,
    failure: Option<String>,
    generation: u64,
    stopped: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
    snapshot: RwLock<Arc<HealthState>>,
    sink: Sink,
}

/// A cloneable handle for readers: snapshot and readiness gate.
#[derive(Clone)]
pub struct HealthHandle(Arc<Shared>);

/// Runs the checks on its own threads; stops them when dropped.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use steward_health::{CheckSpec, HealthMonitor, MonitorConfig};
/// let config = MonitorConfig { checks: vec![CheckSpec::tcp("port", "127.0.0.1:8080")], notify: None };
/// let monitor = HealthMonitor::start(config, |event| eprintln!("{event:?}"))?;
/// monitor.handle().wait_ready(Duration::from_secs(30))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HealthMonitor {
    handle: HealthHandle,
    threads: Vec<JoinHandle<()>>,
    child_env: Vec<(String, String)>,
}

impl HealthMonitor {
    /// Validates `config`, binds the notify socket if any, and starts probing at once.
    /// `sink` receives every event, on a monitor thread; it must not block for long.
    pub fn start(
        config: MonitorConfig,
        sink: impl Fn(HealthEvent) + Send + Sync + 'static,
    ) -> Result<Self, HealthError> {
        let mut names = std::collections::HashSet::new();
        for spec in &config.checks {
            spec.validate()?;
            if !names.insert(spec.name.as_str()) {
                return Err(HealthError::DuplicateName(spec.name.clone()));
            }
        }
        let endpoint = match &config.notify {
            Some(n) => Some(sys::NotifyEndpoint::bind(&n.path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::Unsupported {
                    HealthError::Unsupported
                } else {
                    HealthError::NotifySocket {
                        path: n.path.clone(),
                        source,
                    }
                }
            })?),
            None => None,
        };
        let now = Instant::now();
        let slots = config
            .checks
            .iter()
            .map(|spec| Slot::new(spec.clone(), now))
            .collect();
        let inner = Inner {
            slots,
            notify_required: config.notify.as_ref().is_some_and(|n| n.require_ready),
            notify_ready: false,
            watchdog: Watchdog::new(config.notify.as_ref().and_then(|n| n.watchdog)),
            status: None,
            ready: false,
            live: true,
            failure: None,
            generation: 0,
            stopped: false,
        };
        let shared = Arc::new(Shared {
            inner: Mutex::new(inner),
            changed: Condvar::new(),
            snapshot: RwLock::new(Arc::new(HealthState {
                ready: false,
                live: true,
                results: vec![],
                status: None,
            })),
            sink: Box::new(sink),
        });
        let mut child_env = Vec::new();
        if let (Some(n), Some(ep)) = (&config.notify, &endpoint) {
            child_env.push((notify::NOTIFY_SOCKET_ENV.to_owned(), ep.address()));
            if let Some(w) = n.watchdog {
                child_env.push((
                    notify::WATCHDOG_USEC_ENV.to_owned(),
                    w.as_micros().to_string(),
                ));
            }
        }
        let mut monitor = Self {
            handle: HealthHandle(shared.clone()),
            threads: Vec::new(),
            child_env,
        };
        shared.update(|_, _| {});
        for index in 0..config.checks.len() {
            let s = shared.clone();
            monitor.spawn(format!("health-check-{index}"), move || s.run_check(index))?;
        }
        if let Some(ep) = endpoint {
            let s = shared.clone();
            monitor.spawn("health-notify".into(), move || s.run_notify(ep))?;
        }
        Ok(monitor)
    }

    fn spawn(
        &mut self,
        name: String,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), HealthError> {
        let t = std::thread::Builder::new()
            .name(name)
            .spawn(f)
            .map_err(HealthError::Thread)?;
        self.threads.push(t);
        Ok(())
    }

    /// A handle for other threads (the admin endpoint, the supervisor's start wait).
    pub fn handle(&self) -> HealthHandle {
        self.handle.clone()
    }

    /// Variables to add to the program's environment: `NOTIFY_SOCKET` and `WATCHDOG_USEC`
    /// when a notify socket is configured, nothing otherwise.
    pub fn child_env(&self) -> &[(String, String)] {
        &self.child_env
    }

    /// Forgets all results, as for a new instance of the program: start periods begin again,
    /// readiness is false, the watchdog is disarmed. Call it right after each (re)spawn.
    pub fn reset(&self) {
        self.handle.0.update(|inner, _| {
            let now = Instant::now();
            inner.generation += 1;
            for slot in &mut inner.slots {
                slot.tracker.reset(now);
                slot.result = Slot::fresh_result(&slot.spec);
            }
            inner.notify_ready = false;
            inner.watchdog.reset();
            inner.status = None;
            inner.failure = None;
        });
    }
}

impl Drop for HealthMonitor {
    fn drop(&mut self) {
        self.handle.0.lock().stopped = true;
        self.handle.0.changed.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl HealthHandle {
    /// The current state: one `Arc` clone, no probe is waited for.
    pub fn snapshot(&self) -> Arc<HealthState> {
        self.0
            .snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Blocks until the program is ready, fails, the monitor stops, or `timeout` passes.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), WaitReadyError> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.0.lock();
        loop {
            if inner.stopped {
                return Err(WaitReadyError::Stopped);
            }
            if inner.ready {
                return Ok(());
            }
            if let Some(reason) = &inner.failure {
                return Err(WaitReadyError::Failed(reason.clone()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitReadyError::Timeout);
            }
            inner = self
                .0
                .changed
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Slot {
    fn new(spec: CheckSpec, now: Instant) -> Self {
        let tracker = Tracker::new(
            spec.failure_threshold,
            spec.success_threshold,
            spec.start_period,
            now,
        );
        let result = Self::fresh_result(&spec);
        Self {
            spec,
            tracker,
            result,
        }
    }
    fn fresh_result(spec: &CheckSpec) -> CheckResult {
        CheckResult {
            name: spec.name.clone(),
            role: spec.role,
            ok: false,
            duration: Duration::ZERO,
            message: "not checked yet".into(),
            consecutive_failures: 0,
            failures_total: 0,
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f`, recomputes ready/live, publishes the snapshot, then emits events outside
    /// the lock (a sink may call `snapshot`).
    fn update(&self, f: impl FnOnce(&mut Inner, &mut Vec<HealthEvent>)) {
        let mut events = Vec::new();
        {
            let mut inner = self.lock();
            f(&mut inner, &mut events);
            inner.recompute(&mut events);
            let state = HealthState {
                ready: inner.ready,
                live: inner.live,
                results: inner.slots.iter().map(|s| s.result.clone()).collect(),
                status: inner.status.clone(),
            };
            *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
        }
        self.changed.notify_all();
        for e in events {
            (self.sink)(e);
        }
    }

    /// Sleeps until `deadline` or stop; returns false when stopped.
    fn sleep_until(&self, deadline: Instant) -> bool {
        let mut inner = self.lock();
        loop {
            if inner.stopped {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            inner = self
                .changed
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn run_check(&self, index: usize) {
        let (kind, timeout, interval) = {
            let inner = self.lock();
            let spec = &inner.slots[index].spec;
            (spec.kind.clone(), spec.timeout, spec.interval)
        };
        loop {
            let generation = self.lock().generation;
            let started = Instant::now();
            let outcome = probe::run(&kind, timeout);
            let duration = started.elapsed();
            self.update(|inner, events| {
                if inner.generation != generation {
                    return; // the program was restarted while probing: the result is stale
                }
                let now = Instant::now();
                let slot = &mut inner.slots[index];
                let change = slot.tracker.record(outcome.ok, now);
                let r = &mut slot.result;
                r.ok = outcome.ok;
                r.duration = duration;
                r.message = outcome.message.clone();
                r.consecutive_failures = slot.tracker.consecutive_failures;
                r.failures_total += u64::from(!outcome.ok);
                if change == Some(Verdict::Failing) && slot.spec.role.liveness() {
                    let reason = format!(
                        "health check {:?} failed: {}",
                        slot.spec.name, outcome.message
                    );
                    inner.failure.get_or_insert(reason.clone());
                    events.push(HealthEvent::LivenessFailed { reason });
                }
            });
            if !self.sleep_until(started + interval) {
                return;
            }
        }
    }

    fn run_notify(&self, mut endpoint: sys::NotifyEndpoint) {
        let mut buf = vec![0u8; 4096];
        loop {
            let tick = self
                .lock()
                .watchdog
                .period
                .map_or(Duration::from_millis(100), |p| {
                    (p / 4).min(Duration::from_millis(100))
                });
            let received = endpoint.recv_timeout(&mut buf, tick);
            self.update(|inner, out| {
                let now = Instant::now();
                if let Ok(Some(n)) = received {
                    for m in notify::parse(&buf[..n]) {
                        inner.apply(m, now, out);
                    }
                }
                if inner.watchdog.poll(now) {
                    inner
                        .failure
                        .get_or_insert_with(|| "watchdog missed".into());
                    out.push(HealthEvent::WatchdogMissed);
                }
            });
            if self.lock().stopped {
                return;
            }
            if received.is_err() {
                // A broken socket: don't spin.
                if !self.sleep_until(Instant::now() + tick) {
                    return;
                }
            }
        }
    }
}

impl Inner {
    fn apply(&mut self, m: NotifyMessage, now: Instant, out: &mut Vec<HealthEvent>) {
        match m {
            NotifyMessage::Ready => self.notify_ready = true,
            NotifyMessage::Watchdog => self.watchdog.ping(now),
            NotifyMessage::WatchdogTrigger => {
                if self.watchdog.trigger() {
                    self.failure
                        .get_or_insert_with(|| "watchdog triggered by the program".into());
                    out.push(HealthEvent::WatchdogMissed);
                }
            }
            NotifyMessage::WatchdogUsec(us) => {
                self.watchdog.period = (us > 0).then(|| Duration::from_micros(us))
            }
            NotifyMessage::Status(s) => {
                self.status = Some(s.clone());
                out.push(HealthEvent::Status(s));
            }
            NotifyMessage::Stopping => out.push(HealthEvent::Stopping),
        }
    }

    fn recompute(&mut self, events: &mut Vec<HealthEvent>) {
        let live = !self.watchdog.missed
            && !self
                .slots
                .iter()
                .any(|s| s.spec.role.liveness() && s.tracker.verdict == Verdict::Failing);
        let ready = live
            && (!self.notify_required || self.notify_ready)
            && self
                .slots
                .iter()
                .all(|s| !s.spec.role.readiness() || s.tracker.verdict == Verdict::Passing);
        if ready != self.ready {
            events.push(if ready {
                HealthEvent::Ready
            } else {
                HealthEvent::NotReady
            });
        }
        self.live = live;
        self.ready = ready;
    }
}
