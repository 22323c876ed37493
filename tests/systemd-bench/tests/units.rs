//! The bench's self-tests against the shared manager: readiness, restarts, the watchdog and stop,
//! each with its own unit names so they run in parallel.
#![cfg(target_os = "linux")]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use steward_systemd_bench::{UserManager, shared};

const WAIT: Duration = Duration::from_secs(15);

fn bench() -> &'static UserManager {
    shared().unwrap_or_else(|e| panic!("cannot start the systemd user manager: {e}"))
}

/// Writes an executable shell script into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn prop(props: &std::collections::HashMap<String, String>, key: &str) -> String {
    props.get(key).cloned().unwrap_or_default()
}

#[test]
fn notify_start_returns_only_after_ready() {
    let bench = bench();
    let dir = bench.temp_dir("notify").unwrap();
    let exec = script(
        &dir,
        "svc.sh",
        "echo starting\nsleep 1\nsystemd-notify --ready --status='ready after 1s'\necho ready\nexec sleep 300",
    );
    let unit = format!("{}.service", bench.unique_name("notify-ready"));
    bench
        .write_unit(
            &unit,
            &format!(
                "[Service]\nType=notify\nNotifyAccess=all\nExecStart={}\n\
                 StandardOutput=append:{}\nStandardError=inherit\n",
                exec.display(),
                dir.join("out.log").display()
            ),
        )
        .unwrap();

    let began = Instant::now();
    bench.systemctl_ok(&["start", &unit]).unwrap();
    let took = began.elapsed();
    let props = bench.show(&unit).unwrap();
    eprintln!("notify: `systemctl start` returned after {took:?}");
    assert!(
        took >= Duration::from_secs(1),
        "start returned after {took:?}"
    );
    assert_eq!(prop(&props, "ActiveState"), "active", "{props:?}");
    assert_eq!(prop(&props, "StatusText"), "ready after 1s");

    bench.systemctl_ok(&["stop", &unit]).unwrap();
    let log = fs::read_to_string(dir.join("out.log")).unwrap();
    assert_eq!(log, "starting\nready\n");
}

#[test]
fn failing_unit_is_restarted_on_failure() {
    let bench = bench();
    let dir = bench.temp_dir("restart").unwrap();
    let runs = dir.join("runs.log");
    let unit = format!("{}.service", bench.unique_name("restart"));
    bench
        .write_unit(
            &unit,
            &format!(
                "[Service]\nExecStart=/bin/sh -c 'echo run; exit 1'\nRestart=on-failure\n\
                 RestartSec=100ms\nStandardOutput=append:{}\n",
                runs.display()
            ),
        )
        .unwrap();
    bench.systemctl_ok(&["start", &unit]).unwrap();
    let props = bench
        .wait_for(&unit, WAIT, |p| {
            p.get("NRestarts")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1)
        })
        .unwrap();
    assert_eq!(prop(&props, "Restart"), "on-failure");
    bench.systemctl_ok(&["stop", &unit]).unwrap();
    let _ = bench.systemctl(&["reset-failed", &unit]);
    let runs = fs::read_to_string(runs).unwrap();
    assert!(runs.lines().count() >= 2, "runs: {runs:?}");
}

#[test]
fn silent_notify_unit_is_killed_by_the_watchdog() {
    let bench = bench();
    let dir = bench.temp_dir("watchdog").unwrap();
    let exec = script(&dir, "svc.sh", "systemd-notify --ready\nexec sleep 300");
    let unit = format!("{}.service", bench.unique_name("watchdog"));
    bench
        .write_unit(
            &unit,
            &format!(
                "[Service]\nType=notify\nNotifyAccess=all\nWatchdogSec=1\nExecStart={}\n",
                exec.display()
            ),
        )
        .unwrap();
    let began = Instant::now();
    bench.systemctl_ok(&["start", &unit]).unwrap();
    let props = bench
        .wait_for(&unit, WAIT, |p| {
            p.get("ActiveState").is_some_and(|s| s == "failed")
        })
        .unwrap();
    let took = began.elapsed();
    assert_eq!(prop(&props, "Result"), "watchdog", "{props:?}");
    eprintln!("watchdog: failed {took:?} after start");
    assert!(took >= Duration::from_secs(1), "killed after {took:?}");
    bench.systemctl_ok(&["reset-failed", &unit]).unwrap();
}

#[test]
fn stop_yields_result_success() {
    let bench = bench();
    let unit = format!("{}.service", bench.unique_name("stop"));
    bench
        .write_unit(&unit, "[Service]\nExecStart=/bin/sleep 300\n")
        .unwrap();
    bench.systemctl_ok(&["start", &unit]).unwrap();
    bench
        .wait_for_property(&unit, "SubState", "running", WAIT)
        .unwrap();
    bench.systemctl_ok(&["stop", &unit]).unwrap();
    let props = bench.show(&unit).unwrap();
    assert_eq!(prop(&props, "ActiveState"), "inactive", "{props:?}");
    assert_eq!(prop(&props, "Result"), "success", "{props:?}");
    // The manager's own log reaches the bench.
    let log = bench.manager_log();
    assert!(log.contains(&format!("Stopped {unit}")), "{log}");
}

#[test]
fn env_points_a_plain_systemctl_at_the_manager_and_reload_picks_up_changes() {
    let bench = bench();
    let unit = format!("{}.service", bench.unique_name("env"));
    let contents =
        |desc: &str| format!("[Unit]\nDescription={desc}\n[Service]\nExecStart=/bin/sleep 300\n");
    bench.write_unit(&unit, &contents("first")).unwrap();
    bench.systemctl_ok(&["start", &unit]).unwrap();

    // What code under test does: run systemctl itself, configured by `env()`.
    let mut cmd = Command::new("systemctl");
    cmd.args(["--user", "is-active", &unit]);
    let out = bench.apply_env(&mut cmd).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "active");

    bench.write_unit(&unit, &contents("second")).unwrap();
    bench.daemon_reload().unwrap();
    assert_eq!(bench.show(&unit).unwrap()["Description"], "second");
    assert_eq!(bench.active_state(&unit).unwrap(), "active");
    bench.systemctl_ok(&["stop", &unit]).unwrap();
}

#[test]
fn unknown_unit_reports_not_found() {
    let bench = bench();
    let unit = format!("{}.service", bench.unique_name("missing"));
    assert_eq!(bench.show(&unit).unwrap()["LoadState"], "not-found");
    let err = bench.systemctl_ok(&["start", &unit]).unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}
