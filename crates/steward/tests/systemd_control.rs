//! The systemd backend end to end, against the real, isolated systemd user manager of
//! `steward-systemd-bench`: install, start (blocking until `READY=1`), status, stop, restart after
//! a crash, watchdog restart, uninstall, update, rollback, and quoting that survives the trip.
//! The error cases are in `systemd_control_errors.rs`.
//!
//! Needs root (the bench creates cgroups and a private mount namespace) and the service binaries:
//! `cargo build -p hello-service -p fixture-service`.
#![cfg(target_os = "linux")]

#[path = "common/systemd.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use steward::control::systemd::{SystemdAction, SystemdOptions};
use steward::control::{
    ControlError, InstallMode, ServiceManager, ServiceState, ServiceStatus, Setting, StartType,
};

#[test]
fn install_start_status_stop_uninstall() {
    let systemd = systemd(SystemdOptions::default());
    let hello = binary("hello-service");
    let request = request("hello-control", hello.clone(), &[]);
    let plan = systemd
        .plan_install(&request, InstallMode::CreateOnly)
        .expect("plan");
    let printed = plan.to_string();
    eprintln!("{printed}");
    assert!(printed.contains("write unit file"), "{printed}");
    assert!(printed.contains("enable"), "{printed}");
    let path = systemd.unit_path(&request.name);
    assert!(!path.exists(), "planning wrote {}", path.display());

    let service = Installed::new(systemd.clone(), &request);
    assert!(path.is_file(), "no unit file at {}", path.display());
    let status = service.status();
    assert!(status.installed, "{status:?}");
    assert_eq!(status.state, Some(ServiceState::Stopped), "{status:?}");
    assert!(enable_link(&service.unit()).exists(), "not enabled");
    assert_eq!(status.binary_path.as_ref(), Some(&hello), "{status:?}");

    let status = systemd.start(&request.name, Some(WAIT)).expect("start");
    assert_eq!(status.state, Some(ServiceState::Running), "{status:?}");
    let pid = status.pid.expect("a running service has a pid");
    assert_eq!(service.status().pid, Some(pid));

    let status = systemd.stop(&request.name, Some(WAIT)).expect("stop");
    assert_eq!(status.state, Some(ServiceState::Stopped), "{status:?}");
    assert_eq!(status.service_exit_code, Some(0), "{status:?}");

    systemd
        .start(&request.name, Some(WAIT))
        .expect("start again");
    let reload = reloading();
    systemd
        .uninstall(&request.name, Duration::from_secs(10))
        .expect("uninstall a running service");
    drop(reload);
    assert!(!enable_link(&service.unit()).exists(), "still enabled");
    assert!(!path.exists(), "{} is still there", path.display());
    let status = systemd
        .status(&request.name)
        .expect("status after uninstall");
    assert_eq!(status, ServiceStatus::not_installed(&request.name));
    assert_eq!(prop(&service.props(), "LoadState"), "not-found");
}

#[test]
fn start_blocks_until_ready() {
    let systemd = systemd(SystemdOptions::default());
    let request = request(
        "fixture-ready",
        binary("fixture-service"),
        &["--init", "1500ms"],
    );
    let service = Installed::new(systemd.clone(), &request);

    let began = Instant::now();
    let status = systemd.start(&request.name, Some(WAIT)).expect("start");
    let took = began.elapsed();
    eprintln!("fixture --init 1500ms: start --wait returned after {took:?}");
    assert!(
        took >= Duration::from_millis(1500),
        "returned after {took:?}, before READY=1"
    );
    assert_eq!(status.state, Some(ServiceState::Running), "{status:?}");
    systemd.stop(&request.name, Some(WAIT)).expect("stop");
    drop(service);
}

#[test]
fn start_without_wait_returns_while_activating() {
    let systemd = systemd(SystemdOptions::default());
    let request = request(
        "fixture-noblock",
        binary("fixture-service"),
        &["--init", "1500ms"],
    );
    let service = Installed::new(systemd.clone(), &request);
    let status = systemd.start(&request.name, None).expect("start");
    // The job is queued; the manager may not have dispatched it yet when status is read.
    assert!(
        matches!(
            status.state,
            Some(ServiceState::StartPending | ServiceState::Stopped)
        ),
        "{status:?}"
    );
    service.wait_for("the service to become active", |p| {
        prop(p, "ActiveState") == "active"
    });
    systemd.stop(&request.name, None).expect("stop");
    service.wait_for("the service to stop", |p| {
        prop(p, "ActiveState") == "inactive"
    });
}

