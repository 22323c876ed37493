//! hello-service (and, where a slow start or a failure is needed, the fixture service) under a
//! real, isolated systemd user manager: `Type=notify` start and graceful stop, readiness gating,
//! the watchdog, failures with `Restart=on-failure`, and SIGHUP as a reload.
//!
//! Needs root (the bench creates cgroups and a private mount namespace) and
//! `cargo build -p fixture-service` for the tests that use the fixture.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use steward_systemd_bench::{Scope, UserManager, shared, verify_unit_file};

/// Deadline of every wait for a unit or a log line.
const WAIT: Duration = Duration::from_secs(15);
/// Poll interval of the waits this file does itself (the bench polls every 10 ms).
const POLL: Duration = Duration::from_millis(20);

fn bench() -> &'static UserManager {
    shared().unwrap_or_else(|e| panic!("cannot start the systemd user manager: {e}"))
}

fn hello_service() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hello-service"))
}

/// The fixture service, built into the same directory as hello-service.
fn fixture_service() -> PathBuf {
    let path = hello_service().with_file_name("fixture-service");
    assert!(
        path.is_file(),
        "the fixture service is missing at {}: run `cargo build -p fixture-service` first",
        path.display()
    );
    path
}

/// A `Type=notify` unit under test, with its output files. Stopped (and its failed state
/// reset) when dropped, so a failing test leaves nothing running.
struct Unit {
    bench: &'static UserManager,
    name: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Unit {
    /// Writes `<stem>-<n>.service` running `exec` (program and arguments) with `extra` lines added
    /// to `[Service]`, and checks it with `systemd-analyze --user verify`.
    fn new(stem: &str, exec: &[&str], unit_extra: &str, service_extra: &str) -> Unit {
        let bench = bench();
        let dir = bench.temp_dir(stem).expect("temporary directory");
        let name = format!("{}.service", bench.unique_name(stem));
        let stdout = dir.join("stdout.log");
        let stderr = dir.join("stderr.log");
        let contents = format!(
            "[Unit]\nDescription=steward end-to-end test {stem}\n{unit_extra}\n\
             [Service]\nType=notify\nNotifyAccess=main\nExecStart={exec}\n\
             StandardOutput=append:{stdout}\nStandardError=append:{stderr}\n{service_extra}",
            exec = exec.join(" "),
            stdout = stdout.display(),
            stderr = stderr.display(),
        );
        let path = bench.write_unit(&name, &contents).expect("write unit");
        if let Err(e) = verify_unit_file(&path, Scope::User) {
            panic!("generated unit {name} does not verify: {e}\n--- unit ---\n{contents}");
        }
        Unit {
            bench,
            name,
            stdout,
            stderr,
        }
    }

    fn hello(stem: &str, service_extra: &str) -> Unit {
        let exe = hello_service();
        Unit::new(
            stem,
            &[exe.to_str().expect("UTF-8 path")],
            "",
            service_extra,
        )
    }

    fn fixture(stem: &str, args: &[&str], unit_extra: &str, service_extra: &str) -> Unit {
        let exe = fixture_service();
        let mut exec = vec![exe.to_str().expect("UTF-8 path")];
        exec.extend_from_slice(args);
        Unit::new(stem, &exec, unit_extra, service_extra)
    }

    /// `systemctl --user <args...> <unit>`, which must succeed; returns how long it took.
    fn ctl(&self, args: &[&str]) -> Duration {
        let mut args = args.to_vec();
        args.push(&self.name);
        let began = Instant::now();
        if let Err(e) = self.bench.systemctl_ok(&args) {
            panic!("{e}\n{}", self.diagnostics());
        }
        began.elapsed()
    }

    fn show(&self) -> HashMap<String, String> {
        self.bench.show(&self.name).expect("systemctl show")
    }

    /// Waits until `done` accepts the unit's properties; panics with what was seen otherwise.
    fn wait_for(
        &self,
        what: &str,
        done: impl FnMut(&HashMap<String, String>) -> bool,
    ) -> HashMap<String, String> {
        self.bench
            .wait_for(&self.name, WAIT, done)
            .unwrap_or_else(|e| panic!("{what}: {e}\n{}", self.diagnostics()))
    }

    /// What the service wrote to standard output and standard error so far.
    fn log(&self) -> String {
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        format!("{}{}", read(&self.stdout), read(&self.stderr))
    }

    /// Polls the service's output until it contains `needle`.
    fn wait_for_log(&self, needle: &str) {
        let began = Instant::now();
        while !self.log().contains(needle) {
            assert!(
                began.elapsed() < WAIT,
                "timed out after {WAIT:?} waiting for {needle:?} in the output of {}\n{}",
                self.name,
                self.diagnostics()
            );
            thread::sleep(POLL);
        }
    }

    fn diagnostics(&self) -> String {
        let props = self.bench.show(&self.name).unwrap_or_default();
        let keys = [
            "ActiveState",
            "SubState",
            "Result",
            "ExecMainStatus",
            "NRestarts",
            "StatusText",
        ];
        let props: Vec<String> = keys
            .iter()
            .map(|k| format!("{k}={}", props.get(*k).map_or("?", String::as_str)))
            .collect();
        format!(
            "--- {} ---\n{}\n--- service output ---\n{}--- manager log ---\n{}",
            self.name,
            props.join(" "),
            self.log(),
            self.bench.manager_log()
        )
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        let _ = self.bench.systemctl(&["stop", &self.name]);
        let _ = self.bench.systemctl(&["reset-failed", &self.name]);
    }
}

fn prop<'p>(props: &'p HashMap<String, String>, key: &str) -> &'p str {
    props.get(key).map_or("", String::as_str)
}

