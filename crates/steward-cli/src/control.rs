//! `install`, `uninstall`, `start`, `stop`, `restart`, `status`: the config and the command line
//! become requests to this platform's [`ServiceManager`] (the SCM on Windows, systemd on Linux).

use std::path::PathBuf;
use std::time::Duration;

use steward::control::{
    ControlError, FailureAction, FailureActions, InstallMode, InstallRequest, Plan, ServiceManager,
    ServiceSidType, ServiceState, ServiceStatus, Setting,
};
use steward_config::Config;

use crate::cli::WaitArgs;

/// How long the control verbs wait when `--timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What `install` registers: this steward executable with `run --config <absolute config>`,
/// the config's names, start type and account (marked explicit when the config sets them), and
/// steward's hardening defaults (recovery restarts including non-crash failures, a service SID,
/// a stop timeout covering the supervisor's own stop).
pub fn install_request(config: &Config, executable: PathBuf) -> InstallRequest {
    let service = &config.service;
    InstallRequest {
        name: service.name.clone(),
        display_name: service.display_name.clone(),
        description: service.description.clone(),
        executable,
        arguments: vec![
            "run".into(),
            "--config".into(),
            config.file.to_string_lossy().into_owned(),
        ],
        // steward-config resolves to the install API's own types: handed over as they are.
        start: service.start.clone(),
        account: service.account.clone(),
        dependencies: Vec::new(),
        environment: Vec::new(),
        failure_actions: Some(Setting::default_value(FailureActions {
            actions: [1, 5, 30]
                .map(|secs| FailureAction::Restart(Duration::from_secs(secs)))
                .to_vec(),
            reset_period: Duration::from_secs(24 * 60 * 60),
            on_non_crash_failures: true,
        })),
        sid_type: Some(Setting::default_value(ServiceSidType::Unrestricted)),
        required_privileges: None,
        stop_timeout: Some(Setting::default_value(
            crate::run::grace(config) + Duration::from_secs(5),
        )),
    }
}

/// `install`: plans, then prints the plan (`--print`) or executes it.
pub fn install<M: ServiceManager>(
    manager: &M,
    request: &InstallRequest,
    force: bool,
    print: bool,
) -> Result<String, ControlError> {
    let mode = if force {
        InstallMode::CreateOrUpdate
    } else {
        InstallMode::CreateOnly
    };
    let plan = manager.plan_install(request, mode)?;
    if print {
        return Ok(printed_plan(&plan));
    }
    manager.execute(&plan)?;
    let done = if force {
        "installed or reconfigured"
    } else {
        "installed"
    };
    Ok(format!(
        "{done} service '{}': {} {}",
        request.name,
        request.executable.display(),
        request.arguments.join(" ")
    ))
}

/// The plan as `--print` shows it: the numbered steps, then every file a step would write (a
/// systemd unit) in full, under a `--- <path> ---` line.
fn printed_plan<A: serde::Serialize>(plan: &Plan<A>) -> String {
    let mut out = plan.to_string().trim_end().to_owned();
    for step in &plan.steps {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&step.action) else {
            continue;
        };
        if let Some(contents) = fields.get("contents").and_then(|v| v.as_str()) {
            let path = fields
                .get("path")
                .and_then(|v| v.as_str())
                .unwrap_or("file");
            out.push_str(&format!("\n--- {path} ---\n{}", contents.trim_end()));
        }
    }
    out
}

/// `uninstall NAME`.
pub fn uninstall<M: ServiceManager>(
    manager: &M,
    name: &str,
    timeout: Option<Duration>,
) -> Result<String, ControlError> {
    manager.uninstall(name, timeout.unwrap_or(DEFAULT_TIMEOUT))?;
    Ok(format!("uninstalled service '{name}'"))
}

/// The wait the user asked for: `--wait`, or any `--timeout`.
fn wait(args: &WaitArgs) -> Option<Duration> {
    (args.wait || args.timeout.is_some()).then(|| args.timeout.unwrap_or(DEFAULT_TIMEOUT))
}

/// `start NAME`.
pub fn start<M: ServiceManager>(
    manager: &M,
    name: &str,
    args: &WaitArgs,
) -> Result<String, ControlError> {
    let status = manager.start(name, wait(args))?;
    Ok(format!("started {}", describe(&status)))
}

/// `stop NAME`.
pub fn stop<M: ServiceManager>(
    manager: &M,
    name: &str,
    args: &WaitArgs,
) -> Result<String, ControlError> {
    let status = manager.stop(name, wait(args))?;
    Ok(format!("stopped {}", describe(&status)))
}

/// `restart NAME`: waits for the stop (a start cannot overlap it), then starts.
pub fn restart<M: ServiceManager>(
    manager: &M,
    name: &str,
    args: &WaitArgs,
) -> Result<String, ControlError> {
    let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
    match manager.stop(name, Some(timeout)) {
        Ok(_) | Err(ControlError::NotRunning(_)) => {}
        Err(error) => return Err(error),
    }
    let status = manager.start(name, wait(args))?;
    Ok(format!("restarted {}", describe(&status)))
}

/// A snake_case name as the JSON form spells it.
fn json_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// One line: `'web': running (pid 42), start auto, account NT AUTHORITY\LocalService, command ...`.
pub fn describe(status: &ServiceStatus) -> String {
    if !status.installed {
        return format!("'{}': not installed", status.name);
    }
    let mut line = format!("'{}': ", status.name);
    if let Some(state) = status.state {
        line.push_str(&json_name(state).replace('_', " "));
        if matches!(state, ServiceState::Stopped | ServiceState::Failed)
            && let Some(code) = status.service_exit_code.filter(|code| *code != 0)
        {
            line.push_str(&format!(" (exit code {code})"));
        }
    }
    if let Some(pid) = status.pid {
        line.push_str(&format!(" (pid {pid})"));
    }
    if let Some(start) = status.start_type {
        line.push_str(&format!(", start {}", json_name(start)));
    }
    if let Some(account) = &status.account {
        line.push_str(&format!(", account {account}"));
    }
    if let Some(command) = &status.command_line {
        line.push_str(&format!(", command {command}"));
    }
    line
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
