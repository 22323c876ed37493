//! The Windows backend of [`ServiceManager`](crate::control::ServiceManager): the Service Control
//! Manager API, driven through a plan.
//!
//! An [`InstallRequest`] becomes a [`Plan`] of [`ScmAction`]s (`CreateServiceW` or, with
//! `--force`, `ChangeServiceConfigW`; then one `ChangeServiceConfig2W` level per setting; then the
//! `Environment` registry value). [`Scm`] executes it through an [`ScmApi`]: the real one on
//! Windows, a recording one in tests, so everything above the OS calls is tested on Linux.
//!
//! # Platform caveats
//!
//! Older Windows versions and Wine do not know every `ChangeServiceConfig2W` level: they answer
//! `ERROR_INVALID_LEVEL` (124). A setting the user asked for explicitly then fails the install,
//! which is rolled back ([`ControlError::Unsupported`]); a hardening default steward adds on its
//! own (service SID type, the failure-actions flag) is skipped with a warning. Wine refuses
//! delayed auto-start, service SID type, required privileges and the failure-actions flag.

mod api;
mod command_line;
mod exec;
mod lifecycle;
mod password;
mod plan;
#[cfg(test)]
mod tests;
#[cfg(windows)]
mod windows;

use std::time::Duration;

pub use api::{RawConfig, RawStatus, ScmApi};
pub use command_line::{MAX_NAME_LEN, executable_of, image_path, validate_name};
pub use lifecycle::state_name;
pub use password::{PasswordSource, Passwords};
pub use plan::{Config2, ScAction, ScmAction, ServiceConfig, WinStartType};
#[cfg(windows)]
pub use windows::{Win32Api, native};

use crate::control::{
    ControlError, InstallMode, InstallRequest, Plan, ServiceManager, ServiceStatus,
};

/// How often waits poll the service's state.
pub const DEFAULT_POLL: Duration = Duration::from_millis(50);

/// The Windows service manager over an [`ScmApi`].
///
/// # Examples
///
/// ```no_run
/// // On Windows, `steward::control::native()` returns `Scm<Win32Api>`.
/// use steward::control::{ServiceManager, native};
/// let status = native().status("hello-service")?;
/// println!("installed: {}", status.installed);
/// # Ok::<(), steward::control::ControlError>(())
/// ```
pub struct Scm<A: ScmApi> {
    api: A,
    passwords: Box<dyn PasswordSource + Send + Sync>,
    poll: Duration,
}

impl<A: ScmApi> Scm<A> {
    /// A manager over `api` that refuses named accounts (see [`Scm::with_passwords`]) and polls
    /// every [`DEFAULT_POLL`].
    pub fn new(api: A) -> Self {
        Scm {
            api,
            passwords: Box::new(Passwords::Refuse),
            poll: DEFAULT_POLL,
        }
    }

    /// Where the password of a `DOMAIN\user` account comes from when a plan executes.
    pub fn with_passwords(
        mut self,
        passwords: impl PasswordSource + Send + Sync + 'static,
    ) -> Self {
        self.passwords = Box::new(passwords);
        self
    }

    /// How often waits poll the state.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The API this manager calls.
    pub fn api(&self) -> &A {
        &self.api
    }
}

impl<A: ScmApi> ServiceManager for Scm<A> {
    type Action = ScmAction;

    fn plan_install(
        &self,
        request: &InstallRequest,
        mode: InstallMode,
    ) -> Result<Plan<ScmAction>, ControlError> {
        validate_name(&request.name)?;
        let update = match mode {
            InstallMode::CreateOnly => false,
            InstallMode::CreateOrUpdate => self.status(&request.name)?.installed,
        };
        plan::plan_install(request, update)
    }

    fn execute(&self, plan: &Plan<ScmAction>) -> Result<(), ControlError> {
        exec::execute(&self.api, plan, self.passwords.as_ref())
    }

    fn uninstall(&self, name: &str, stop_timeout: Duration) -> Result<(), ControlError> {
        lifecycle::uninstall(&self.api, name, stop_timeout, self.poll)
    }

    fn start(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        lifecycle::start(&self.api, name, wait, self.poll)
    }

    fn stop(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        lifecycle::stop(&self.api, name, wait, self.poll)
    }

    fn status(&self, name: &str) -> Result<ServiceStatus, ControlError> {
        lifecycle::status(&self.api, name)
    }
}
