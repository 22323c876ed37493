//! The supervisor as an explicit state machine.
//!
//! [`step`] is a pure function: `(machine, event, now) -> (machine, actions)`. It never touches a
//! process, a clock or a file; time is the monotonic `now` passed in, randomness (jitter) comes
//! from a seeded generator inside the machine. The supervisor loop feeds it events and executes
//! the actions it returns, so every restart rule is unit-tested without processes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::spec::RestartMode;
use crate::spec::RestartPolicy;

/// Exit code recorded when the program could not be started at all (as a shell does).
pub const SPAWN_FAILED_CODE: u32 = 127;

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// It exited with this code.
    Code(u32),
    /// It was killed by this Unix signal.
    Signal(i32),
}

impl ExitStatus {
    /// The code a service reports for this exit: the code itself, or `128 + signal` (as a shell
    /// reports it).
    pub fn code(self) -> u32 {
        match self {
            ExitStatus::Code(code) => code,
            ExitStatus::Signal(signal) => 128 + signal.unsigned_abs(),
        }
    }
}

/// Why the supervisor gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The program exited more often than the start limit allows.
    StartLimit,
    /// The program failed and the policy does not restart it.
    NotRestarted,
    /// The pre-start hook failed.
    PreStartFailed,
    /// The program could not be started and the policy does not restart it.
    SpawnFailed,
}

impl std::fmt::Display for FailReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FailReason::StartLimit => "the program failed too often: start limit hit",
            FailReason::NotRestarted => {
                "the program failed and the restart policy does not restart it"
            }
            FailReason::PreStartFailed => "the pre-start hook failed",
            FailReason::SpawnFailed => "the program could not be started",
        })
    }
}

/// How supervising ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A stop was requested and the program's tree is gone. Clean.
    Stopped,
    /// The program exited with a success code and the policy does not restart it. Clean.
    Exited {
        /// The success code.
        code: u32,
    },
    /// The program failed for good: report `code` as the service's exit code.
    Failed {
        /// The child's exit code (see [`ExitStatus::code`]), or the hook's.
        code: u32,
        /// Why there is no further restart.
        reason: FailReason,
    },
}

impl Outcome {
    /// Whether the service ended cleanly (exit code 0 for the service).
    pub fn is_clean(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// The states, as written to the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    /// Spawning the program.
    Starting,
    /// The program runs.
    Running,
    /// Waiting before a restart.
    Backoff,
    /// Stopping the program's tree.
    Stopping,
    /// Stopped on request, or exited with success under a non-restarting policy.
    Stopped,
    /// Given up.
    Failed,
}

/// Where the supervisor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A spawn has been requested; waiting for `Spawned` or `SpawnFailed`.
    Starting,
    /// The program runs since `since`.
    Running {
        /// Its PID.
        pid: u32,
        /// When it was spawned.
        since: Instant,
    },
    /// Waiting until `until` to restart.
    Backoff {
        /// When to spawn again.
        until: Instant,
    },
    /// A stop is in progress.
    Stopping {
        /// The PID being stopped, once known.
        pid: Option<u32>,
        /// When to kill the tree; `None` once it has been killed. Before the spawn completed
        /// (`pid` is `None`): the fence's deadline, if a fence was requested.
        deadline: Option<Instant>,
    },
    /// Terminal: stopped cleanly.
    Stopped,
    /// Terminal: failed.
    Failed {
        /// The exit code to report.
        code: u32,
        /// Why.
        reason: FailReason,
    },
}

impl State {
    /// The state's name.
    pub fn name(&self) -> StateName {
        match self {
            State::Starting => StateName::Starting,
            State::Running { .. } => StateName::Running,
            State::Backoff { .. } => StateName::Backoff,
            State::Stopping { .. } => StateName::Stopping,
            State::Stopped => StateName::Stopped,
            State::Failed { .. } => StateName::Failed,
        }
    }

    /// Whether no event changes this state any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::Stopped | State::Failed { .. })
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Supervising begins.
    Start,
    /// The program was spawned.
    Spawned {
        /// Its PID.
        pid: u32,
    },
    /// The program could not be spawned.
    SpawnFailed,
    /// The pre-start hook failed with this code.
    PreStartFailed {
        /// The hook's exit code (1 if it had none).
        code: u32,
    },
    /// The program (the process the supervisor spawned) ended.
    Exited(ExitStatus),
    /// The timer last scheduled has fired (or any earlier one: the machine checks the time).
    TimerFired,
    /// A stop was requested.
    StopRequested,
    /// A stop was requested that must have killed the tree by `kill_by` (or sooner, at the stop
    /// timeout): a fence. Also shortens a stop already in progress.
    FenceRequested {
        /// When to kill the tree at the latest.
        kill_by: Instant,
    },
}

