//! A window on a running supervisor for other threads (the admin endpoint): a consistent
//! snapshot of its state, and requests (restart, stop, fence) that the loop carries out.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use steward_health::{HealthHandle, HealthState};

use crate::machine::{ExitStatus, StateName};
use crate::state_file::CaptureRecord;
use crate::sys::Waker;

/// What the supervisor is doing, as last recorded by its loop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The state; `None` when no supervisor runs (before the first run, or after it ended).
    pub state: Option<StateName>,
    /// The running program's PID.
    pub pid: Option<u32>,
    /// Restarts since [`Supervisor::run`](crate::Supervisor::run) began.
    pub restarts: u64,
    /// How the program last ended.
    pub last_exit: Option<ExitStatus>,
    /// When the running program was spawned.
    pub since: Option<Instant>,
    /// The current run passed its readiness gate (always true without health checks once it
    /// runs).
    pub ready: bool,
    /// The health monitor's snapshot, when health checks are configured.
    pub health: Option<Arc<HealthState>>,
    /// The output capture's counters, when captured.
    pub capture: Option<CaptureRecord>,
    /// Why the program was last restarted by the supervisor itself (health, request).
    pub last_restart_reason: Option<String>,
}

/// A request to the running supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Kill the program's tree; the restart policy starts it again.
    Restart,
    /// Stop the program gracefully; [`Supervisor::run`](crate::Supervisor::run) then returns
    /// [`Outcome::Stopped`](crate::Outcome::Stopped).
    Stop,
    /// Stop the program like `Stop`, but kill its tree no later than `within` after the request
    /// (sooner if the program's stop_timeout is shorter). Used when a cold-standby leader lost
    /// its lease and must be stopped before a standby can take over.
    ///
    /// The deadline counts from when the loop takes the request, before it calls
    /// [`Announce::stopping`](crate::Announce::stopping). During a stop already in progress it
    /// brings the kill forward (never later); when no program runs (the delay before a
    /// restart, the pre-start hook), `run` returns `Stopped` at once without spawning again.
    Fence {
        /// The longest the program may take to stop before its tree is killed.
        within: Duration,
    },
}

/// Shared between the supervisor loop and its observers. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Observer(Arc<Inner>);

#[derive(Default)]
struct Inner {
    snapshot: Mutex<Snapshot>,
    health: Mutex<Option<HealthHandle>>,
    control: Mutex<Control>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Control {
    waker: Option<Waker>,
    requests: VecDeque<Request>,
}

impl Observer {
    /// A new observer, to give to [`Supervisor::observer`](crate::Supervisor::observer).
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest snapshot, with a fresh health state.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = lock(&self.0.snapshot).clone();
        snapshot.health = lock(&self.0.health).as_ref().map(HealthHandle::snapshot);
        snapshot
    }

    /// Queues `request` for the running supervisor; `false` when none runs.
    pub fn request(&self, request: Request) -> bool {
        let mut control = lock(&self.0.control);
        let Some(waker) = &control.waker else {
            return false;
        };
        let waker = waker.clone();
        control.requests.push_back(request);
        drop(control);
        waker.wake();
        true
    }

    pub(crate) fn attach(&self, waker: Waker, health: Option<HealthHandle>) {
        *lock(&self.0.health) = health;
        let mut control = lock(&self.0.control);
        control.waker = Some(waker);
        control.requests.clear();
    }

    pub(crate) fn detach(&self) {
        lock(&self.0.control).waker = None;
        lock(&self.0.snapshot).state = None;
        *lock(&self.0.health) = None;
    }

    pub(crate) fn take_requests(&self) -> Vec<Request> {
        lock(&self.0.control).requests.drain(..).collect()
    }

    pub(crate) fn record(&self, snapshot: Snapshot) {
        *lock(&self.0.snapshot) = snapshot;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
