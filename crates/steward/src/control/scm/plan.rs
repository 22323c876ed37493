//! The Windows install plan: what an [`InstallRequest`] becomes as SCM calls, computed without
//! touching the machine.

use std::path::PathBuf;
use std::time::Duration;

use super::command_line::{image_path, validate_name};
use crate::control::{
    Account, ControlError, FailureAction, InstallRequest, Origin, Plan, ServiceSidType, StartType,
    account_name,
};

/// The start type `CreateServiceW`/`ChangeServiceConfigW` take (delayed auto-start is a separate
/// `ChangeServiceConfig2W` level on top of [`WinStartType::Auto`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WinStartType {
    /// `SERVICE_AUTO_START` (2).
    Auto,
    /// `SERVICE_DEMAND_START` (3).
    Demand,
    /// `SERVICE_DISABLED` (4).
    Disabled,
}

impl WinStartType {
    /// The raw `SERVICE_*_START` value.
    pub fn to_raw(self) -> u32 {
        match self {
            WinStartType::Auto => 2,
            WinStartType::Demand => 3,
            WinStartType::Disabled => 4,
        }
    }
}

/// The arguments of `CreateServiceW` / `ChangeServiceConfigW` (an own-process service with
/// normal error control).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceConfig {
    /// The key name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// The full image path: the quoted executable followed by the quoted arguments.
    pub command_line: String,
    /// The start type.
    pub start_type: WinStartType,
    /// The account (`lpServiceStartName`); `None` means LocalSystem.
    pub account: Option<String>,
    /// Whether the account needs a password, read from the [`PasswordSource`] at execution time.
    ///
    /// [`PasswordSource`]: super::PasswordSource
    pub needs_password: bool,
    /// Services that must run first (`lpDependencies`).
    pub dependencies: Vec<String>,
}

/// One `SC_ACTION` of the failure actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScAction {
    /// `SC_ACTION_RESTART` after the delay in milliseconds.
    Restart {
        /// The delay, in milliseconds.
        delay_ms: u32,
    },
    /// `SC_ACTION_NONE`.
    None,
}

/// A `ChangeServiceConfig2W` call: one information level with its data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Config2 {
    /// `SERVICE_CONFIG_DESCRIPTION`.
    Description(String),
    /// `SERVICE_CONFIG_DELAYED_AUTO_START_INFO`.
    DelayedAutoStart(bool),
    /// `SERVICE_CONFIG_FAILURE_ACTIONS`.
    FailureActions {
        /// `dwResetPeriod`, in seconds.
        reset_period_secs: u32,
        /// The actions for the first, second, ... failure.
        actions: Vec<ScAction>,
    },
    /// `SERVICE_CONFIG_FAILURE_ACTIONS_FLAG`: act on non-crash failures too.
    FailureActionsFlag(bool),
    /// `SERVICE_CONFIG_SERVICE_SID_INFO`.
    ServiceSidType(ServiceSidType),
    /// `SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO`.
    RequiredPrivileges(Vec<String>),
    /// `SERVICE_CONFIG_PRESHUTDOWN_INFO`, in milliseconds.
    PreshutdownTimeout(u32),
}

impl Config2 {
    /// The setting's name as users know it, for error messages.
    pub fn setting(&self) -> &'static str {
        match self {
            Config2::Description(_) => "description",
            Config2::DelayedAutoStart(_) => "delayed auto-start",
            Config2::FailureActions { .. } => "failure actions",
            Config2::FailureActionsFlag(_) => "failure actions on non-crash failures",
            Config2::ServiceSidType(_) => "service SID type",
            Config2::RequiredPrivileges(_) => "required privileges",
            Config2::PreshutdownTimeout(_) => "preshutdown timeout",
        }
    }
}

/// One step of the Windows plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScmAction {
    /// `CreateServiceW`.
    CreateService(ServiceConfig),
    /// `ChangeServiceConfigW` on an existing service (`--force`).
    ChangeServiceConfig(ServiceConfig),
    /// `ChangeServiceConfig2W` with one level.
    ChangeConfig2(Config2),
    /// The `Environment` value (`REG_MULTI_SZ`, `KEY=value` entries) under the service's key.
    SetEnvironment(Vec<String>),
    /// The Event Log source of the service (`EventLog\Application\<source>`), whose
    /// `EventMessageFile` is the service's executable (it carries steward's message table).
    RegisterEventSource {
        /// The source name: the service name.
        source: String,
        /// The executable registered as the `EventMessageFile`.
        message_file: PathBuf,
    },
}

impl ScmAction {
    /// The setting or operation the step performs, for error messages.
    pub fn setting(&self) -> &'static str {
        match self {
            ScmAction::CreateService(_) => "create the service",
            ScmAction::ChangeServiceConfig(_) => "change the service configuration",
            ScmAction::ChangeConfig2(info) => info.setting(),
            ScmAction::SetEnvironment(_) => "environment",
            ScmAction::RegisterEventSource { .. } => "event log source",
        }
    }
}