#[test]
fn start_that_outlasts_its_wait_is_a_timeout() {
    let systemd = systemd(SystemdOptions::default());
    let request = request("fixture-slow", binary("fixture-service"), &["--init", "5s"]);
    let service = Installed::new(systemd.clone(), &request);
    let error = systemd
        .start(&request.name, Some(Duration::from_millis(300)))
        .unwrap_err();
    assert!(
        matches!(&error, ControlError::Timeout { current, .. } if current.starts_with("activating")),
        "{error}"
    );
    eprintln!("{error}");
    drop(service);
}

#[test]
fn crashing_service_is_restarted_until_the_start_limit() {
    let systemd = systemd(SystemdOptions::default());
    let request = request("fixture-crash", binary("fixture-service"), &["--fail", "3"]);
    let service = Installed::new(systemd.clone(), &request);
    let _no_reloads = no_reloads();
    systemd.start(&request.name, None).expect("start");
    let first = service.wait_for("a first restart", |p| restarts(p) >= 1);
    // Defaults: Restart=on-failure, RestartSec=100ms, at most 5 starts in 60 s.
    let last = service.wait_for("the start limit to trip", |p| {
        prop(p, "ActiveState") == "failed"
    });
    eprintln!(
        "fixture --fail 3: NRestarts {} -> {}, then {}",
        restarts(&first),
        restarts(&last),
        prop(&last, "Result")
    );
    // Measured with systemd 252: five starts pass the limit (NRestarts counts the refused sixth
    // too), then the unit stays failed with the program's result.
    assert_eq!(restarts(&last), 5, "{}", summary(&last));
    let status = service.status();
    assert_eq!(status.state, Some(ServiceState::Failed), "{status:?}");
    assert_eq!(status.service_exit_code, Some(3), "{status:?}");
}

#[test]
fn watchdog_restarts_a_service_whose_heartbeat_stops() {
    let options = SystemdOptions {
        watchdog: Some(Duration::from_secs(1)),
        // A wide auto-restart window, so the Result=watchdog state is seen by polling.
        restart_delay: Duration::from_secs(1),
        ..SystemdOptions::default()
    };
    let systemd = systemd(options);
    let request = request(
        "fixture-watchdog",
        binary("fixture-service"),
        &["--heartbeat-for", "1s"],
    );
    let service = Installed::new(systemd.clone(), &request);
    systemd.start(&request.name, Some(WAIT)).expect("start");
    let mut results = Vec::new();
    let props = service.wait_for("a watchdog restart", |p| {
        let result = prop(p, "Result").to_owned();
        if results.last() != Some(&result) {
            results.push(result);
        }
        restarts(p) >= 1 && prop(p, "ActiveState") == "active"
    });
    eprintln!(
        "fixture --heartbeat-for 1s under WatchdogSec=1: results seen {results:?}, now {}",
        summary(&props)
    );
    assert!(
        results.iter().any(|r| r == "watchdog"),
        "results seen: {results:?}"
    );
    assert_eq!(service.status().state, Some(ServiceState::Running));
}

#[test]
fn install_twice_fails_and_force_updates() {
    let systemd = systemd(SystemdOptions::default());
    let mut request = request("hello-twice", binary("hello-service"), &[]);
    let service = Installed::new(systemd.clone(), &request);
    let error = systemd
        .plan_install(&request, InstallMode::CreateOnly)
        .unwrap_err();
    assert!(
        matches!(error, ControlError::AlreadyInstalled(ref n) if *n == request.name),
        "{error}"
    );
    assert!(error.to_string().contains("--force"), "{error}");

    request.description = Some("updated in place".into());
    request.start = Setting::explicit(StartType::Manual);
    let plan = systemd
        .plan_install(&request, InstallMode::CreateOrUpdate)
        .expect("plan update");
    assert!(plan.to_string().contains("replace unit file"), "{plan}");
    assert!(
        enable_link(&service.unit()).exists(),
        "not enabled at first"
    );
    let reload = reloading();
    systemd.execute(&plan).expect("update");
    drop(reload);
    let props = service.props();
    assert_eq!(prop(&props, "Description"), "updated in place", "{props:?}");
    assert!(
        !enable_link(&service.unit()).exists(),
        "still enabled after the update to manual"
    );
}

