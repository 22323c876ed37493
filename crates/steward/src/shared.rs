//! The state shared by the platform backend (which delivers controls), the driver (which reports
//! status) and the service's own code (which waits for events).
//!
//! One mutex and one condition variable serve blocking waiters; a `tokio::sync::watch` generation
//! counter wakes async waiters. Every mutation bumps both, so no waiter can miss a change.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::context::Event;
use crate::exit::Exit;

/// Where the service is in its life, as the service manager should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Starting,
    Running,
    Pausing,
    Paused,
    Continuing,
    Stopping,
}

/// A control from the service manager, a signal or the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "pause and continue come only from the Windows SCM; Unix has no such control"
)]
pub(crate) enum Control {
    Stop,
    Pause,
    Continue,
    Reload,
}

/// Mutable state behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    pub phase: Phase,
    /// Events waiting for the service's code.
    pub events: VecDeque<Event>,
    pub stop_requested: bool,
    /// A status line the driver has yet to forward.
    pub pending_status_text: Option<String>,
    pub last_heartbeat: Option<Instant>,
    /// Set when the service's code has returned (or panicked).
    pub finished: Option<Exit>,
    /// Phases entered since the driver last looked, in order, so none goes unreported.
    pub unreported: VecDeque<Phase>,
    /// Counts phase changes, so a waiter whose check changed the phase can wake the others.
    pub revision: u64,
}

impl State {
    /// Enters a phase and queues it for reporting.
    pub fn set_phase(&mut self, phase: Phase) {
        if self.phase != phase {
            self.phase = phase;
            self.unreported.push_back(phase);
            self.revision += 1;
        }
    }
}

/// Shared state plus its wake-up mechanisms.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    generation: watch::Sender<u64>,
    accepts_pause: bool,
}

impl Shared {
    pub fn new(accepts_pause: bool) -> Self {
        Shared {
            state: Mutex::new(State {
                phase: Phase::Starting,
                events: VecDeque::new(),
                stop_requested: false,
                pending_status_text: None,
                last_heartbeat: None,
                finished: None,
                unreported: VecDeque::new(),
                revision: 0,
            }),
            changed: Condvar::new(),
            generation: watch::Sender::new(0),
            accepts_pause,
        }
    }

