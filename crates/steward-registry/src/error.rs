//! Typed errors of the registry.

use std::path::PathBuf;

/// Everything that can go wrong talking to the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The configuration cannot be used as written.
    #[error("invalid registry config: {0}")]
    Config(String),
    /// A credentials, certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file that failed.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// etcd answered with an error or could not be reached.
    #[error("etcd: {0}")]
    Etcd(#[from] etcd_client::Error),
    /// An etcd request did not finish within its deadline.
    #[error("etcd request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The lease that held our keys no longer exists on the server.
    #[error("lease {0:x} lost")]
    LeaseLost(i64),
    /// A value could not be encoded as JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// etcd canceled or closed a watch (e.g. the revision was compacted).
    #[error("etcd ended the watch: {0}")]
    WatchEnded(String),
    /// The background task is gone (it ended or the handle was already used).
    #[error("registry task is not running")]
    Stopped,
    /// The background thread or its runtime could not be started.
    #[error("cannot start registry task: {0}")]
    Spawn(std::io::Error),
}

/// Result alias of this crate.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// Runs `fut` with a deadline, turning a timeout into [`RegistryError::Timeout`].
pub(crate) async fn deadline<T, F>(limit: std::time::Duration, fut: F) -> Result<T>
where
    F: std::future::Future<Output = Result<T, etcd_client::Error>>,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(RegistryError::from),
        Err(_) => Err(RegistryError::Timeout(limit)),
    }
}
