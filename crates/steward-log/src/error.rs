//! The crate's error type.

use std::path::PathBuf;

/// What went wrong while setting up a log destination or registering an event source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The event source name cannot be a registry key name.
    #[error("invalid event source name {name:?}: {reason}")]
    InvalidSource {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The Windows Event Log does not exist on this platform.
    #[error("the windows event log is not available on this platform")]
    Unsupported,
    /// A Windows call failed.
    #[error("{operation} failed")]
    Os {
        /// The call and its subject.
        operation: String,
        /// The Win32 error.
        #[source]
        source: std::io::Error,
    },
    /// The syslog socket could not be reached.
    #[error("cannot connect to syslog at {path}: {message}")]
    Syslog {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// The journald socket could not be used.
    #[error("cannot connect to journald")]
    Journald(#[source] std::io::Error),
    /// Another global tracing subscriber is installed already.
    #[error("a global tracing subscriber is already set")]
    AlreadyInitialised,
}