fn restarts(props: &HashMap<String, String>) -> u32 {
    prop(props, "NRestarts").parse().unwrap_or(0)
}

#[test]
fn notify_start_and_graceful_stop() {
    let unit = Unit::hello("hello-lifecycle", "TimeoutStopSec=10s\n");

    let started = unit.ctl(&["start"]);
    let props = unit.show();
    eprintln!("hello-service: `systemctl start` returned after {started:?}");
    assert_eq!(prop(&props, "ActiveState"), "active", "{props:?}");
    assert_eq!(prop(&props, "SubState"), "running", "{props:?}");
    assert!(
        prop(&props, "StatusText").contains("running"),
        "StatusText: {:?}",
        prop(&props, "StatusText")
    );
    unit.wait_for_log("Service started");

    let stopped = unit.ctl(&["stop"]);
    let props = unit.show();
    eprintln!("hello-service: `systemctl stop` returned after {stopped:?}");
    assert!(
        stopped < Duration::from_secs(8),
        "stop took {stopped:?} (TimeoutStopSec=10s)\n{}",
        unit.diagnostics()
    );
    assert_eq!(prop(&props, "ActiveState"), "inactive", "{props:?}");
    assert_eq!(prop(&props, "Result"), "success", "{props:?}");
    assert_eq!(prop(&props, "ExecMainStatus"), "0", "{props:?}");
    let log = unit.log();
    assert!(
        log.contains("Service stopping"),
        "no graceful stop in the output:\n{log}"
    );
}

#[test]
fn start_blocks_until_ready() {
    let unit = Unit::fixture("fixture-slow-start", &["--init", "1500ms"], "", "");

    let (took, props_at_return, seen) = thread::scope(|scope| {
        let starter = scope.spawn(|| {
            let took = unit.ctl(&["start"]);
            (took, unit.show())
        });
        // Meanwhile the unit must be seen activating (the fixture sleeps 1.5 s before READY=1).
        let mut seen = Vec::new();
        while !starter.is_finished() {
            let state = prop(&unit.show(), "ActiveState").to_owned();
            if seen.last() != Some(&state) {
                seen.push(state);
            }
            thread::sleep(POLL);
        }
        let (took, props) = starter.join().expect("start thread");
        (took, props, seen)
    });

    eprintln!(
        "fixture --init 1500ms: `systemctl start` returned after {took:?}; states seen meanwhile: {seen:?}"
    );
    assert!(
        took >= Duration::from_millis(1500),
        "start returned after {took:?}, before READY=1 could have been sent"
    );
    assert!(
        seen.iter().any(|s| s == "activating"),
        "the unit was never seen activating during the start: {seen:?}"
    );
    assert_eq!(
        prop(&props_at_return, "ActiveState"),
        "active",
        "{props_at_return:?}"
    );
    unit.ctl(&["stop"]);
    assert_eq!(prop(&unit.show(), "Result"), "success");
}

