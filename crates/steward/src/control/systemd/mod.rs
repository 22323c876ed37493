//! The systemd backend: services as `Type=notify` units of the system manager (`systemctl`) or
//! of a user manager (`systemctl --user`).
//!
//! An install renders a unit file from the template `templates/systemd/service.j2` (see
//! [`render_unit`] for how accounts and start types map), writes it atomically, reloads the
//! manager and enables it; if a step fails, what was done is undone. Status comes from
//! `systemctl show`.
//!
//! # Examples
//!
//! Print what an install would do, without changing anything (`install --print`):
//!
//! ```no_run
//! use steward::control::systemd::Systemd;
//! use steward::control::{Account, InstallMode, InstallRequest, ServiceManager, Setting, StartType};
//!
//! let request = InstallRequest {
//!     name: "hello".into(),
//!     display_name: "Hello".into(),
//!     description: Some("Says hello".into()),
//!     executable: "/opt/hello/hello-service".into(),
//!     arguments: vec![],
//!     start: Setting::default_value(StartType::Auto),
//!     account: Setting::default_value(Account::LocalService),
//!     dependencies: vec![],
//!     environment: vec![],
//!     failure_actions: None,
//!     sid_type: None,
//!     required_privileges: None,
//!     stop_timeout: None,
//! };
//! let systemd = Systemd::system();
//! let plan = systemd.plan_install(&request, InstallMode::CreateOnly)?;
//! print!("{plan}{}", systemd.render(&request)?);
//! # Ok::<(), steward::control::ControlError>(())
//! ```

mod install;
mod options;
mod status;
mod systemctl;
mod unit;
mod verbs;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use install::SystemdAction;
pub use options::{Hardening, RestartPolicy, Scope, SystemdOptions};
pub use unit::render_unit;

use super::{ControlError, InstallMode, InstallRequest, Plan, ServiceManager, ServiceStatus};
use systemctl::Systemctl;

/// Where the system manager's administrator units live.
pub const SYSTEM_UNIT_DIR: &str = "/etc/systemd/system";

/// The environment variable [`Systemd::from_env`] reads: `user` selects the user scope.
pub const SCOPE_ENV: &str = "STEWARD_SYSTEMD_SCOPE";

/// This machine's service manager: [`Systemd::from_env`] (the system manager, or the calling
/// user's manager when `STEWARD_SYSTEMD_SCOPE=user`).
pub fn native() -> Systemd {
    Systemd::from_env()
}

/// A systemd manager, system or user scope, with the options new units get.
///
/// The system scope needs root for everything but `status` and planning; the user scope acts on
/// the manager of the calling user (or whichever manager the extra environment points
/// `systemctl --user` at, see [`Systemd::env`]).
#[derive(Debug, Clone)]
pub struct Systemd {
    unit_dir: PathBuf,
    options: SystemdOptions,
    systemctl: Systemctl,
}

impl Systemd {
    fn new(scope: Scope, unit_dir: PathBuf) -> Self {
        Systemd {
            unit_dir,
            options: SystemdOptions::default(),
            systemctl: Systemctl {
                program: "systemctl".into(),
                scope,
                env: Vec::new(),
                env_remove: Vec::new(),
            },
        }
    }

    /// The system manager: units in [`SYSTEM_UNIT_DIR`], `systemctl` without `--user`.
    pub fn system() -> Self {
        Systemd::new(Scope::System, SYSTEM_UNIT_DIR.into())
    }

    /// A user manager (`systemctl --user`) loading units from `unit_dir`.
    pub fn user(unit_dir: impl Into<PathBuf>) -> Self {
        Systemd::new(Scope::User, unit_dir.into())
    }

