//! Putting a service on a machine and controlling it: install, uninstall, start, stop, restart,
//! status, through the platform's own service manager (the SCM API on Windows, systemd on Linux).
//!
//! The options a user gives ([`InstallRequest`]) resolve into a [`Plan`]: a list of steps that can
//! be printed (`--print`, `--dry-run`) without changing anything, and that a backend executes step
//! by step, undoing what it did if a step fails.

mod error;
mod native;
mod plan;
#[cfg(any(test, feature = "testing"))]
pub mod recording;
mod request;
mod status;

pub mod scm;
#[cfg(unix)]
pub mod systemd;

pub use error::ControlError;
#[cfg(any(windows, unix))]
pub use native::native;
pub use status::{ServiceState, ServiceStatus, account_name};

pub use plan::{Origin, Plan, PlannedStep};
pub use request::{
    Account, FailureAction, FailureActions, InstallRequest, ServiceSidType, Setting, StartType,
};

use std::time::Duration;

/// Whether installing over an existing service is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallMode {
    /// Fail if the service exists.
    CreateOnly,
    /// Reconfigure an existing service in place (`--force`).
    CreateOrUpdate,
}

/// A platform's service manager. Each backend (Windows SCM, systemd) implements it; the verbs of
/// the `steward` command and of services built on the library go through it.
pub trait ServiceManager {
    /// The backend's plan steps.
    type Action: std::fmt::Debug + serde::Serialize;

    /// Resolves a request into the steps an install would take, without changing anything.
    fn plan_install(
        &self,
        request: &InstallRequest,
        mode: InstallMode,
    ) -> Result<Plan<Self::Action>, ControlError>;

    /// Executes a plan step by step; if a step fails, undoes what the plan did and returns the
    /// error naming the step.
    fn execute(&self, plan: &Plan<Self::Action>) -> Result<(), ControlError>;

    /// Stops the service if it runs (waiting at most `stop_timeout`), then removes it.
    fn uninstall(&self, name: &str, stop_timeout: Duration) -> Result<(), ControlError>;

    /// Starts the service; with `wait`, blocks until it runs (or fails) within that time.
    fn start(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError>;

    /// Stops the service; with `wait`, blocks until it has stopped within that time.
    fn stop(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError>;

    /// The service's status; a service that is not installed is a status, not an error.
    fn status(&self, name: &str) -> Result<ServiceStatus, ControlError>;
}
