//! The supervisor loop: waits for events, feeds them to the state machine, executes its actions.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use steward::Context;

use crate::error::SuperviseError;
use crate::hooks::run_hook;
use crate::machine::{self, Action, Event, ExitStatus, Machine, Outcome};
use crate::spec::{Hooks, ProgramSpec, RestartPolicy};
use crate::state_file::{StateRecord, write_state_file};
use crate::sys::{Child, Containment, Events, Waker, Wakeup};

/// The longest the loop waits without looking around (reaping adopted descendants).
const TICK: Duration = Duration::from_secs(1);
/// How often the stop watcher polls the context before the service is ready (polling avoids
/// marking the service ready early).
const STARTING_POLL: Duration = Duration::from_millis(5);

/// Supervises one program. Build it, then call [`run`](Supervisor::run) from the service's code.
#[derive(Debug, Clone)]
pub struct Supervisor {
    program: ProgramSpec,
    policy: RestartPolicy,
    hooks: Hooks,
    state_file: Option<PathBuf>,
}

impl Supervisor {
    /// Supervises `program` with the default [`RestartPolicy`], no hooks and no state file.
    pub fn new(program: ProgramSpec) -> Self {
        Supervisor {
            program,
            policy: RestartPolicy::default(),
            hooks: Hooks::default(),
            state_file: None,
        }
    }

    /// Sets the restart policy.
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the hooks.
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// Records the state in this JSON file (rewritten atomically on every change).
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Runs the program until a stop is requested through `ctx` or the policy gives up. Calls
    /// `ctx.ready()` once the program first runs. Blocks.
    ///
    /// On return the program's whole tree is gone. Turn [`Outcome::Failed`] into
    /// `steward::Failure::with_exit_code(code)`.
    pub fn run(&self, ctx: &Context) -> Result<Outcome, SuperviseError> {
        if self.program.command.as_os_str().is_empty() {
            return Err(SuperviseError::InvalidSpec("the command is empty".into()));
        }
        crate::sys::check_program(&self.program)?;
        let containment = Containment::new()?;
        let events = Events::new()?;
        let watcher = StopWatcher::start(ctx.clone(), events.waker());
        let mut run = Run {
            sup: self,
            ctx,
            containment: &containment,
            watcher: &watcher,
            machine: Machine::new(self.policy.clone(), self.program.stop_timeout, seed()),
            child: None,
            timer: None,
            pending: VecDeque::from([Event::Start]),
            last_exit_unix_ms: None,
        };
        let result = run.drive(&events);
        watcher.done.store(true, Ordering::Release);
        if let Some(child) = run.child.take() {
            // Only on an OS error: never leave the tree behind.
            let _ = child.kill_tree();
            let _ = child.finish();
        }
        result
    }
}

/// One run of the loop.
struct Run<'a> {
    sup: &'a Supervisor,
    ctx: &'a Context,
    containment: &'a Containment,
    watcher: &'a StopWatcher,
    machine: Machine,
    child: Option<Child>,
    timer: Option<Instant>,
    pending: VecDeque<Event>,
    last_exit_unix_ms: Option<u64>,
}

