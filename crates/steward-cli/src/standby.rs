//! Cold standby inside `steward run` (`[registry] standby = true`): the instances of a service
//! elect a leader through etcd and only the leader runs the program.
//!
//! Safety rests on the election's promise (docs/registry.md): a leader hears of its loss at
//! least `ttl / 2` before etcd can let anyone else win. The [`LossGuard`] then fences the
//! program, killing its tree no later than [`fence_budget`] after the loss, which leaves a
//! margin inside that half TTL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use steward_registry::{Election, RegistryConfig, Role};
use steward_supervise::Observer;
use steward_supervise::observe::Request;

use crate::registry_announce::RegistryAnnouncer;

/// How often the loss guard and the wait for leadership look at the election (and the wait at
/// the service's stop request). The election publishes its role through a tokio watch channel,
/// and `steward run` has no async runtime to await it on: polling every 10 ms costs nothing and
/// is small against the `ttl / 2` budget and a handover.
const ROLE_POLL: Duration = Duration::from_millis(10);
/// How long resigning may take: one etcd request.
const RESIGN_TIMEOUT: Duration = Duration::from_secs(3);

/// This instance's candidacy in the election of its service.
pub struct Standby {
    config: RegistryConfig,
    service: String,
    candidate: String,
    /// Shared with the admin endpoint's report; `None` after stepping down.
    election: Arc<Mutex<Option<Election>>>,
}

impl Standby {
    /// A candidate named `candidate` for `service`; nothing happens until
    /// [`wait_for_leadership`](Standby::wait_for_leadership).
    pub fn new(config: &RegistryConfig, service: &str, candidate: &str) -> Self {
        Standby {
            config: config.clone(),
            service: service.to_owned(),
            candidate: candidate.to_owned(),
            election: Arc::new(Mutex::new(None)),
        }
    }

    /// Campaigns and blocks until this instance leads (`Ok(true)`) or the service is asked to
    /// stop (`Ok(false)`). Call it only while the program is stopped. etcd trouble only
    /// delays: the election retries in the background.
    pub fn wait_for_leadership(&self, ctx: &steward::Context) -> Result<bool, String> {
        {
            let mut slot = lock(&self.election);
            if slot.is_none() {
                let election = Election::start(self.config.clone(), &self.service, &self.candidate)
                    .map_err(|e| format!("cannot join the standby election: {e}"))?;
                *slot = Some(election);
            }
            slot.as_ref().expect("just set").campaign();
        }
        tracing::info!(candidate = %self.candidate, "standby: waiting for the leadership");
        loop {
            if ctx.shutdown_requested() {
                return Ok(false);
            }
            let Some(role) = self.role() else {
                return Ok(false);
            };
            if matches!(role, Role::Leader { .. }) {
                tracing::info!(candidate = %self.candidate, "standby: elected leader, starting the program");
                return Ok(true);
            }
            std::thread::sleep(ROLE_POLL);
        }
    }

    /// Whether the last leadership was lost (rather than given up).
    pub fn lost(&self) -> bool {
        matches!(self.role(), Some(Role::Lost(_)))
    }

    /// The current role; `None` when not a candidate (after stepping down).
    pub fn role(&self) -> Option<Role> {
        lock(&self.election).as_ref().map(Election::role)
    }

    /// A reader of the role for the admin endpoint.
    pub fn role_source(&self) -> impl Fn() -> Option<Role> + Send + Sync + 'static {
        let election = Arc::clone(&self.election);
        move || lock(&election).as_ref().map(Election::role)
    }

    /// Watches the leadership while the program runs; on a loss, withdraws the registration and
    /// fences the program through `observer`. Stops watching when dropped.
    pub fn guard(
        &self,
        observer: &Observer,
        announcer: Option<Arc<RegistryAnnouncer>>,
    ) -> LossGuard {
        let done = Arc::new(AtomicBool::new(false));
        let election = Arc::clone(&self.election);
        let within = fence_budget(self.config.ttl);
        let observer = observer.clone();
        let stop = Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("steward-standby-guard".into())
            .spawn(move || guard(&election, &observer, announcer.as_deref(), within, &stop))
            .expect("spawning a thread");
        LossGuard {
            done,
            thread: Some(thread),
        }
    }

    /// Gives up the candidacy (the program is stopped): revokes the lease so that a standby
    /// takes over at once rather than after a TTL.
    pub fn step_down(&self) {
        let Some(election) = lock(&self.election).take() else {
            return;
        };
        match election.resign(RESIGN_TIMEOUT) {
            Ok(()) => tracing::info!(candidate = %self.candidate, "standby: stepped down"),
            Err(error) => tracing::warn!(
                candidate = %self.candidate,
                "standby: cannot resign ({error}); the leadership expires with its lease"
            ),
        }
    }
}

/// Stops the loss watch when dropped.
pub struct LossGuard {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LossGuard {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn guard(
    election: &Mutex<Option<Election>>,
    observer: &Observer,
    announcer: Option<&RegistryAnnouncer>,
    within: Duration,
    done: &AtomicBool,
) {
    while !done.load(Ordering::Acquire) {
        let role = lock(election).as_ref().map(Election::role);
        if let Some(Role::Lost(reason)) = role {
            tracing::warn!(
                ?reason,
                "standby: leadership lost, stopping the program within {} ms",
                within.as_millis()
            );
            if let Some(announcer) = announcer {
                announcer.abandon();
            }
            // The supervisor may be between attaching and spawning: retry until it takes the
            // request (or is gone); the budget still counts from its first chance to obey.
            while !observer.request(Request::Fence { within }) {
                if done.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            return;
        }
        std::thread::sleep(ROLE_POLL);
    }
}

/// How long a fenced program may take to stop after a lost leadership: half the TTL (the time
/// etcd guarantees before anyone else can lead) less a margin for noticing the loss (a tenth
/// of the TTL, at least 200 ms).
pub fn fence_budget(ttl: Duration) -> Duration {
    let margin = (ttl / 10).max(Duration::from_millis(200));
    (ttl / 2)
        .saturating_sub(margin)
        .max(Duration::from_millis(100))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fence_budget_stays_inside_half_the_ttl() {
        assert_eq!(
            fence_budget(Duration::from_secs(10)),
            Duration::from_secs(4)
        );
        assert_eq!(
            fence_budget(Duration::from_secs(3)),
            Duration::from_millis(1200)
        );
        assert_eq!(
            fence_budget(Duration::from_secs(2)),
            Duration::from_millis(800)
        );
        for secs in 2..=120 {
            let ttl = Duration::from_secs(secs);
            assert!(fence_budget(ttl) < ttl / 2);
        }
    }
}
