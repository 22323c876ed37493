//! What to run and how to keep it running: the program, its restart policy and its hooks.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Default grace period between the stop request and killing the tree.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The program to supervise.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramSpec {
    /// The executable (a path, or a name looked up in `PATH`).
    pub command: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Its working directory; the supervisor's own when `None`.
    pub cwd: Option<PathBuf>,
    /// Variables added to (or overriding) the inherited environment.
    pub env: Vec<(OsString, OsString)>,
    /// How long a graceful stop may take before the whole tree is killed.
    pub stop_timeout: Duration,
    /// The Unix signal number sent for a graceful stop (default `SIGTERM`, 15). Ignored on
    /// Windows, where the child's console receives Ctrl-C.
    pub stop_signal: i32,
    /// Scheduling priority; inherited when `None`.
    pub priority: Option<Priority>,
}

impl ProgramSpec {
    /// A program with no arguments, the default stop timeout and `SIGTERM`.
    pub fn new(command: impl Into<PathBuf>) -> Self {
        ProgramSpec {
            command: command.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            stop_signal: 15,
            priority: None,
        }
    }

    /// Appends an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the graceful stop timeout.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Sets the Unix stop signal number.
    pub fn stop_signal(mut self, signal: i32) -> Self {
        self.stop_signal = signal;
        self
    }

    /// Sets the scheduling priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }
}

/// A scheduling priority, mapped to a nice value on Unix and a priority class on Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Nice 19 / `IDLE_PRIORITY_CLASS`.
    Idle,
    /// Nice 10 / `BELOW_NORMAL_PRIORITY_CLASS`.
    BelowNormal,
    /// Nice 0 / `NORMAL_PRIORITY_CLASS`.
    Normal,
    /// Nice -5 / `ABOVE_NORMAL_PRIORITY_CLASS`.
    AboveNormal,
    /// Nice -10 / `HIGH_PRIORITY_CLASS`.
    High,
}

impl Priority {
    /// The Unix nice value for this priority.
    pub fn nice(self) -> i32 {
        match self {
            Priority::Idle => 19,
            Priority::BelowNormal => 10,
            Priority::Normal => 0,
            Priority::AboveNormal => -5,
            Priority::High => -10,
        }
    }
}

/// When the program is restarted after it exits on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartMode {
    /// Whatever the exit code.
    Always,
    /// Only when the exit code is not a success code (or the program died of a signal).
    #[default]
    OnFailure,
    /// Never: the supervisor ends when the program does.
    Never,
}

/// At most `burst` starts within `interval`; the next restart fails the service instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartLimit {
    /// Starts allowed within the interval.
    pub burst: u32,
    /// The sliding window.
    pub interval: Duration,
}

/// How restarts happen: which exits restart, how long to wait, and when to give up.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    /// Which exits restart.
    pub mode: RestartMode,
    /// Exit codes that count as success (default `[0]`).
    pub success_codes: Vec<u32>,
    /// The first delay before a restart (may be zero).
    pub delay: Duration,
    /// Each further consecutive restart waits `multiplier` times longer (at least 1.0).
    pub multiplier: f64,
    /// The cap on the delay.
    pub max_delay: Duration,
    /// Random jitter as a fraction of the delay, in `0.0..=1.0`: the delay actually waited lies
    /// in `[d * (1 - jitter), d]`, so it never exceeds `max_delay`.
    pub jitter: f64,
    /// The start limit; `None` restarts forever.
    pub start_limit: Option<StartLimit>,
    /// A run at least this long resets the backoff and the start-limit window.
    pub reset_after: Duration,
}

impl Default for RestartPolicy {
    /// `on-failure`, 100 ms growing ×2 to 30 s with 10 % jitter, 5 starts per 60 s, reset after
    /// 60 s of stable uptime.
    fn default() -> Self {
        RestartPolicy {
            mode: RestartMode::OnFailure,
            success_codes: vec![0],
            delay: Duration::from_millis(100),
            multiplier: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: 0.1,
            start_limit: Some(StartLimit {
                burst: 5,
                interval: Duration::from_secs(60),
            }),
            reset_after: Duration::from_secs(60),
        }
    }
}

/// A command run around the program's life.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// The executable.
    pub command: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Killed (and counted as failed) after this long.
    pub timeout: Duration,
}

impl Hook {
    /// A hook with no arguments and a 30 s timeout.
    pub fn new(command: impl Into<PathBuf>) -> Self {
        Hook {
            command: command.into(),
            args: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Optional commands run before each start and after each exit of the program. Hooks run on the
/// supervisor's loop: a stop request waits for a running hook (at most its timeout).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hooks {
    /// Runs before every start (including restarts); if it fails or times out, the start fails
    /// and the supervisor ends with [`FailReason::PreStartFailed`](crate::FailReason).
    pub pre_start: Option<Hook>,
    /// Runs after every exit of the program; its failure is reported but changes nothing.
    pub post_stop: Option<Hook>,
}
