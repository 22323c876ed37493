//! The supervisor loop's health gate and observer: readiness, health restarts, requests, and
//! the snapshot the admin endpoint reads.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Run;
use crate::error::SuperviseError;
use crate::health::{Gate, Verdict};
use crate::machine::{Event, State, StateName};
use crate::observe::{Request, Snapshot};

impl Run<'_> {
    /// Declares the service ready, once.
    pub(super) fn mark_ready(&self) {
        if !self.watcher.ready.swap(true, Ordering::AcqRel) {
            self.ctx.ready();
        }
    }

    /// Carries out the observer's requests.
    pub(super) fn obey_requests(&mut self) -> Result<(), SuperviseError> {
        let Some(observer) = &self.sup.observer else {
            return Ok(());
        };
        for request in observer.take_requests() {
            match request {
                Request::Stop => {
                    self.announcer.stopping();
                    self.pending.push_back(Event::StopRequested);
                }
                Request::Fence { within } => {
                    // The deadline counts from now, before the hook may take its time.
                    let event = match Instant::now().checked_add(within) {
                        Some(kill_by) => Event::FenceRequested { kill_by },
                        None => Event::StopRequested,
                    };
                    self.announcer.stopping();
                    self.pending.push_back(event);
                }
                Request::Restart => self.kill_for("restart requested over the admin endpoint")?,
            }
        }
        Ok(())
    }

    /// Acts on the health gate's verdict.
    pub(super) fn check_health(&mut self) -> Result<(), SuperviseError> {
        let running = self.child.is_some()
            && self.machine.state().name() == StateName::Running
            && !self.ctx.shutdown_requested();
        let verdict = match &mut self.gate {
            Some(gate) => gate.poll(running, Instant::now()),
            None => return Ok(()),
        };
        match verdict {
            Verdict::Nothing => {}
            Verdict::Ready => {
                tracing::info!("the program is ready");
                // Publish first, so whoever hears READY=1 / RUNNING sees the run as ready.
                self.write_state()?;
                self.mark_ready();
                self.announce_serving();
            }
            Verdict::NotServing(reason) => {
                tracing::warn!("the program no longer serves: {reason}");
                self.announcer.not_serving(&reason);
            }
            Verdict::Serving => {
                tracing::info!("the program is ready again");
                self.announce_serving();
            }
            Verdict::Kill(reason) => self.kill_for(&reason)?,
        }
        Ok(())
    }

    /// Tells the announce hook that the running program serves.
    fn announce_serving(&mut self) {
        if let Some(child) = &self.child {
            self.announcer.serving(child.pid());
        }
    }

    /// Kills the running program's tree, recording why; its exit goes through the policy.
    pub(super) fn kill_for(&mut self, reason: &str) -> Result<(), SuperviseError> {
        let Some(child) = &self.child else {
            return Ok(());
        };
        // Consumers drain before the kill.
        self.announcer.not_serving(reason);
        // Event ID 1200: the supervisor restarts an unhealthy program (docs/logging.md).
        tracing::warn!(event_id = 1200, reason, "restarting the program: {reason}");
        self.restart_reason = Some(reason.to_owned());
        child
            .kill_tree()
            .map_err(|e| SuperviseError::os("cannot kill the program's tree", e))?;
        self.write_state()
    }

    /// Gives the observer the current snapshot.
    pub(super) fn publish(&self) {
        let Some(observer) = &self.sup.observer else {
            return;
        };
        let state = self.machine.state();
        observer.record(Snapshot {
            state: Some(state.name()),
            pid: self.machine.pid(),
            restarts: self.machine.restarts(),
            last_exit: self.machine.last_exit(),
            since: match state {
                State::Running { since, .. } => Some(since),
                _ => None,
            },
            ready: self.gate.as_ref().is_none_or(Gate::run_ready),
            health: None,
            capture: self.capture.as_ref().map(|c| c.stats().into()),
            last_restart_reason: self.restart_reason.clone(),
        });
    }
}
