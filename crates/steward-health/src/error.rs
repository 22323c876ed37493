//! Typed errors of the health crate.

use std::path::PathBuf;

/// Why a check specification or the monitor could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// A check's specification is invalid (empty argv, zero threshold, bad status range...).
    #[error("health check {check:?}: {reason}")]
    InvalidCheck {
        /// The check's name.
        check: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two checks share one name; results and metrics are keyed by it.
    #[error("health check name {0:?} is used twice")]
    DuplicateName(String),
    /// The watchdog/notify socket could not be created.
    #[error("cannot create notify socket {path}: {source}")]
    NotifySocket {
        /// The socket's path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The notify socket has no backend on this platform (both Unix and Windows have one).
    #[error("the notify/watchdog socket is not supported on this platform yet")]
    Unsupported,
    /// A monitor thread could not be started.
    #[error("cannot start health monitor thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Why [`crate::HealthHandle::wait_ready`] returned without the program being ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WaitReadyError {
    /// The deadline passed first.
    #[error("program not ready within the start timeout")]
    Timeout,
    /// A liveness check or the watchdog failed while waiting.
    #[error("program failed while starting: {0}")]
    Failed(String),
    /// The monitor was stopped while waiting.
    #[error("health monitor stopped")]
    Stopped,
}