/// Builds the plan for `request`; `exists` says whether a service by that name is installed, which
/// decides between create and (with `force`) change-in-place.
pub fn plan_install(
    request: &InstallRequest,
    force_update: bool,
) -> Result<Plan<ScmAction>, ControlError> {
    validate_name(&request.name)?;
    let name = request.name.as_str();
    let config = service_config(request)?;
    let mut plan = Plan::new(name);
    let account = config
        .account
        .as_deref()
        .unwrap_or("LocalSystem")
        .to_owned();
    if force_update {
        plan.push(
            Origin::Explicit,
            format!(
                "change service '{name}': {} ({:?}, account {account})",
                config.command_line, config.start_type
            ),
            ScmAction::ChangeServiceConfig(config),
        );
    } else {
        plan.push(
            Origin::Explicit,
            format!(
                "create service '{name}': {} ({:?}, account {account})",
                config.command_line, config.start_type
            ),
            ScmAction::CreateService(config),
        );
    }
    plan.push(
        Origin::Default,
        format!(
            "register event log source '{name}': EventMessageFile {}",
            request.executable.display()
        ),
        ScmAction::RegisterEventSource {
            source: name.to_owned(),
            message_file: request.executable.clone(),
        },
    );
    push_config2_steps(&mut plan, request);
    if !request.environment.is_empty() {
        // The summary names the keys only: values may be secrets.
        let keys: Vec<&str> = request
            .environment
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        let entries = request
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        plan.push(
            Origin::Explicit,
            format!("set environment: {}", keys.join(", ")),
            ScmAction::SetEnvironment(entries),
        );
    }
    Ok(plan)
}

/// The `CreateServiceW` arguments of a request.
fn service_config(request: &InstallRequest) -> Result<ServiceConfig, ControlError> {
    let start_type = match request.start.value {
        StartType::Auto | StartType::Delayed => WinStartType::Auto,
        StartType::Manual => WinStartType::Demand,
        StartType::Disabled => WinStartType::Disabled,
    };
    let (account, needs_password) = match &request.account.value {
        Account::LocalSystem => (None, false),
        Account::User(user) => (Some(user.clone()), true),
        other => (Some(account_name(other, &request.name)), false),
    };
    Ok(ServiceConfig {
        name: request.name.clone(),
        display_name: request.display_name.clone(),
        command_line: image_path(&request.name, &request.executable, &request.arguments)?,
        start_type,
        account,
        needs_password,
        dependencies: request.dependencies.clone(),
    })
}

/// The `ChangeServiceConfig2W` steps, each with the origin of its setting.
fn push_config2_steps(plan: &mut Plan<ScmAction>, request: &InstallRequest) {
    let mut push = |origin: Origin, summary: String, info: Config2| {
        plan.push(origin, summary, ScmAction::ChangeConfig2(info));
    };
    if let Some(description) = &request.description {
        push(
            Origin::Explicit,
            format!("set description: {description}"),
            Config2::Description(description.clone()),
        );
    }
    if request.start.value == StartType::Delayed {
        push(
            request.start.origin,
            "set delayed auto-start".into(),
            Config2::DelayedAutoStart(true),
        );
    }
    if let Some(failure) = &request.failure_actions {
        let actions: Vec<ScAction> = failure.value.actions.iter().map(sc_action).collect();
        push(
            failure.origin,
            format!("set failure actions: {}", describe_actions(&actions)),
            Config2::FailureActions {
                reset_period_secs: secs(failure.value.reset_period),
                actions,
            },
        );
        push(
            failure.origin,
            format!(
                "set failure actions on non-crash failures: {}",
                failure.value.on_non_crash_failures
            ),
            Config2::FailureActionsFlag(failure.value.on_non_crash_failures),
        );
    }
    if let Some(sid) = &request.sid_type {
        push(
            sid.origin,
            format!("set service SID type: {:?}", sid.value).to_lowercase(),
            Config2::ServiceSidType(sid.value),
        );
    }
    if let Some(privileges) = &request.required_privileges {
        push(
            privileges.origin,
            format!("set required privileges: {}", privileges.value.join(", ")),
            Config2::RequiredPrivileges(privileges.value.clone()),
        );
    }
    if let Some(timeout) = &request.stop_timeout {
        push(
            timeout.origin,
            format!("set preshutdown timeout: {:?}", timeout.value),
            Config2::PreshutdownTimeout(millis(timeout.value)),
        );
    }
}

/// The `SC_ACTION` of a failure action.
fn sc_action(action: &FailureAction) -> ScAction {
    match action {
        FailureAction::Restart(delay) => ScAction::Restart {
            delay_ms: millis(*delay),
        },
        FailureAction::None => ScAction::None,
    }
}

/// `restart after 1000 ms, none, ...` for plan summaries.
fn describe_actions(actions: &[ScAction]) -> String {
    let parts: Vec<String> = actions
        .iter()
        .map(|a| match a {
            ScAction::Restart { delay_ms } => format!("restart after {delay_ms} ms"),
            ScAction::None => "none".into(),
        })
        .collect();
    parts.join(", ")
}

/// Milliseconds, saturating at `u32::MAX`.
fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// Whole seconds, saturating at `u32::MAX`.
fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}
