//! The platform-independent heart of the runtime: runs the service's code on its own thread and
//! turns what happens (controls, readiness, progress ticks, the code returning or panicking, the
//! grace period running out) into status reports for the platform backend.
//!
//! Backends only deliver controls into [`Shared`] and forward [`Notice`]s to their service manager;
//! everything here is unit-tested on every platform.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::exit::{Exit, Failure};
use crate::shared::{Phase, Shared, State};
use crate::spec::ServiceSpec;

/// The service's code, boxed so backends can hold it before the service manager calls back.
pub(crate) type ServiceFn = Box<dyn FnOnce(Context) -> Result<(), Failure> + Send + 'static>;

/// One thing the backend must tell its service manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The service's state, with a progress counter for pending states (starts at 1 in each pending
    /// state and grows by one per progress tick).
    State {
        phase: Phase,
        checkpoint: u32,
        wait_hint: Duration,
    },
    /// The final state: stopped, with how the service ended.
    Stopped(Exit),
    /// A status line from the service's code.
    StatusText(String),
    /// A watchdog keep-alive.
    Watchdog,
}

/// Receives notices; implemented by each backend (and by a recorder in tests). Must not block for
/// long: the driver's timing depends on it.
pub(crate) trait Reporter: Send + Sync {
    fn notify(&self, notice: Notice);
}

/// How the backend wants watchdog pings paced, if the manager asked for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Watchdog {
    /// The manager's watchdog period (`WATCHDOG_USEC`).
    pub period: Duration,
}

/// Runs a service's code to completion, reporting every state on the way.
pub(crate) struct Driver<'a> {
    pub spec: &'a ServiceSpec,
    pub shared: Arc<Shared>,
    pub reporter: &'a dyn Reporter,
    pub watchdog: Option<Watchdog>,
}

impl Driver<'_> {
    /// Runs `service` and returns how it ended, after the final `Stopped` notice has been sent.
    ///
    /// When the grace period runs out the service's thread is left behind (threads cannot be
    /// killed); the caller must end the process, which the backends do.
    pub fn run(&self, service: ServiceFn) -> Exit {
        let start = Instant::now();
        let mut last_phase = Phase::Starting;
        let mut checkpoint = 1;
        self.report_state(last_phase, checkpoint);

        if let Err(error) = self.spawn_service(service) {
            let exit = Exit::RuntimeError {
                message: format!("cannot start the service thread: {error}"),
            };
            self.reporter.notify(Notice::Stopped(exit.clone()));
            return exit;
        }

        let tick = self.spec.progress();
        let mut next_tick = start + tick;
        let watchdog_interval = self.watchdog.map(|w| w.period / 2);
        let mut next_watchdog = watchdog_interval.map(|i| start + i);
        let mut grace_deadline: Option<Instant> = None;

        loop {
            let wake_at = [Some(next_tick), next_watchdog, grace_deadline]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(next_tick);
            let (entered, finished, status_text) = self
                .shared
                .wait_until(Some(wake_at), |state| {
                    let interesting = !state.unreported.is_empty()
                        || state.finished.is_some()
                        || state.pending_status_text.is_some();
                    interesting.then(|| take_news(state))
                })
                .unwrap_or_else(|| take_news(&mut self.shared.lock()));
            let now = Instant::now();

            if let Some(text) = status_text {
                self.reporter.notify(Notice::StatusText(text));
            }
            for phase in entered {
                last_phase = phase;
                checkpoint = 1;
                self.report_state(phase, checkpoint);
                next_tick = now + tick;
            }
            if let Some(exit) = finished {
                self.reporter.notify(Notice::Stopped(exit.clone()));
                return exit;
            }
            if last_phase == Phase::Stopping && grace_deadline.is_none() {
                grace_deadline = Some(now + self.spec.grace());
            }
            if grace_deadline.is_some_and(|deadline| now >= deadline) {
                let exit = Exit::GraceExpired;
                self.shared
                    .update(|state| state.finished = Some(exit.clone()));
                self.reporter.notify(Notice::Stopped(exit.clone()));
                return exit;
            }
            if now >= next_tick {
                if is_pending(last_phase) {
                    checkpoint += 1;
                    self.report_state(last_phase, checkpoint);
                }
                next_tick = now + tick;
            }
            if let (Some(at), Some(interval), Some(watchdog)) =
                (next_watchdog, watchdog_interval, self.watchdog)
                && now >= at
            {
                if self.heartbeat_is_fresh(now, watchdog.period) {
                    self.reporter.notify(Notice::Watchdog);
                }
                next_watchdog = Some(now + interval);
            }
        }
    }

    fn report_state(&self, phase: Phase, checkpoint: u32) {
        self.reporter.notify(Notice::State {
            phase,
            checkpoint,
            wait_hint: if is_pending(phase) {
                self.spec.wait_hint()
            } else {
                Duration::ZERO
            },
        });
    }

    /// A service that never sent a heartbeat is vouched for by the runtime; one that did must keep
    /// doing so within each watchdog period.
    fn heartbeat_is_fresh(&self, now: Instant, period: Duration) -> bool {
        match self.shared.lock().last_heartbeat {
            None => true,
            Some(last) => now.duration_since(last) < period,
        }
    }

    fn spawn_service(&self, service: ServiceFn) -> std::io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let context = Context::new(Arc::clone(&self.shared));
        thread::Builder::new()
            .name(format!("{}-main", self.spec.name()))
            .spawn(move || {
                let exit = outcome(catch_unwind(AssertUnwindSafe(move || service(context))));
                shared.update(|state| {
                    if state.finished.is_none() {
                        state.finished = Some(exit);
                    }
                });
            })
            .map(drop)
    }
}

/// Phases entered, how the code ended, and a status line: what the driver has yet to report.
type News = (Vec<Phase>, Option<Exit>, Option<String>);

fn take_news(state: &mut State) -> News {
    (
        state.unreported.drain(..).collect(),
        state.finished.clone(),
        state.pending_status_text.take(),
    )
}

fn is_pending(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::Starting | Phase::Pausing | Phase::Continuing | Phase::Stopping
    )
}

fn outcome(result: Result<Result<(), Failure>, Box<dyn Any + Send>>) -> Exit {
    match result {
        Ok(Ok(())) => Exit::Clean,
        Ok(Err(failure)) => Exit::Failed {
            code: failure.exit_code(),
            message: failure.to_string(),
        },
        Err(payload) => Exit::Panicked {
            message: panic_message(payload.as_ref()),
        },
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
