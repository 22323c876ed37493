//! Error cases of the systemd backend, against the bench's real user manager: unknown and
//! invalid names, already running / not running, a failing start, a missing dependency, and
//! access denied for the system scope without root.
//!
//! Needs root (the bench creates cgroups and a private mount namespace) and the service binaries:
//! `cargo build -p hello-service -p fixture-service`.
#![cfg(target_os = "linux")]

#[path = "common/systemd.rs"]
mod common;

use common::*;
use steward::control::systemd::{Systemd, SystemdOptions};
use steward::control::{ControlError, InstallMode, ServiceManager};

#[test]
fn unknown_and_invalid_names() {
    let systemd = systemd(SystemdOptions::default());
    let name = bench().unique_name("never-installed");
    assert!(!systemd.status(&name).expect("status").installed);
    for error in [
        systemd.start(&name, Some(WAIT)).unwrap_err(),
        systemd.stop(&name, Some(WAIT)).unwrap_err(),
        systemd.uninstall(&name, WAIT).unwrap_err(),
    ] {
        assert!(
            matches!(error, ControlError::NotInstalled(ref n) if *n == name),
            "{error}"
        );
    }
    for bad in ["two words", "a/b", "tmpl@x", ""] {
        let error = systemd.status(bad).unwrap_err();
        assert!(matches!(error, ControlError::InvalidName { .. }), "{error}");
        let error = systemd.start(bad, None).unwrap_err();
        assert!(matches!(error, ControlError::InvalidName { .. }), "{error}");
    }
}

#[test]
fn already_running_and_not_running() {
    let systemd = systemd(SystemdOptions::default());
    let request = request("hello-states", binary("hello-service"), &[]);
    let _service = Installed::new(systemd.clone(), &request);
    let error = systemd.stop(&request.name, Some(WAIT)).unwrap_err();
    assert!(matches!(error, ControlError::NotRunning(_)), "{error}");
    systemd.start(&request.name, Some(WAIT)).expect("start");
    let error = systemd.start(&request.name, Some(WAIT)).unwrap_err();
    assert!(matches!(error, ControlError::AlreadyRunning(_)), "{error}");
}

#[test]
fn a_failing_start_reports_the_tool_error_with_the_exit_status() {
    let systemd = systemd(SystemdOptions::default());
    let request = request(
        "fixture-start-fails",
        binary("fixture-service"),
        &["--fail-at-start", "4"],
    );
    let service = Installed::new(systemd.clone(), &request);
    let error = systemd.start(&request.name, Some(WAIT)).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(matches!(error, ControlError::Tool { .. }), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert!(message.contains("exit status 4"), "{message}");
    drop(service);
}

#[test]
fn a_missing_dependency_is_a_tool_error_not_an_unknown_service() {
    let systemd = systemd(SystemdOptions::default());
    let mut request = request("hello-dep", binary("hello-service"), &[]);
    request.dependencies = vec![bench().unique_name("absent")];
    let _service = Installed::new(systemd.clone(), &request);
    let error = systemd.start(&request.name, Some(WAIT)).unwrap_err();
    eprintln!("{error}");
    assert!(matches!(error, ControlError::Tool { .. }), "{error}");
}

#[test]
fn system_scope_without_root_is_access_denied() {
    use std::os::unix::process::CommandExt;

    let request = request("hello-denied", binary("hello-service"), &[]);
    let plan = Systemd::system()
        .plan_install(&request, InstallMode::CreateOnly)
        .expect("planning needs no privileges");
    assert!(plan.to_string().contains("/etc/systemd/system/"), "{plan}");
    // Run the privileged operations from a child that is not root (user and group `nobody`).
    let output = std::process::Command::new(std::env::current_exe().expect("test exe"))
        .args([
            "--exact",
            "access_denied_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env("STEWARD_ACCESS_DENIED_SERVICE", &request.name)
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run the unprivileged child");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "unprivileged child failed:\n{text}"
    );
    assert!(text.contains("1 passed"), "{text}");
    for line in text.lines().filter(|l| l.starts_with("access denied")) {
        eprintln!("unprivileged child: {line}");
    }
}

/// Run by `system_scope_without_root_is_access_denied` as an unprivileged user; ignored otherwise.
#[test]
#[ignore = "helper: run as a non-root user by system_scope_without_root_is_access_denied"]
fn access_denied_child() {
    let name =
        std::env::var("STEWARD_ACCESS_DENIED_SERVICE").expect("service name from the parent");
    let systemd = Systemd::system();
    let request = request_named(name.clone(), binary("hello-service"), &[]);
    let plan = systemd
        .plan_install(&request, InstallMode::CreateOnly)
        .expect("plan");
    let checks = [
        ("install", systemd.execute(&plan).unwrap_err()),
        ("uninstall", systemd.uninstall(&name, WAIT).unwrap_err()),
        ("start", systemd.start(&name, None).unwrap_err()),
        ("stop", systemd.stop(&name, None).unwrap_err()),
    ];
    for (operation, error) in checks {
        assert!(
            matches!(&error, ControlError::AccessDenied { operation: o, service, .. } if *o == operation && *service == name),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!("access denied: run as root to {operation} {name}")
        );
        eprintln!("{error}");
    }
}