impl Run<'_> {
    fn drive(&mut self, events: &Events) -> Result<Outcome, SuperviseError> {
        loop {
            while let Some(event) = self.pending.pop_front() {
                let (next, actions) = machine::step(self.machine.clone(), event, Instant::now());
                self.machine = next;
                for action in actions {
                    if let Some(outcome) = self.execute(action)? {
                        return Ok(outcome);
                    }
                }
            }
            let now = Instant::now();
            let wait = self
                .timer
                .map_or(TICK, |at| at.saturating_duration_since(now).min(TICK));
            let wakeup = events
                .wait(self.child.as_ref(), wait)
                .map_err(|e| SuperviseError::os("waiting for the program failed", e))?;
            match wakeup {
                Wakeup::ChildExited => {
                    let child = self.child.take().expect("an exit needs a child");
                    let status = child
                        .finish()
                        .map_err(|e| SuperviseError::os("cannot reap the program", e))?;
                    self.last_exit_unix_ms = Some(unix_ms());
                    if let Some(hook) = &self.sup.hooks.post_stop {
                        let code = run_hook(hook);
                        if code != 0 {
                            tracing::warn!("the post-stop hook failed with exit code {code}");
                        }
                    }
                    self.pending.push_back(Event::Exited(status));
                }
                Wakeup::Woken if self.ctx.shutdown_requested() => {
                    self.pending.push_back(Event::StopRequested);
                }
                Wakeup::Woken => {}
                Wakeup::Timeout => {}
            }
            if self.timer.is_some_and(|at| Instant::now() >= at) {
                self.timer = None;
                self.pending.push_back(Event::TimerFired);
            }
        }
    }

    fn execute(&mut self, action: Action) -> Result<Option<Outcome>, SuperviseError> {
        match action {
            Action::Spawn => self.spawn(),
            Action::ScheduleTimer(at) => self.timer = Some(at),
            Action::SendGracefulStop => {
                if let Some(child) = &self.child {
                    child
                        .graceful_stop(self.sup.program.stop_signal)
                        .map_err(|e| SuperviseError::os("cannot send the stop signal", e))?;
                }
            }
            Action::KillTree => {
                if let Some(child) = &self.child {
                    child
                        .kill_tree()
                        .map_err(|e| SuperviseError::os("cannot kill the program's tree", e))?;
                }
            }
            Action::WriteState => self.write_state()?,
            Action::Finish(outcome) => return Ok(Some(outcome)),
        }
        Ok(None)
    }

    fn spawn(&mut self) {
        if let Some(hook) = &self.sup.hooks.pre_start {
            let code = run_hook(hook);
            if code != 0 {
                self.pending.push_back(Event::PreStartFailed { code });
                return;
            }
        }
        match self.containment.spawn(&self.sup.program) {
            Ok(child) => {
                let pid = child.pid();
                self.child = Some(child);
                if !self.watcher.ready.swap(true, Ordering::AcqRel) {
                    self.ctx.ready();
                }
                self.pending.push_back(Event::Spawned { pid });
            }
            Err(error) => {
                tracing::warn!(
                    "cannot start {}: {error}",
                    self.sup.program.command.display()
                );
                self.pending.push_back(Event::SpawnFailed);
            }
        }
    }

    fn write_state(&self) -> Result<(), SuperviseError> {
        let Some(path) = &self.sup.state_file else {
            return Ok(());
        };
        let last_exit = self.machine.last_exit();
        let record = StateRecord {
            state: self.machine.state().name(),
            pid: self.machine.pid(),
            restarts: self.machine.restarts(),
            last_exit_code: last_exit.map(ExitStatus::code),
            last_exit,
            last_exit_unix_ms: self.last_exit_unix_ms,
            updated_unix_ms: unix_ms(),
            supervisor_pid: std::process::id(),
        };
        write_state_file(path, &record)
    }
}

/// A thread that turns the context's stop request into a wake-up of the loop.
struct StopWatcher {
    ready: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
}

impl StopWatcher {
    fn start(ctx: Context, waker: Waker) -> Self {
        let ready = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (ready2, done2) = (Arc::clone(&ready), Arc::clone(&done));
        std::thread::Builder::new()
            .name("steward-stop-watch".into())
            .spawn(move || watch(&ctx, &waker, &ready2, &done2))
            .expect("spawning a thread");
        StopWatcher { ready, done }
    }
}

fn watch(ctx: &Context, waker: &Waker, ready: &AtomicBool, done: &AtomicBool) {
    while !done.load(Ordering::Acquire) {
        let stop = if ready.load(Ordering::Acquire) {
            ctx.wait_for_shutdown(Duration::from_millis(250))
        } else {
            // Not `wait_for_shutdown`: it would end the service's starting phase early.
            let stop = ctx.shutdown_requested();
            if !stop {
                std::thread::sleep(STARTING_POLL);
            }
            stop
        };
        if stop {
            waker.wake();
            return;
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}
