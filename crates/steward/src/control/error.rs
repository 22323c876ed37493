//! Errors of install and control operations: each names the service, the operation or setting,
//! and the OS error, in one line.

use std::time::Duration;

/// Why an install or control operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The caller lacks the rights (not elevated / not root).
    #[error("access denied: run as {privileged} to {operation} {service}")]
    AccessDenied {
        /// Who may do it on this platform: `Administrator` (Windows) or `root` (systemd's
        /// system scope).
        privileged: &'static str,
        /// What was attempted (`install`, `start`, ...).
        operation: &'static str,
        /// The service.
        service: String,
    },
    /// No service by that name.
    #[error("service '{0}' is not installed")]
    NotInstalled(String),
    /// A service by that name exists already (use the update mode to reconfigure it).
    #[error("service '{0}' is already installed (use --force to reconfigure it)")]
    AlreadyInstalled(String),
    /// The name is not a valid service name.
    #[error("invalid service name '{name}': {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Start of a running service.
    #[error("service '{0}' is already running")]
    AlreadyRunning(String),
    /// Stop of a stopped service.
    #[error("service '{0}' is not running")]
    NotRunning(String),
    /// The platform refused a setting the user asked for explicitly; the install was rolled back.
    #[error(
        "cannot set {setting} on service '{service}': this platform does not support it ({source}); nothing was installed"
    )]
    Unsupported {
        /// The service.
        service: String,
        /// The setting, as the user named it.
        setting: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A step failed; the install was rolled back.
    #[error("cannot {operation} for service '{service}': {source}")]
    Os {
        /// The service.
        service: String,
        /// The operation or setting.
        operation: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A wait ran out.
    #[error("service '{service}' did not reach {wanted} within {timeout:?} (it is {current})")]
    Timeout {
        /// The service.
        service: String,
        /// The state waited for.
        wanted: String,
        /// The state it was in at the deadline.
        current: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// A service manager tool (e.g. `systemctl`) failed.
    #[error("{command} failed for service '{service}': {message}")]
    Tool {
        /// The service.
        service: String,
        /// The command line that failed.
        command: String,
        /// Its error output, one line.
        message: String,
    },
}
