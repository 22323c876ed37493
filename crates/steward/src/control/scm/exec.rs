//! Executing a Windows plan step by step, all or nothing.

use std::io;

use super::api::{ERROR_INVALID_LEVEL, ScmApi, is, map_error};
use super::password::PasswordSource;
use super::plan::{ScmAction, ServiceConfig};
use crate::control::{ControlError, Origin, Plan, PlannedStep};

/// Runs every step of `plan` through `api`.
///
/// * A step the platform does not support (`ERROR_INVALID_LEVEL`) is skipped with a warning when
///   steward applies it by default, and fails the install ([`ControlError::Unsupported`]) when
///   the user asked for it.
/// * Any failure after `CreateServiceW` deletes the service just created, so nothing is left
///   half-installed; an Event Log source the install registered is removed with it. (An update with `--force` cannot be undone this way; the steps before the
///   failure stay applied, and the error says which one failed.)
pub fn execute<A: ScmApi + ?Sized>(
    api: &A,
    plan: &Plan<ScmAction>,
    passwords: &dyn PasswordSource,
) -> Result<(), ControlError> {
    let service = plan.service.as_str();
    let mut created = false;
    let mut source: Option<&str> = None;
    for step in &plan.steps {
        match run_step(api, service, step, passwords) {
            Ok(()) => match &step.action {
                ScmAction::CreateService(_) => created = true,
                ScmAction::RegisterEventSource { source: s, .. } => source = Some(s),
                _ => {}
            },
            Err(error) if is(&error, ERROR_INVALID_LEVEL) && step.origin == Origin::Default => {
                tracing::warn!(
                    service,
                    setting = step.action.setting(),
                    "skipping a default setting this platform does not support: {error}"
                );
            }
            Err(error) => {
                let error = step_error(service, step, error);
                if created {
                    rollback(api, service, source);
                }
                return Err(error);
            }
        }
    }
    Ok(())
}

/// One API call for one step.
fn run_step<A: ScmApi + ?Sized>(
    api: &A,
    service: &str,
    step: &PlannedStep<ScmAction>,
    passwords: &dyn PasswordSource,
) -> io::Result<()> {
    match &step.action {
        ScmAction::CreateService(config) => {
            let password = password_for(config, passwords)?;
            api.create_service(config, password.as_deref())
        }
        ScmAction::ChangeServiceConfig(config) => {
            // Built-in accounts take an empty password when the account changes.
            let password = password_for(config, passwords)?.unwrap_or_default();
            api.change_service_config(config, Some(&password))
        }
        ScmAction::ChangeConfig2(info) => api.change_service_config2(service, info),
        ScmAction::SetEnvironment(entries) => api.set_environment(service, entries),
        ScmAction::RegisterEventSource {
            source,
            message_file,
        } => api.register_event_source(source, message_file),
    }
}

/// Reads the password of a named account; `None` for built-in and virtual accounts.
fn password_for(
    config: &ServiceConfig,
    passwords: &dyn PasswordSource,
) -> io::Result<Option<String>> {
    match (&config.account, config.needs_password) {
        (Some(account), true) => passwords.password(account).map(Some),
        _ => Ok(None),
    }
}

/// The error of a failed step, naming its setting.
fn step_error(service: &str, step: &PlannedStep<ScmAction>, error: io::Error) -> ControlError {
    if is(&error, ERROR_INVALID_LEVEL) {
        return ControlError::Unsupported {
            service: service.to_owned(),
            setting: step.action.setting().to_owned(),
            source: error,
        };
    }
    match (&step.action, map_error(error, service, "install")) {
        (
            ScmAction::ChangeConfig2(_)
            | ScmAction::SetEnvironment(_)
            | ScmAction::RegisterEventSource { .. },
            ControlError::Os { source, .. },
        ) => ControlError::Os {
            service: service.to_owned(),
            operation: format!("set {}", step.action.setting()),
            source,
        },
        (_, mapped) => mapped,
    }
}

/// Deletes the service an install just created, and the Event Log source it registered; a
/// failure is logged, the original error wins.
fn rollback<A: ScmApi + ?Sized>(api: &A, service: &str, source: Option<&str>) {
    if let Some(source) = source
        && let Err(error) = api.remove_event_source(source)
    {
        tracing::error!(
            service,
            source,
            "could not remove the event log source of the half-installed service: {error}"
        );
    }
    if let Err(error) = api.delete_service(service) {
        tracing::error!(
            service,
            "could not remove the half-installed service: {error}"
        );
    }
}
