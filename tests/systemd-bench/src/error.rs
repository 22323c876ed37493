//! The bench's error type.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong while starting, driving or stopping the bench's user manager.
///
/// Messages are lowercase and name what is missing or what was waited for; when the manager is
/// involved they end with its recent log lines (read back from `/dev/kmsg`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The bench must run as root (it creates cgroups and bind-mounts over `/run/systemd`).
    #[error(
        "the systemd bench must run as root (it creates cgroups and a private mount namespace); euid is {euid}"
    )]
    NotRoot {
        /// The effective user id the test runs with.
        euid: u32,
    },
    /// A program or file the bench needs is not installed.
    #[error("{what} not found at {path}: {hint}")]
    Missing {
        /// What is missing, e.g. "systemd".
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// The command that installs it.
        hint: &'static str,
    },
    /// The machine's cgroup layout is not one the bench knows how to isolate a manager in.
    #[error("unsupported cgroup layout: {0}")]
    Cgroups(String),
    /// A file-system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What the bench was doing.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The manager process exited while the bench still needed it.
    #[error("the systemd user manager exited ({status}) {when}\n--- manager log ---\n{log}")]
    ManagerExited {
        /// Its exit status.
        status: ExitStatus,
        /// What the bench was doing when it noticed.
        when: String,
        /// The manager's recent log lines.
        log: String,
    },
    /// A condition did not become true before its deadline.
    #[error("timed out after {waited:?} waiting for {what}; last seen: {last}")]
    Timeout {
        /// The condition waited for.
        what: String,
        /// How long the bench waited.
        waited: Duration,
        /// The last observed state, for diagnosis.
        last: String,
    },
    /// `systemctl --user` exited unsuccessfully.
    #[error("`systemctl --user {args}` failed ({status}): {stderr}")]
    Systemctl {
        /// The arguments, joined with spaces.
        args: String,
        /// Its exit status.
        status: ExitStatus,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// `systemd-analyze verify` rejected a unit file or warned about it.
    #[error("systemd-analyze verify {path} ({status}): {diagnostics}")]
    Verify {
        /// The unit file.
        path: PathBuf,
        /// Its exit status (0 when it only warned).
        status: ExitStatus,
        /// Its diagnostics.
        diagnostics: String,
    },
    /// The manager has already been stopped.
    #[error("the systemd user manager has already been stopped")]
    Stopped,
}

impl BenchError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        BenchError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Shorthand for results of bench operations.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
