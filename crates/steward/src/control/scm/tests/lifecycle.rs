//! Start, stop, uninstall and status: waits, typed errors, state mapping.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// A manager whose service does not exist.
pub(super) fn scm_missing() -> Scm<Recorder> {
    scm(Recorder::failing(|c| match c {
        Call::QueryStatus(_) | Call::Start(_) | Call::Stop(_) | Call::Delete(_) => {
            Some(ERROR_SERVICE_DOES_NOT_EXIST)
        }
        _ => None,
    }))
}

#[test]
fn unknown_services_are_not_installed() {
    let scm = scm_missing();
    let status = scm.status("ghost").unwrap();
    assert!(!status.installed);
    assert!(matches!(scm.start("ghost", None), Err(ControlError::NotInstalled(n)) if n == "ghost"));
    assert!(matches!(
        scm.stop("ghost", None),
        Err(ControlError::NotInstalled(_))
    ));
    let err = scm.uninstall("ghost", Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.to_string(), "service 'ghost' is not installed");
}

#[test]
fn start_of_a_running_and_stop_of_a_stopped_service_are_typed() {
    let running = scm(Recorder::failing(|c| {
        matches!(c, Call::Start(_)).then_some(ERROR_SERVICE_ALREADY_RUNNING)
    }));
    let err = running.start("hello", None).unwrap_err();
    assert_eq!(err.to_string(), "service 'hello' is already running");
    let stopped = scm(Recorder::failing(|c| {
        matches!(c, Call::Stop(_)).then_some(ERROR_SERVICE_NOT_ACTIVE)
    }));
    let err = stopped.stop("hello", None).unwrap_err();
    assert_eq!(err.to_string(), "service 'hello' is not running");
}

#[test]
fn start_wait_polls_until_running() {
    let scm = scm(Recorder::default().with_states(&[2, 2, 4]));
    let status = scm.start("hello", Some(Duration::from_secs(60))).unwrap();
    assert_eq!(status.state, Some(ServiceState::Running));
    assert_eq!(status.pid, Some(4242));
}

#[test]
fn start_wait_reports_a_service_that_stopped_while_starting() {
    let api = Recorder::default();
    api.states.borrow_mut().extend([
        RawStatus {
            state: 2,
            ..RawStatus::default()
        },
        RawStatus {
            state: 1,
            win32_exit_code: 1066,
            service_exit_code: 9,
            pid: 0,
        },
    ]);
    let err = scm(api)
        .start("hello", Some(Duration::from_secs(60)))
        .unwrap_err();
    assert!(
        err.to_string().contains("service-specific exit code 9"),
        "{err}"
    );
}

#[test]
fn a_wait_that_runs_out_is_a_timeout_naming_both_states() {
    let scm = scm(Recorder::default().with_states(&[3]));
    let err = scm.stop("hello", Some(Duration::ZERO)).unwrap_err();
    assert!(matches!(err, ControlError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("did not reach stopped"), "{err}");
    assert!(err.to_string().contains("it is stop_pending"), "{err}");
}

#[test]
fn uninstall_stops_a_running_service_first() {
    let scm = scm(Recorder::default().with_states(&[4, 3, 1]));
    scm.uninstall("hello", Duration::from_secs(60)).unwrap();
    let calls = scm.api().calls();
    let stop = calls.iter().position(|c| c == &Call::Stop("hello".into()));
    let delete = calls
        .iter()
        .position(|c| c == &Call::Delete("hello".into()));
    assert!(stop.is_some() && stop < delete, "{calls:?}");
    // The event source goes last, after the service.
    assert_eq!(calls.last(), Some(&Call::RemoveSource("hello".into())));
}

#[test]
fn uninstall_of_a_service_marked_for_deletion_succeeds() {
    let scm = scm(Recorder::failing(|c| {
        matches!(c, Call::Delete(_)).then_some(ERROR_SERVICE_MARKED_FOR_DELETE)
    }));
    scm.uninstall("hello", Duration::from_secs(1)).unwrap();
    // Its event source is removed all the same.
    assert_eq!(
        scm.api().calls().last(),
        Some(&Call::RemoveSource("hello".into()))
    );
}

#[test]
fn uninstall_names_a_failing_event_source_removal() {
    let scm = scm(Recorder::failing(|c| {
        matches!(c, Call::RemoveSource(_)).then_some(1009)
    }));
    let err = scm.uninstall("hello", Duration::from_secs(1)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot remove the event log source for service 'hello'"),
        "{err}"
    );
    // The service itself was deleted first.
    assert!(scm.api().calls().contains(&Call::Delete("hello".into())));
}

#[test]
fn uninstall_without_rights_to_the_event_log_key_says_run_as_administrator() {
    let scm = scm(Recorder::failing(|c| {
        matches!(c, Call::RemoveSource(_)).then_some(ERROR_ACCESS_DENIED)
    }));
    let err = scm.uninstall("hello", Duration::from_secs(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "access denied: run as Administrator to uninstall hello"
    );
}

#[test]
fn uninstall_without_rights_says_run_as_administrator() {
    let scm = scm(Recorder::failing(|c| {
        matches!(c, Call::Delete(_)).then_some(ERROR_ACCESS_DENIED)
    }));
    let err = scm.uninstall("hello", Duration::from_secs(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "access denied: run as Administrator to uninstall hello"
    );
}

#[test]
fn status_reads_state_pid_start_type_account_and_paths() {
    let mut api = Recorder::default().with_states(&[4]);
    api.config = RawConfig {
        start_type: 2,
        delayed: true,
        account: r"NT AUTHORITY\LocalService".into(),
        command_line: r#""C:\Program Files\Hello\hello.exe" run"#.into(),
    };
    let status = scm(api).status("hello").unwrap();
    assert_eq!(status.state, Some(ServiceState::Running));
    assert_eq!(status.start_type, Some(StartType::Delayed));
    assert_eq!(
        status.account.as_deref(),
        Some(r"NT AUTHORITY\LocalService")
    );
    assert_eq!(
        status.binary_path,
        Some(PathBuf::from(r"C:\Program Files\Hello\hello.exe"))
    );
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["state"], "running");
    assert_eq!(json["start_type"], "delayed");
}

#[test]
fn a_stopped_service_with_an_exit_code_is_failed() {
    let raw = |win32| RawStatus {
        state: 1,
        win32_exit_code: win32,
        ..RawStatus::default()
    };
    assert_eq!(
        crate::control::scm::lifecycle::state_of(&raw(0)),
        ServiceState::Stopped
    );
    assert_eq!(
        crate::control::scm::lifecycle::state_of(&raw(ERROR_SERVICE_NEVER_STARTED)),
        ServiceState::Stopped
    );
    assert_eq!(
        crate::control::scm::lifecycle::state_of(&raw(1066)),
        ServiceState::Failed
    );
}