#[test]
fn a_failing_step_rolls_the_install_back() {
    let systemd = systemd(SystemdOptions::default());
    let request = request("hello-rollback", binary("hello-service"), &[]);
    let mut plan = systemd
        .plan_install(&request, InstallMode::CreateOnly)
        .expect("plan");
    let missing = format!("{}.service", bench().unique_name("missing"));
    plan.push(
        steward::control::Origin::Explicit,
        "enable a unit that does not exist",
        SystemdAction::Enable { unit: missing },
    );
    let reload = reloading();
    let error = systemd.execute(&plan).unwrap_err();
    drop(reload);
    eprintln!("{error}");
    assert!(matches!(error, ControlError::Tool { .. }), "{error}");
    assert!(
        !systemd.unit_path(&request.name).exists(),
        "unit file left behind"
    );
    let status = systemd.status(&request.name).expect("status");
    assert!(!status.installed, "{status:?}");
}

/// Writes `<dir>/dump args.sh`: saves its environment to `<dir>/env` and its arguments to
/// `<dir>/args` (NUL-separated; `args` appears last and atomically), then sleeps.
fn dump_script(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;

    let script = dir.join("dump args.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ndir=$(dirname \"$0\")\nenv -0 > \"$dir/env\"\n\
         for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$dir/args.tmp\"\n\
         mv \"$dir/args.tmp\" \"$dir/args\"\nexec sleep 60\n",
    )
    .expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn nul_separated(path: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Arguments and environment values that need escaping (spaces, quotes, `$`, `%`, backslashes,
/// an empty one, a lone `;`) reach the program exactly as given, from a path with a space.
#[test]
fn awkward_arguments_and_environment_arrive_intact() {
    let dir = bench().temp_dir("quoting dir").expect("temp dir");
    let script = dump_script(&dir);
    let arguments = [
        "two words",
        r#"say "hi""#,
        "it's",
        "$HOME",
        "${PATH}",
        "50%",
        r"C:\back\slash",
        "",
        ";",
        "tab\there",
        "%n",
    ];
    let environment = [
        ("GREETING", "hello world"),
        ("QUOTES", r#"a "b" 'c'"#),
        ("DOLLAR", "$HOME and ${X}"),
        ("PERCENT", "100% %n"),
        ("BACKSLASH", r"C:\dir\"),
        ("EMPTY", ""),
    ];
    let systemd = systemd(SystemdOptions::default());
    let mut request = request("quoting", script, &arguments);
    request.environment = environment
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let _service = Installed::new(systemd.clone(), &request);
    // The script never sends READY=1: start without waiting and watch for its output.
    systemd.start(&request.name, None).expect("start");
    let args_file = dir.join("args");
    let deadline = Instant::now() + WAIT;
    while !args_file.exists() {
        assert!(
            Instant::now() < deadline,
            "the script did not run within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = nul_separated(&args_file);
    assert_eq!(
        &got[..got.len() - 1],
        &arguments[..],
        "arguments as received"
    );
    let env = nul_separated(&dir.join("env"));
    for (key, value) in environment {
        let line = format!("{key}={value}");
        assert!(env.contains(&line), "{line:?} missing from {env:?}");
    }
}

/// Uninstall of a service that ignores the stop request: the stop wait is bounded, then the unit
/// is killed and removed anyway.
#[test]
fn uninstall_kills_a_service_that_ignores_stop() {
    let systemd = systemd(SystemdOptions::default());
    let mut request = request(
        "fixture-ignore-stop",
        binary("fixture-service"),
        &["--ignore-stop", "--grace", "120s"],
    );
    request.stop_timeout = Some(Setting::explicit(Duration::from_secs(60)));
    let service = Installed::new(systemd.clone(), &request);
    systemd.start(&request.name, Some(WAIT)).expect("start");
    let began = Instant::now();
    let reload = reloading();
    systemd
        .uninstall(&request.name, Duration::from_millis(500))
        .expect("uninstall");
    drop(reload);
    let took = began.elapsed();
    eprintln!("uninstall of a service ignoring SIGTERM (stop wait 500ms) took {took:?}");
    assert!(!systemd.unit_path(&request.name).exists());
    assert!(!systemd.status(&request.name).expect("status").installed);
    // Not the manager's own escalation (TimeoutStopSec=60s): the bounded wait, then SIGKILL.
    assert!(took < Duration::from_secs(60), "uninstall took {took:?}");
    drop(service);
}
