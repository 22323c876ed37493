//! `systemctl show` output, parsed into a [`ServiceStatus`].

use std::collections::HashMap;
use std::path::PathBuf;

use crate::control::{ServiceState, ServiceStatus, StartType};

/// The properties `status` asks `systemctl show` for.
pub(crate) const PROPERTIES: &str = "LoadState,ActiveState,SubState,Result,MainPID,ExecMainStatus,\
UnitFileState,FragmentPath,ExecStart,User,DynamicUser,RefuseManualStart,After,NRestarts";

/// `Key=Value` lines into a map (values may contain `=`).
pub(crate) fn parse_properties(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Whether the manager knows a unit file for the unit (`LoadState` other than `not-found`).
pub(crate) fn is_installed(props: &HashMap<String, String>) -> bool {
    let load = props.get("LoadState").map_or("", String::as_str);
    let fragment = props.get("FragmentPath").map_or("", String::as_str);
    !matches!(load, "" | "not-found") || !fragment.is_empty()
}

/// Maps `ActiveState` to a [`ServiceState`].
pub(crate) fn state(active_state: &str) -> Option<ServiceState> {
    Some(match active_state {
        "active" | "reloading" | "refreshing" => ServiceState::Running,
        "activating" => ServiceState::StartPending,
        "deactivating" => ServiceState::StopPending,
        "inactive" | "maintenance" => ServiceState::Stopped,
        "failed" => ServiceState::Failed,
        _ => return None,
    })
}

/// The start type as steward installs it: masked or `RefuseManualStart=yes` is `disabled`,
/// enabled and ordered after the default target is `delayed`.
fn start_type(props: &HashMap<String, String>) -> Option<StartType> {
    let get = |k: &str| props.get(k).map_or("", String::as_str);
    if get("UnitFileState").starts_with("masked") || get("RefuseManualStart") == "yes" {
        return Some(StartType::Disabled);
    }
    match get("UnitFileState") {
        "enabled" | "enabled-runtime" | "alias" | "linked" => {
            let after = get("After").split_whitespace();
            let delayed = after
                .clone()
                .any(|u| u == "multi-user.target" || u == "default.target");
            Some(if delayed {
                StartType::Delayed
            } else {
                StartType::Auto
            })
        }
        "disabled" | "static" | "indirect" | "generated" | "transient" => Some(StartType::Manual),
        _ => None,
    }
}

/// `ExecStart={ path=/usr/bin/x ; argv[]=/usr/bin/x a b ; ignore_errors=no ; ... }` into the
/// path and the command line.
fn exec_start(value: &str) -> (Option<PathBuf>, Option<String>) {
    let field = |name: &str| {
        value
            .split(" ; ")
            .map(|f| f.trim_start_matches("{ ").trim())
            .find_map(|f| f.strip_prefix(name))
            .map(str::to_owned)
    };
    (field("path=").map(PathBuf::from), field("argv[]="))
}

/// Builds the status of `name` from its `systemctl show` properties.
pub(crate) fn status_from_properties(name: &str, props: &HashMap<String, String>) -> ServiceStatus {
    if !is_installed(props) {
        return ServiceStatus::not_installed(name);
    }
    let get = |k: &str| props.get(k).map_or("", String::as_str);
    let (binary_path, command_line) = exec_start(get("ExecStart"));
    let account = match (get("User"), get("DynamicUser")) {
        ("", "yes") => Some(format!("dynamic user {name}")),
        ("", _) => None,
        (user, _) => Some(user.to_owned()),
    };
    ServiceStatus {
        name: name.to_owned(),
        installed: true,
        state: state(get("ActiveState")),
        pid: get("MainPID").parse().ok().filter(|&p| p != 0),
        start_type: start_type(props),
        account,
        binary_path,
        command_line,
        win32_exit_code: Some(0),
        service_exit_code: get("ExecMainStatus").parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: &str = "LoadState=loaded\nActiveState=active\nSubState=running\nResult=success\n\
MainPID=4242\nExecMainStatus=0\nUnitFileState=enabled\nFragmentPath=/etc/systemd/system/hello.service\n\
ExecStart={ path=/opt/my app/hello ; argv[]=/opt/my app/hello --port 8080 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n\
User=\nDynamicUser=yes\nRefuseManualStart=no\nAfter=basic.target sysinit.target\nNRestarts=0\n";

    #[test]
    fn a_running_unit_reports_pid_command_line_and_account() {
        let status = status_from_properties("hello", &parse_properties(RUNNING));
        assert!(status.installed);
        assert_eq!(status.state, Some(ServiceState::Running));
        assert_eq!(status.pid, Some(4242));
        assert_eq!(status.start_type, Some(StartType::Auto));
        assert_eq!(status.binary_path, Some(PathBuf::from("/opt/my app/hello")));
        assert_eq!(
            status.command_line.as_deref(),
            Some("/opt/my app/hello --port 8080")
        );
        assert_eq!(status.account.as_deref(), Some("dynamic user hello"));
        assert_eq!(status.service_exit_code, Some(0));
    }

    #[test]
    fn a_failed_unit_reports_its_exit_code() {
        let text = RUNNING
            .replace("ActiveState=active", "ActiveState=failed")
            .replace("MainPID=4242", "MainPID=0")
            .replace("ExecMainStatus=0", "ExecMainStatus=3")
            .replace("UnitFileState=enabled", "UnitFileState=disabled");
        let status = status_from_properties("hello", &parse_properties(&text));
        assert_eq!(status.state, Some(ServiceState::Failed));
        assert_eq!(status.pid, None);
        assert_eq!(status.service_exit_code, Some(3));
        assert_eq!(status.start_type, Some(StartType::Manual));
    }

    #[test]
    fn start_types_are_read_back() {
        let with = |extra: &str| {
            let text = format!("{RUNNING}{extra}");
            status_from_properties("hello", &parse_properties(&text)).start_type
        };
        assert_eq!(with("After=multi-user.target\n"), Some(StartType::Delayed));
        assert_eq!(with("RefuseManualStart=yes\n"), Some(StartType::Disabled));
        assert_eq!(with("UnitFileState=masked\n"), Some(StartType::Disabled));
    }

    #[test]
    fn an_unknown_unit_is_not_installed() {
        let text = "LoadState=not-found\nActiveState=inactive\nFragmentPath=\nUnitFileState=\n";
        let status = status_from_properties("nope", &parse_properties(text));
        assert_eq!(status, ServiceStatus::not_installed("nope"));
    }

    #[test]
    fn activating_and_deactivating_are_pending_states() {
        assert_eq!(state("activating"), Some(ServiceState::StartPending));
        assert_eq!(state("deactivating"), Some(ServiceState::StopPending));
        assert_eq!(state("inactive"), Some(ServiceState::Stopped));
        assert_eq!(state("bogus"), None);
    }
}
