//! One-call setup: a global tracing subscriber that writes where admins of the platform look.
//!
//! - Windows: the Event Log under the service's name, plus stderr (a console run sees it).
//! - Linux: journald if `/run/systemd/journal/socket` exists, else syslog at `/dev/log` if it
//!   exists, else stderr; plus stderr unless stderr already is the journal.
//!
//! A destination that cannot be opened is skipped for the next one; what went wrong is kept in
//! the [`Guard`] and logged (as a warning) to the destinations that work.

use crate::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use tracing::Level;

#[cfg(unix)]
#[path = "unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;

/// journald's native-protocol socket (tracing-journald always uses this path).
pub const JOURNALD_SOCKET: &str = "/run/systemd/journal/socket";

/// A place log events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Destination {
    /// The Windows Event Log.
    EventLog,
    /// journald, native protocol with structured fields.
    Journald,
    /// syslog over a unix socket.
    Syslog,
    /// Standard error, human-readable lines.
    Stderr,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Destination::EventLog => "event-log",
            Destination::Journald => "journald",
            Destination::Syslog => "syslog",
            Destination::Stderr => "stderr",
        })
    }
}

/// How to set up logging; [`LogOptions::new`] gives the defaults [`init`] uses.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// The service name: Event Log source, syslog tag, journald `SYSLOG_IDENTIFIER`.
    name: String,
    /// The syslog socket.
    syslog_socket: PathBuf,
    /// The most verbose level written anywhere.
    max_level: Level,
}

impl LogOptions {
    /// Defaults for the service `name`: syslog at `/dev/log`, INFO and above.
    pub fn new(name: impl Into<String>) -> LogOptions {
        LogOptions {
            name: name.into(),
            syslog_socket: PathBuf::from(crate::DEV_LOG),
            max_level: Level::INFO,
        }
    }

    /// Uses the syslog socket at `path` instead of `/dev/log` (Linux).
    pub fn syslog_socket(mut self, path: impl Into<PathBuf>) -> LogOptions {
        self.syslog_socket = path.into();
        self
    }

    /// Writes events up to `level` (default INFO).
    pub fn max_level(mut self, level: Level) -> LogOptions {
        self.max_level = level;
        self
    }

    /// The service name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What [`init`] set up. Keep it for the life of the program.
#[derive(Debug)]
#[must_use = "the guard tells where logs go; keep it for the life of the program"]
pub struct Guard {
    /// Where events go.
    destinations: Vec<Destination>,
    /// Destinations skipped, and why; or the reason nothing was installed.
    problems: Vec<Error>,
}

impl Guard {
    /// Where events go (empty if another subscriber was installed already).
    pub fn destinations(&self) -> &[Destination] {
        &self.destinations
    }

    /// What could not be set up.
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }
}

/// Sets up logging for the service `name` with the defaults; never fails (see [`Guard`]).
///
/// # Examples
///
/// ```no_run
/// let _log = steward_log::init("hello-service");
/// tracing::info!(event_id = 1000, "service started");
/// ```
pub fn init(name: &str) -> Guard {
    init_with(LogOptions::new(name))
}

/// Sets up logging as `options` say; never fails (see [`Guard`]).
pub fn init_with(options: LogOptions) -> Guard {
    let (destinations, mut problems) = sys::install(&options);
    if destinations.is_empty() {
        problems.push(Error::AlreadyInitialised);
    } else {
        for p in &problems {
            tracing::warn!(error = %crate::error_chain(p), "log destination skipped");
        }
    }
    Guard {
        destinations,
        problems,
    }
}

/// The Linux destinations to try, best first (stderr is always the last resort), and whether
/// stderr is written besides the first that works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxPlan {
    /// Candidates in order.
    pub candidates: Vec<Destination>,
    /// Also write to stderr: it is a terminal, a file or a pipe someone reads, not the journal.
    pub also_stderr: bool,
}

/// The Linux plan: journald if its socket exists, syslog if its socket exists, then stderr;
/// plus stderr unless stderr already is the journal (systemd's `JOURNAL_STREAM`), where a
/// second copy would only duplicate every line. A unit with `StandardError=append:FILE`, a
/// terminal or a pipe all keep their stderr copy.
pub fn linux_plan(journald: &Path, syslog: &Path, stderr_is_journal: bool) -> LinuxPlan {
    let mut candidates = Vec::new();
    if journald.exists() {
        candidates.push(Destination::Journald);
    }
    if syslog.exists() {
        candidates.push(Destination::Syslog);
    }
    candidates.push(Destination::Stderr);
    LinuxPlan {
        candidates,
        also_stderr: !stderr_is_journal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linux_plan_prefers_journald_then_syslog_then_stderr() {
        let dir = std::env::temp_dir().join(format!("steward-log-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let present = dir.join("present");
        std::fs::write(&present, b"").unwrap();
        let absent = dir.join("absent");
        use Destination::*;
        let plan = linux_plan(&present, &present, true);
        assert_eq!(plan.candidates, [Journald, Syslog, Stderr]);
        assert!(!plan.also_stderr, "stderr is the journal: no duplicate");
        assert_eq!(
            linux_plan(&absent, &present, false).candidates,
            [Syslog, Stderr]
        );
        assert!(linux_plan(&absent, &present, false).also_stderr);
        assert_eq!(linux_plan(&absent, &absent, false).candidates, [Stderr]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn destinations_print_as_words() {
        assert_eq!(Destination::EventLog.to_string(), "event-log");
        assert_eq!(Destination::Journald.to_string(), "journald");
    }
}