/// What the supervisor loop must do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run the pre-start hook, then spawn the program; report `Spawned`, `SpawnFailed` or
    /// `PreStartFailed`.
    Spawn,
    /// Report `TimerFired` at (or after) this instant. Replaces any earlier timer.
    ScheduleTimer(Instant),
    /// Send the graceful stop request to the program's tree.
    SendGracefulStop,
    /// Kill the program's whole tree.
    KillTree,
    /// Write the state file.
    WriteState,
    /// Supervising is over.
    Finish(Outcome),
}

/// The machine: configuration, counters and the current state.
#[derive(Debug, Clone)]
pub struct Machine {
    policy: RestartPolicy,
    stop_timeout: Duration,
    state: State,
    /// Start instants inside the start-limit window.
    starts: VecDeque<Instant>,
    /// Consecutive restarts since the last reset: the backoff exponent.
    backoff_step: u32,
    /// Restarts over the machine's whole life.
    restarts: u64,
    last_exit: Option<ExitStatus>,
    rng: u64,
}

impl Machine {
    /// A machine in `Starting`, waiting for [`Event::Start`]. `seed` drives the jitter.
    pub fn new(policy: RestartPolicy, stop_timeout: Duration, seed: u64) -> Self {
        Machine {
            policy,
            stop_timeout,
            state: State::Starting,
            starts: VecDeque::new(),
            backoff_step: 0,
            restarts: 0,
            last_exit: None,
            rng: seed | 1,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Restarts so far.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// How the program last ended.
    pub fn last_exit(&self) -> Option<ExitStatus> {
        self.last_exit
    }

    /// The PID of the running (or stopping) program.
    pub fn pid(&self) -> Option<u32> {
        match self.state {
            State::Running { pid, .. } => Some(pid),
            State::Stopping { pid, .. } => pid,
            _ => None,
        }
    }

    /// The delay before the next restart without jitter: `delay * multiplier^step`, capped.
    pub fn base_delay(&self) -> Duration {
        let policy = &self.policy;
        let factor = policy
            .multiplier
            .max(1.0)
            .powi(self.backoff_step.min(1024) as i32);
        let secs = (policy.delay.as_secs_f64() * factor).min(policy.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(secs).unwrap_or(policy.max_delay)
    }

    fn next_random(&mut self) -> f64 {
        // xorshift64*: plenty for jitter, and deterministic for tests.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let value = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (value >> 11) as f64 / (1u64 << 53) as f64
    }

    fn jittered(&mut self, base: Duration) -> Duration {
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let cut = base.as_secs_f64() * jitter * self.next_random();
        base.saturating_sub(Duration::try_from_secs_f64(cut).unwrap_or_default())
    }

    fn spawn(&mut self, now: Instant) -> Vec<Action> {
        self.state = State::Starting;
        self.starts.push_back(now);
        vec![Action::WriteState, Action::Spawn]
    }

    fn finish(&mut self, state: State, outcome: Outcome) -> Vec<Action> {
        self.state = state;
        vec![Action::WriteState, Action::Finish(outcome)]
    }

    fn is_success(&self, status: ExitStatus) -> bool {
        matches!(status, ExitStatus::Code(code) if self.policy.success_codes.contains(&code))
    }

    /// The program ended on its own (not during a stop): restart, or end.
    fn on_exit(&mut self, status: ExitStatus, ran: Duration, now: Instant) -> Vec<Action> {
        self.last_exit = Some(status);
        if ran >= self.policy.reset_after {
            self.backoff_step = 0;
            self.starts.clear();
        }
        let success = self.is_success(status);
        let restart = match self.policy.mode {
            RestartMode::Always => true,
            RestartMode::OnFailure => !success,
            RestartMode::Never => false,
        };
        let code = status.code();
        if !restart {
            return if success {
                self.finish(State::Stopped, Outcome::Exited { code })
            } else {
                let reason = if ran.is_zero() && code == SPAWN_FAILED_CODE {
                    FailReason::SpawnFailed
                } else {
                    FailReason::NotRestarted
                };
                self.finish(
                    State::Failed { code, reason },
                    Outcome::Failed { code, reason },
                )
            };
        }
        if let Some(limit) = self.policy.start_limit {
            while self
                .starts
                .front()
                .is_some_and(|&start| now.saturating_duration_since(start) >= limit.interval)
            {
                self.starts.pop_front();
            }
            if self.starts.len() >= limit.burst as usize {
                let reason = FailReason::StartLimit;
                return self.finish(
                    State::Failed { code, reason },
                    Outcome::Failed { code, reason },
                );
            }
        }
        let delay = self.jittered(self.base_delay());
        self.backoff_step = self.backoff_step.saturating_add(1);
        self.restarts += 1;
        if delay.is_zero() {
            return self.spawn(now);
        }
        let until = now + delay;
        self.state = State::Backoff { until };
        vec![Action::WriteState, Action::ScheduleTimer(until)]
    }

    /// Stops `pid` (or, when `None`, what the spawn in flight starts), killing its tree at the
    /// stop timeout or at `kill_by`, whichever comes first.
    fn begin_stop(
        &mut self,
        pid: Option<u32>,
        now: Instant,
        kill_by: Option<Instant>,
    ) -> Vec<Action> {
        if pid.is_none() {
            self.state = State::Stopping {
                pid: None,
                deadline: kill_by,
            };
            return vec![Action::WriteState];
        }
        if self.stop_timeout.is_zero() {
            self.state = State::Stopping {
                pid,
                deadline: None,
            };
            return vec![Action::WriteState, Action::KillTree];
        }
        let deadline = match kill_by {
            Some(kill_by) => kill_by.min(now + self.stop_timeout),
            None => now + self.stop_timeout,
        };
        self.state = State::Stopping {
            pid,
            deadline: Some(deadline),
        };
        vec![
            Action::WriteState,
            Action::SendGracefulStop,
            Action::ScheduleTimer(deadline),
        ]
    }
}

/// The transition function: the next machine and what to do.
pub fn step(mut machine: Machine, event: Event, now: Instant) -> (Machine, Vec<Action>) {
    let actions = transition(&mut machine, event, now);
    (machine, actions)
}

fn transition(m: &mut Machine, event: Event, now: Instant) -> Vec<Action> {
    match (m.state, event) {
        (State::Starting, Event::Start) if m.starts.is_empty() => m.spawn(now),
        (State::Starting, Event::Spawned { pid }) => {
            m.state = State::Running { pid, since: now };
            vec![Action::WriteState]
        }
        (State::Starting, Event::SpawnFailed) => {
            m.on_exit(ExitStatus::Code(SPAWN_FAILED_CODE), Duration::ZERO, now)
        }
        (State::Starting | State::Stopping { pid: None, .. }, Event::PreStartFailed { code }) => {
            m.last_exit = None;
            let reason = FailReason::PreStartFailed;
            m.finish(
                State::Failed { code, reason },
                Outcome::Failed { code, reason },
            )
        }
        (State::Starting, Event::StopRequested) => m.begin_stop(None, now, None),
        (State::Starting, Event::FenceRequested { kill_by }) => {
            m.begin_stop(None, now, Some(kill_by))
        }
        (State::Running { since, .. }, Event::Exited(status)) => {
            m.on_exit(status, now.saturating_duration_since(since), now)
        }
        (State::Running { pid, .. }, Event::StopRequested) => m.begin_stop(Some(pid), now, None),
        (State::Running { pid, .. }, Event::FenceRequested { kill_by }) => {
            m.begin_stop(Some(pid), now, Some(kill_by))
        }
        (State::Backoff { until }, Event::TimerFired) if now >= until => m.spawn(now),
        (State::Backoff { .. }, Event::StopRequested | Event::FenceRequested { .. }) => {
            m.finish(State::Stopped, Outcome::Stopped)
        }
        // A stop requested while the spawn was in flight: stop what was spawned (by the fence's
        // deadline, if any).
        (
            State::Stopping {
                pid: None,
                deadline,
            },
            Event::Spawned { pid },
        ) => m.begin_stop(Some(pid), now, deadline),
        (State::Stopping { pid: None, .. }, Event::SpawnFailed) => {
            m.finish(State::Stopped, Outcome::Stopped)
        }
        (State::Stopping { pid: Some(_), .. }, Event::Exited(status)) => {
            m.last_exit = Some(status);
            m.finish(State::Stopped, Outcome::Stopped)
        }
        (
            State::Stopping {
                pid: Some(pid),
                deadline: Some(deadline),
            },
            Event::TimerFired,
        ) if now >= deadline => {
            m.state = State::Stopping {
                pid: Some(pid),
                deadline: None,
            };
            vec![Action::WriteState, Action::KillTree]
        }
        // A fence during a stop: kill no later than it asks (never later than already planned;
        // nothing once the tree has been killed).
        (
            State::Stopping {
                pid: None,
                deadline,
            },
            Event::FenceRequested { kill_by },
        ) => {
            m.state = State::Stopping {
                pid: None,
                deadline: Some(deadline.map_or(kill_by, |d| d.min(kill_by))),
            };
            Vec::new()
        }
        (
            State::Stopping {
                pid: Some(pid),
                deadline: Some(deadline),
            },
            Event::FenceRequested { kill_by },
        ) if kill_by < deadline => {
            m.state = State::Stopping {
                pid: Some(pid),
                deadline: Some(kill_by),
            };
            vec![Action::ScheduleTimer(kill_by)]
        }
        // Anything else (a stale timer, a second stop request, events after the end) changes
        // nothing.
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
