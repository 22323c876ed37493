//! The supervisor loop: waits for events, feeds them to the state machine, executes its actions.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use steward::Context;

use crate::announce::{self, Announce, Announcer};
use crate::capture::{Capture, CaptureConfig, Stream};
use crate::error::SuperviseError;
use crate::health::{Gate, HealthSetup};
use crate::hooks::run_hook;
use crate::machine::{self, Action, Event, ExitStatus, FailReason, Machine, Outcome, StateName};
use crate::observe::Observer;
use crate::spec::{Hooks, ProgramSpec, RestartPolicy};
use crate::state_file::{CaptureRecord, StateRecord, write_state_file};
use crate::sys::{Child, Containment, Events, Output, Waker, Wakeup};

mod gate;
mod tracked;

use tracked::Tracked;

/// The longest the loop waits without looking around (reaping adopted descendants).
const TICK: Duration = Duration::from_secs(1);
/// How often the stop watcher polls the context before the service is ready (polling avoids
/// marking the service ready early).
const STARTING_POLL: Duration = Duration::from_millis(5);
/// At stop, how long the capture may wait for the pipes to end and for its writer to write what
/// was read (each; a pending gzip is never waited for). Within the runtime's grace margin.
const CAPTURE_FINISH: Duration = Duration::from_secs(2);
/// Before a restart, how long to wait for the previous run's pipes to end (its tree is dead, so
/// this is immediate unless a process outside the tree holds them), so its last partial line
/// is ended before the new run's output.
const PREVIOUS_OUTPUT: Duration = Duration::from_secs(1);

/// Supervises one program. Build it, then call [`run`](Supervisor::run) from the service's code.
#[derive(Debug, Clone)]
pub struct Supervisor {
    program: ProgramSpec,
    policy: RestartPolicy,
    hooks: Hooks,
    state_file: Option<PathBuf>,
    capture: Option<CaptureConfig>,
    echo: bool,
    health: Option<HealthSetup>,
    observer: Option<Observer>,
    announce: Option<announce::AnnounceHook>,
}