    /// Locks the state. A panic in the service's code never happens under this lock, so poisoning
    /// only means another steward thread died; the state is still consistent, keep going.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `change` under the lock and wakes every waiter.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut self.lock());
        self.changed.notify_all();
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
        result
    }

    /// Blocks until `done` holds or the deadline passes; returns the value `done` produced.
    pub fn wait_until<R>(
        &self,
        deadline: Option<Instant>,
        mut done: impl FnMut(&mut State) -> Option<R>,
    ) -> Option<R> {
        let mut state = self.lock();
        loop {
            let outcome = self.check(&mut state, &mut done);
            if outcome.is_some() {
                return outcome;
            }
            let timeout = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    deadline - now
                }
                None => Duration::from_secs(3600),
            };
            state = self
                .changed
                .wait_timeout(state, timeout)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Waits asynchronously until `done` holds; returns the value `done` produced.
    pub async fn wait_async<R>(&self, mut done: impl FnMut(&mut State) -> Option<R>) -> R {
        // Subscribing before checking means a change between the check and the await still wakes us.
        let mut generation = self.generation.subscribe();
        loop {
            let outcome = self.check(&mut self.lock(), &mut done);
            if let Some(value) = outcome {
                return value;
            }
            if generation.changed().await.is_err() {
                // The sender lives as long as `self`; this cannot happen while we hold `&self`.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Runs a waiter's check. Checks may change the phase (waiting for events marks the end of
    /// the starting phase); when one does, every other waiter — the driver above all — is woken
    /// at once instead of at its next timeout.
    fn check<R>(
        &self,
        state: &mut State,
        done: &mut impl FnMut(&mut State) -> Option<R>,
    ) -> Option<R> {
        let revision = state.revision;
        let outcome = done(state);
        if state.revision != revision {
            self.changed.notify_all();
            self.generation.send_modify(|g| *g = g.wrapping_add(1));
        }
        outcome
    }

    /// Delivers a control. Never blocks beyond taking the lock briefly, so control handlers stay
    /// responsive. Returns whether the control was accepted in the current phase.
    pub fn deliver(&self, control: Control) -> bool {
        let accepts_pause = self.accepts_pause;
        self.update(|state| {
            if state.finished.is_some() {
                return false;
            }
            match control {
                Control::Stop => {
                    if !state.stop_requested {
                        state.stop_requested = true;
                        state.set_phase(Phase::Stopping);
                        state
                            .events
                            .retain(|e| !matches!(e, Event::Pause | Event::Continue));
                        state.events.push_back(Event::Shutdown);
                    }
                    true
                }
                Control::Pause if accepts_pause && state.phase == Phase::Running => {
                    state.set_phase(Phase::Pausing);
                    state.events.push_back(Event::Pause);
                    true
                }
                Control::Continue if accepts_pause && state.phase == Phase::Paused => {
                    state.set_phase(Phase::Continuing);
                    state.events.push_back(Event::Continue);
                    true
                }
                Control::Reload if !state.stop_requested => {
                    state.events.push_back(Event::Reload);
                    true
                }
                _ => false,
            }
        })
    }
}

/// Takes the next event for the service's code, completing a pending pause or continue: the
/// service manager sees the service paused (or running again) once its code has the event.
pub(crate) fn take_event(state: &mut State) -> Option<Event> {
    mark_main_loop(state);
    let event = state.events.pop_front()?;
    match (event, state.phase) {
        (Event::Pause, Phase::Pausing) => state.set_phase(Phase::Paused),
        (Event::Continue, Phase::Continuing) => state.set_phase(Phase::Running),
        (Event::Shutdown, _) => {
            // Shutdown stays visible to every later call, so loops that check it again see it.
            state.events.push_front(Event::Shutdown);
        }
        _ => {}
    }
    Some(event)
}

/// The service's code waiting for events means its initialisation is over: it is running.
pub(crate) fn mark_main_loop(state: &mut State) {
    if state.phase == Phase::Starting && !state.stop_requested {
        state.set_phase(Phase::Running);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_is_refused_unless_opted_in() {
        let shared = Shared::new(false);
        shared.update(mark_main_loop);
        assert!(!shared.deliver(Control::Pause));
        assert_eq!(shared.lock().phase, Phase::Running);
    }

    #[test]
    fn pause_completes_when_the_code_takes_the_event() {
        let shared = Shared::new(true);
        shared.update(mark_main_loop);
        assert!(shared.deliver(Control::Pause));
        assert_eq!(shared.lock().phase, Phase::Pausing);
        assert_eq!(shared.update(take_event), Some(Event::Pause));
        assert_eq!(shared.lock().phase, Phase::Paused);
        assert!(!shared.deliver(Control::Pause), "already paused");
        assert!(shared.deliver(Control::Continue));
        assert_eq!(shared.update(take_event), Some(Event::Continue));
        assert_eq!(shared.lock().phase, Phase::Running);
    }

    #[test]
    fn stop_overrides_a_pending_pause_and_stays_visible() {
        let shared = Shared::new(true);
        shared.update(mark_main_loop);
        shared.deliver(Control::Pause);
        shared.deliver(Control::Stop);
        assert_eq!(shared.lock().phase, Phase::Stopping);
        assert_eq!(shared.update(take_event), Some(Event::Shutdown));
        assert_eq!(shared.update(take_event), Some(Event::Shutdown));
    }

    #[test]
    fn a_stop_during_start_is_not_turned_into_running() {
        let shared = Shared::new(false);
        shared.deliver(Control::Stop);
        shared.update(mark_main_loop);
        assert_eq!(shared.lock().phase, Phase::Stopping);
    }

    #[test]
    fn repeated_stops_queue_one_shutdown() {
        let shared = Shared::new(false);
        for _ in 0..1000 {
            shared.deliver(Control::Stop);
        }
        assert_eq!(shared.lock().events.len(), 1);
    }
}