#[test]
fn watchdog_kills_a_service_whose_heartbeat_stops() {
    let unit = Unit::fixture(
        "fixture-watchdog",
        &["--heartbeat-for", "1s"],
        "",
        "WatchdogSec=1\nRestart=no\n",
    );
    unit.ctl(&["start"]);
    let began = Instant::now();

    // Heartbeats flow for 1 s after READY=1 and stay fresh for one period after that; a service
    // that sent no WATCHDOG=1 at all would be killed 1 s after starting.
    while began.elapsed() < Duration::from_millis(1500) {
        let props = unit.show();
        assert_eq!(
            prop(&props, "ActiveState"),
            "active",
            "killed after {:?} while heartbeats were flowing\n{}",
            began.elapsed(),
            unit.diagnostics()
        );
        thread::sleep(Duration::from_millis(100));
    }

    let props = unit.wait_for("the watchdog to kill the service", |p| {
        prop(p, "ActiveState") == "failed"
    });
    eprintln!(
        "fixture --heartbeat-for 1s: killed by the watchdog {:?} after start",
        began.elapsed()
    );
    assert_eq!(prop(&props, "Result"), "watchdog", "{props:?}");
    assert_eq!(restarts(&props), 0, "{props:?}");
}

#[test]
fn watchdog_is_fed_by_the_runtime_for_a_service_without_heartbeats() {
    let unit = Unit::hello("hello-watchdog", "WatchdogSec=1\n");
    unit.ctl(&["start"]);
    let began = Instant::now();
    let mut polls = 0;
    while began.elapsed() < Duration::from_secs(3) {
        let props = unit.show();
        assert_eq!(
            (prop(&props, "ActiveState"), prop(&props, "SubState")),
            ("active", "running"),
            "after {:?} under WatchdogSec=1\n{}",
            began.elapsed(),
            unit.diagnostics()
        );
        polls += 1;
        thread::sleep(Duration::from_millis(250));
    }
    let props = unit.show();
    assert_eq!(prop(&props, "ActiveState"), "active", "{props:?}");
    assert_eq!(restarts(&props), 0, "{props:?}");
    assert_eq!(prop(&props, "Result"), "success", "{props:?}");
    eprintln!("hello-service under WatchdogSec=1: active in all {polls} polls over 3 s");

    unit.ctl(&["stop"]);
    assert_eq!(prop(&unit.show(), "Result"), "success");
}

#[test]
fn failing_service_ends_failed_with_its_exit_code() {
    let unit = Unit::fixture("fixture-fail", &["--fail", "7"], "", "Restart=no\n");
    // READY=1 and the exit race: start without waiting, then watch the outcome.
    unit.ctl(&["--no-block", "start"]);
    let props = unit.wait_for("the service to fail", |p| {
        prop(p, "ActiveState") == "failed"
    });
    assert_eq!(prop(&props, "ExecMainStatus"), "7", "{props:?}");
    assert_eq!(prop(&props, "Result"), "exit-code", "{props:?}");
    assert_eq!(restarts(&props), 0, "{props:?}");
}

#[test]
fn failing_service_is_restarted_on_failure() {
    let unit = Unit::fixture(
        "fixture-restart",
        &["--fail", "7"],
        // No start rate limit: the unit keeps restarting until the test stops it.
        "StartLimitIntervalSec=0\n",
        "Restart=on-failure\nRestartSec=100ms\n",
    );
    unit.ctl(&["--no-block", "start"]);
    let first = unit.wait_for("a first restart", |p| restarts(p) >= 1);
    let n = restarts(&first);
    // Between runs (SubState=auto-restart) the last run's exit status is visible; once the next
    // run starts it is reset, so look for the gap.
    let later = unit.wait_for("NRestarts to grow, seen between two runs", |p| {
        restarts(p) > n && prop(p, "SubState") == "auto-restart"
    });
    eprintln!(
        "fixture --fail 7 with Restart=on-failure: NRestarts {n} -> {}",
        restarts(&later)
    );
    assert_eq!(prop(&later, "ExecMainStatus"), "7", "{later:?}");
    unit.ctl(&["stop"]);
}

#[test]
fn sighup_reloads_without_stopping() {
    let unit = Unit::hello("hello-sighup", "");
    unit.ctl(&["start"]);
    let pid = prop(&unit.show(), "MainPID").to_owned();
    unit.wait_for_log("Service started");

    unit.ctl(&["kill", "-s", "HUP"]);
    unit.wait_for_log("Reload requested");

    let props = unit.show();
    assert_eq!(prop(&props, "ActiveState"), "active", "{props:?}");
    assert_eq!(prop(&props, "MainPID"), pid, "the main process changed");
    assert_eq!(restarts(&props), 0, "{props:?}");
    assert!(!unit.log().contains("Service stopping"), "{}", unit.log());

    unit.ctl(&["stop"]);
    assert_eq!(prop(&unit.show(), "Result"), "success");
    assert!(unit.log().contains("Service stopping"), "{}", unit.log());
}
