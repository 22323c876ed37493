//! What a user asks for when installing a service, independent of the platform.

use std::path::PathBuf;
use std::time::Duration;

use super::plan::Origin;

/// A value with where it came from (see [`Origin`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Explicit or default.
    pub origin: Origin,
}

impl<T> Setting<T> {
    /// A value the user asked for.
    pub fn explicit(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Explicit,
        }
    }

    /// A value steward chose.
    pub fn default_value(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Default,
        }
    }

    /// Whether the user asked for the value.
    pub fn is_explicit(&self) -> bool {
        self.origin == Origin::Explicit
    }
}

/// When the service starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartType {
    /// At boot (`SERVICE_AUTO_START`; systemd: enabled).
    Auto,
    /// At boot, after the other automatic services (`SERVICE_AUTO_START` plus delayed auto-start;
    /// systemd: enabled, ordered after `multi-user.target`).
    Delayed,
    /// Only when started (`SERVICE_DEMAND_START`; systemd: not enabled).
    Manual,
    /// Cannot be started (`SERVICE_DISABLED`; systemd: masked).
    Disabled,
}

/// The account the service runs as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Account {
    /// `LocalSystem`: full control of the machine. Never a default.
    LocalSystem,
    /// `NT AUTHORITY\LocalService`: least privilege, anonymous on the network. The default.
    LocalService,
    /// `NT AUTHORITY\NetworkService`: least privilege, the machine's identity on the network.
    NetworkService,
    /// The virtual account `NT SERVICE\<name>` (systemd: `DynamicUser=yes`).
    Virtual,
    /// A named account, `DOMAIN\user` (systemd: `User=`). Its password is never part of the
    /// request: backends read it from stdin or a prompt when they execute the plan.
    User(String),
}

/// What the service manager does when the service fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FailureAction {
    /// Restart the service after the delay.
    Restart(Duration),
    /// Do nothing.
    None,
}

/// Recovery settings: one action per consecutive failure (the last repeats), and the period
/// without failures after which the count resets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailureActions {
    /// Actions for the first, second, ... failure.
    pub actions: Vec<FailureAction>,
    /// Failure-free time after which the failure count resets.
    pub reset_period: Duration,
    /// Also act when the service stops with a non-zero exit code, not only when it crashes
    /// (`SERVICE_CONFIG_FAILURE_ACTIONS_FLAG`). steward services report failures that way.
    pub on_non_crash_failures: bool,
}

/// The service SID type (`SERVICE_CONFIG_SERVICE_SID_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ServiceSidType {
    /// No per-service SID.
    None,
    /// A per-service SID added to the process token: lets ACLs name the service.
    Unrestricted,
    /// A per-service SID plus a write-restricted token.
    Restricted,
}

/// Everything needed to install a service, on any platform.
///
/// Fields a platform cannot express are ignored by its backend only if they are defaults; an
/// explicit one the platform refuses fails the install.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstallRequest {
    /// The service's key name.
    pub name: String,
    /// The name shown in service lists.
    pub display_name: String,
    /// What the service does.
    pub description: Option<String>,
    /// The executable, as an absolute path.
    pub executable: PathBuf,
    /// Arguments passed to the executable (e.g. `run --config C:\app\steward.toml`).
    pub arguments: Vec<String>,
    /// When it starts.
    pub start: Setting<StartType>,
    /// Who it runs as.
    pub account: Setting<Account>,
    /// Services that must run first.
    pub dependencies: Vec<String>,
    /// Environment variables for the service process.
    pub environment: Vec<(String, String)>,
    /// Recovery on failure.
    pub failure_actions: Option<Setting<FailureActions>>,
    /// Service SID type (Windows).
    pub sid_type: Option<Setting<ServiceSidType>>,
    /// The privileges the service keeps (Windows `SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO`);
    /// all others are removed from its token.
    pub required_privileges: Option<Setting<Vec<String>>>,
    /// How long the service may take to stop at system shutdown (Windows preshutdown timeout;
    /// systemd `TimeoutStopSec=`).
    pub stop_timeout: Option<Setting<Duration>>,
}