    /// The calling user's manager, units in `$XDG_CONFIG_HOME/systemd/user` (by default
    /// `~/.config/systemd/user`).
    pub fn user_default() -> Self {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from(".config"));
        Systemd::user(config.join("systemd/user"))
    }

    /// The system scope, or the user scope ([`Systemd::user_default`]) when the environment
    /// variable `STEWARD_SYSTEMD_SCOPE` is `user`.
    pub fn from_env() -> Self {
        Systemd::for_scope_setting(std::env::var(SCOPE_ENV).ok().as_deref())
    }

    fn for_scope_setting(setting: Option<&str>) -> Self {
        match setting {
            Some("user") => Systemd::user_default(),
            _ => Systemd::system(),
        }
    }

    /// Uses `options` for units this manager installs.
    pub fn with_options(mut self, options: SystemdOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets an environment variable for every `systemctl` this manager runs (e.g.
    /// `XDG_RUNTIME_DIR` to reach a particular user manager).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.systemctl.env.push((key.into(), value.into()));
        self
    }

    /// Removes an inherited environment variable from every `systemctl` this manager runs (e.g.
    /// `DBUS_SESSION_BUS_ADDRESS`, so `systemctl --user` uses the manager's private socket).
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.systemctl.env_remove.push(key.into());
        self
    }

    /// Runs `program` instead of the `systemctl` found in `PATH`.
    pub fn systemctl_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.systemctl.program = program.into();
        self
    }

    /// The scope.
    pub fn scope(&self) -> Scope {
        self.systemctl.scope
    }

    /// The directory unit files are written to.
    pub fn unit_dir(&self) -> &Path {
        &self.unit_dir
    }

    /// The options new units get.
    pub fn options(&self) -> &SystemdOptions {
        &self.options
    }

    /// Where the unit file of `service` is written: `<unit dir>/<service>.service`.
    pub fn unit_path(&self, service: &str) -> PathBuf {
        self.unit_dir.join(unit::unit_name(service))
    }

    /// Validates `request` and renders its unit file (for `install --print`).
    pub fn render(&self, request: &InstallRequest) -> Result<String, ControlError> {
        unit::validate(request, self.scope())?;
        Ok(render_unit(request, &self.options, self.scope()))
    }

    /// Fails with [`ControlError::AccessDenied`] naming `operation` when the system scope is
    /// used without root.
    fn require_privilege(
        &self,
        operation: &'static str,
        service: &str,
    ) -> Result<(), ControlError> {
        // SAFETY: geteuid(2) takes no arguments and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if self.scope() == Scope::System && euid != 0 {
            return Err(ControlError::AccessDenied {
                privileged: "root",
                operation,
                service: service.to_owned(),
            });
        }
        Ok(())
    }
}

impl ServiceManager for Systemd {
    type Action = SystemdAction;

    fn plan_install(
        &self,
        request: &InstallRequest,
        mode: InstallMode,
    ) -> Result<Plan<SystemdAction>, ControlError> {
        install::plan(self, request, mode)
    }

    fn execute(&self, plan: &Plan<SystemdAction>) -> Result<(), ControlError> {
        self.require_privilege("install", &plan.service)?;
        install::execute(self, plan)
    }

    fn uninstall(&self, name: &str, stop_timeout: Duration) -> Result<(), ControlError> {
        unit::validate_name(name)?;
        self.require_privilege("uninstall", name)?;
        verbs::uninstall(self, name, stop_timeout)
    }

    fn start(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        unit::validate_name(name)?;
        self.require_privilege("start", name)?;
        verbs::start(self, name, wait)
    }

    fn stop(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        unit::validate_name(name)?;
        self.require_privilege("stop", name)?;
        verbs::stop(self, name, wait)
    }

    fn status(&self, name: &str) -> Result<ServiceStatus, ControlError> {
        unit::validate_name(name)?;
        Ok(verbs::properties(self, name)?.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_setting_selects_the_user_manager() {
        assert_eq!(Systemd::for_scope_setting(None).scope(), Scope::System);
        assert_eq!(
            Systemd::for_scope_setting(Some("system")).scope(),
            Scope::System
        );
        let user = Systemd::for_scope_setting(Some("user"));
        assert_eq!(user.scope(), Scope::User);
        assert!(
            user.unit_dir().ends_with("systemd/user"),
            "{:?}",
            user.unit_dir()
        );
        assert_eq!(
            Systemd::system().unit_path("hello"),
            Path::new("/etc/systemd/system/hello.service")
        );
    }
}
