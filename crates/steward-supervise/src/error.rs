//! The supervisor's error type.

use std::path::PathBuf;

/// Why supervising could not go on. A child that fails is not an error: it is an
/// [`Outcome::Failed`](crate::Outcome::Failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuperviseError {
    /// This platform has no supervisor backend yet.
    #[error("supervising a program is not supported on this platform yet: {0}")]
    Unsupported(&'static str),
    /// An operating system call the supervisor relies on failed.
    #[error("{what}: {source}")]
    Os {
        /// What the supervisor was doing.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The state file could not be written or read.
    #[error("state file {path}: {source}")]
    StateFile {
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The program spec is unusable (for example an empty command).
    #[error("invalid program: {0}")]
    InvalidSpec(String),
}

impl SuperviseError {
    pub(crate) fn os(what: &'static str, source: std::io::Error) -> Self {
        SuperviseError::Os { what, source }
    }
}