impl Supervisor {
    /// Supervises `program` with the default [`RestartPolicy`], no hooks and no state file.
    pub fn new(program: ProgramSpec) -> Self {
        Supervisor {
            program,
            policy: RestartPolicy::default(),
            hooks: Hooks::default(),
            state_file: None,
            capture: None,
            echo: false,
            health: None,
            observer: None,
            announce: None,
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

    /// Captures the program's stdout and stderr into rotated files (see [`crate::capture`]):
    /// every run of the program writes through pipes the supervisor holds to one capture that
    /// lives as long as [`run`](Supervisor::run), so a restart loses nothing. The capture's
    /// counters go into the state file. Without this, the program inherits the supervisor's
    /// stdout and stderr (on Windows its own console's, so they are lost).
    pub fn capture(mut self, config: CaptureConfig) -> Self {
        self.capture = Some(config);
        self
    }

    /// With [`capture`](Supervisor::capture), also copies the program's stdout and stderr to
    /// the supervisor's own as they are read (for a run in the foreground). A copy that fails
    /// stops copying that pipe; the capture goes on. Writing the copy is part of reading the
    /// pipe, so a terminal that blocks holds the program up as it would without capture.
    pub fn echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// Gates readiness on health checks and restarts a program that hangs (see
    /// [`HealthSetup`] and `docs/health.md`): `ctx.ready()` is called only once a run is ready,
    /// and the program gets the monitor's `NOTIFY_SOCKET` / `WATCHDOG_USEC`.
    pub fn health(mut self, setup: HealthSetup) -> Self {
        self.health = Some(setup);
        self
    }

    /// Publishes snapshots to `observer` and obeys its
    /// [`Request`](crate::observe::Request)s while running.
    pub fn observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Tells `announce` when the program starts and stops serving, and before it is stopped
    /// (see [`Announce`] for when each call comes).
    pub fn announce(mut self, announce: Arc<dyn Announce>) -> Self {
        self.announce = Some(announce::AnnounceHook(announce));
        self
    }

    /// Runs the program until a stop is requested through `ctx` or the policy gives up. Calls
    /// `ctx.ready()` once the program first runs (and, with [`health`](Supervisor::health),
    /// is ready). Blocks.
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
        let capture = match &self.capture {
            Some(config) => Some(Capture::start(config.clone()).map_err(|e| {
                SuperviseError::os("cannot start the log capture", std::io::Error::other(e))
            })?),
            None => None,
        };
        let watcher = StopWatcher::start(ctx.clone(), events.waker());
        let gate = match &self.health {
            Some(setup) => Some(Gate::start(setup, events.waker())?),
            None => None,
        };
        let mut program = self.program.clone();
        for (key, value) in gate.iter().flat_map(Gate::child_env) {
            program = program.env(key, value);
        }
        if let Some(observer) = &self.observer {
            observer.attach(events.waker(), gate.as_ref().map(Gate::handle));
        }
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
            capture,
            open_sources: Arc::new(AtomicUsize::new(0)),
            recorded: None,
            program,
            gate,
            restart_reason: None,
            announcer: Announcer::new(self.announce.as_ref().map(|hook| Arc::clone(&hook.0))),
        };
        let result = run.drive(&events);
        if let Err(error) = &result {
            run.announcer
                .not_serving(&format!("supervising failed: {error}"));
        }
        if let Some(observer) = &self.observer {
            observer.detach();
        }
        watcher.done.store(true, Ordering::Release);
        if let Some(child) = run.child.take() {
            // Only on an OS error: never leave the tree behind.
            let _ = child.kill_tree();
            let _ = child.finish();
        }
        // The tree is gone: the pipes end; write what was read, never waiting for a gzip.
        if let Some(capture) = run.capture.take() {
            let stats = CaptureRecord::from(capture.finish(CAPTURE_FINISH));
            if result.is_ok() && run.recorded.as_ref() != Some(&stats) {
                run.recorded = Some(stats);
                if let Err(error) = run.write_state() {
                    tracing::warn!("cannot record the final log capture counters: {error}");
                }
            }
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
    /// The capture every run of the program writes to.
    capture: Option<Capture>,
    /// How many attached pipes have not ended yet.
    open_sources: Arc<AtomicUsize>,
    /// The capture counters last written to the state file.
    recorded: Option<CaptureRecord>,
    /// The program as spawned: the spec plus the health monitor's environment.
    program: crate::ProgramSpec,
    /// The health gate, when configured.
    gate: Option<Gate>,
    /// Why the supervisor itself last killed the program.
    restart_reason: Option<String>,
    /// The announce hook, kept in order.
    announcer: Announcer,
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
            let at = match (self.timer, self.gate.as_ref().and_then(Gate::next_deadline)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wait = at.map_or(TICK, |at| at.saturating_duration_since(now).min(TICK));
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
                    self.announcer.not_serving(&exit_reason(status));
                    // Event ID 1100: steward_log::EventId::CHILD_EXITED (docs/logging.md).
                    let code = status.code();
                    if code == 0 || self.ctx.shutdown_requested() {
                        tracing::info!(event_id = 1100, code, "the program exited");
                    } else {
                        tracing::warn!(event_id = 1100, code, "the program exited");
                    }
                    if let Some(hook) = &self.sup.hooks.post_stop {
                        let code = run_hook(hook);
                        if code != 0 {
                            tracing::warn!("the post-stop hook failed with exit code {code}");
                        }
                    }
                    self.pending.push_back(Event::Exited(status));
                }
                Wakeup::Woken if self.ctx.shutdown_requested() => {
                    self.announcer.stopping();
                    self.pending.push_back(Event::StopRequested);
                }
                Wakeup::Woken => {}
                Wakeup::Timeout => {}
            }
            self.obey_requests()?;
            self.check_health()?;
            self.record_capture();
            if self.timer.is_some_and(|at| Instant::now() >= at) {
                self.timer = None;
                self.pending.push_back(Event::TimerFired);
            }
        }
    }

    fn execute(&mut self, action: Action) -> Result<Option<Outcome>, SuperviseError> {
        match action {
            Action::Spawn => self.spawn()?,
            Action::ScheduleTimer(at) => {
                if self.machine.state().name() == StateName::Backoff {
                    // Event ID 1101: steward_log::EventId::RESTART_SCHEDULED.
                    let delay_ms = at.saturating_duration_since(Instant::now()).as_millis() as u64;
                    tracing::warn!(event_id = 1101, delay_ms, "restarting the program");
                }
                self.timer = Some(at);
            }
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
            Action::Finish(outcome) => {
                if let Outcome::Failed {
                    code,
                    reason: FailReason::StartLimit,
                } = outcome
                {
                    // Event ID 1102: steward_log::EventId::START_LIMIT_HIT.
                    tracing::error!(event_id = 1102, code, "start limit hit: the service fails");
                }
                return Ok(Some(outcome));
            }
        }
        Ok(None)
    }

    fn spawn(&mut self) -> Result<(), SuperviseError> {
        if let Some(hook) = &self.sup.hooks.pre_start {
            let code = run_hook(hook);
            if code != 0 {
                self.pending.push_back(Event::PreStartFailed { code });
                return Ok(());
            }
        }
        self.wait_for_previous_output();
        if self.stop_taken_before_spawn()? {
            // The stop (queued first) ends the spawn in flight: report it as not started.
            self.pending.push_back(Event::SpawnFailed);
            return Ok(());
        }
        match self
            .containment
            .spawn(&self.program, self.capture.is_some())
        {
            Ok((child, output)) => {
                let pid = child.pid();
                self.child = Some(child);
                if let Some(output) = output {
                    self.attach(output);
                }
                match &mut self.gate {
                    Some(gate) => gate.spawned(Instant::now()),
                    None => {
                        self.mark_ready();
                        self.announcer.serving(pid);
                    }
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
        Ok(())
    }

    /// Takes a stop that came while the pre-start hook ran or the previous run's output ended
    /// (the loop was not listening), so that a stop or a fence never starts the program again.
    fn stop_taken_before_spawn(&mut self) -> Result<bool, SuperviseError> {
        if self.ctx.shutdown_requested() {
            self.announcer.stopping();
            self.pending.push_back(Event::StopRequested);
        }
        self.obey_requests()?;
        Ok(self
            .pending
            .iter()
            .any(|e| matches!(e, Event::StopRequested | Event::FenceRequested { .. })))
    }

    /// Hands the new run's pipes to the capture.
    fn attach(&mut self, output: Output) {
        let Some(capture) = &mut self.capture else {
            return;
        };
        for (stream, pipe) in [
            (Stream::Stdout, output.stdout),
            (Stream::Stderr, output.stderr),
        ] {
            self.open_sources.fetch_add(1, Ordering::AcqRel);
            let source = Tracked {
                inner: pipe,
                open: Arc::clone(&self.open_sources),
                echo: self.sup.echo.then_some(stream),
            };
            if let Err(error) = capture.attach(stream, source) {
                tracing::warn!("the program's {} is not captured: {error}", stream.as_str());
            }
        }
    }

    /// Waits (at most [`PREVIOUS_OUTPUT`]) until the previous run's pipes have ended.
    fn wait_for_previous_output(&self) {
        let deadline = Instant::now() + PREVIOUS_OUTPUT;
        while self.open_sources.load(Ordering::Acquire) > 0 {
            if Instant::now() >= deadline {
                tracing::debug!("a process outside the program's tree holds its output pipes");
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Writes the state file again when the capture's counters changed since the last write.
    /// A failure is only logged: the counters are informative.
    fn record_capture(&mut self) {
        let Some(capture) = &self.capture else {
            return;
        };
        let stats = CaptureRecord::from(capture.stats());
        if self.recorded.as_ref() == Some(&stats) {
            return;
        }
        self.recorded = Some(stats);
        if let Err(error) = self.write_state() {
            tracing::debug!("cannot record the log capture counters: {error}");
        }
    }

    fn write_state(&self) -> Result<(), SuperviseError> {
        self.publish();
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
            // After the capture finished, its final counters are in `recorded`.
            capture: match &self.capture {
                Some(capture) => Some(capture.stats().into()),
                None => self.recorded.clone(),
            },
            last_restart_reason: self.restart_reason.clone(),
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

/// The announce hook's reason for a run that ended on its own.
fn exit_reason(status: ExitStatus) -> String {
    match status {
        ExitStatus::Code(code) => format!("the program exited with code {code}"),
        ExitStatus::Signal(signal) => format!("the program was killed by signal {signal}"),
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
