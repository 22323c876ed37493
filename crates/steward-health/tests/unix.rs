//! Exec checks and the notify/watchdog socket (Unix: the Windows named-pipe backend is not
//! implemented yet and reports `HealthError::Unsupported`).
#![cfg(unix)]

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::{expect_event, start, wait_until};
use steward_health::{CheckRole, CheckSpec, HealthEvent, MonitorConfig, NotifyConfig};

const MS: Duration = Duration::from_millis(1);

#[test]
fn exec_check_passes_on_exit_zero_fails_on_exit_code_and_kills_on_timeout() {
    let checks = vec![
        CheckSpec::exec("zero", &["sh", "-c", "exit 0"]).role(CheckRole::Readiness),
        CheckSpec::exec("three", &["sh", "-c", "exit 3"]).role(CheckRole::Readiness),
        CheckSpec::exec("slow", &["sleep", "30"]).role(CheckRole::Readiness),
        CheckSpec::exec("missing", &["/nonexistent/check"]).role(CheckRole::Readiness),
    ];
    let checks = checks
        .into_iter()
        .map(|c| c.interval(100 * MS).timeout(300 * MS))
        .collect();
    let (monitor, _rx) = start(MonitorConfig {
        checks,
        notify: None,
    });
    let h = monitor.handle();
    wait_until(Duration::from_secs(10), "all checks probed", || {
        h.snapshot()
            .results
            .iter()
            .all(|r| r.message != "not checked yet")
    });
    let s = h.snapshot();
    let by = |n: &str| s.results.iter().find(|r| r.name == n).unwrap().clone();
    assert!(by("zero").ok);
    assert_eq!(by("three").message, "exit code 3");
    assert_eq!(by("slow").message, "still running after 300ms, killed");
    assert!(by("slow").duration >= 300 * MS && by("slow").duration < Duration::from_secs(5));
    assert!(
        by("missing")
            .message
            .starts_with("cannot start check program")
    );
    assert!(!s.ready);
}

fn send(path: &std::path::Path, msg: &str) {
    UnixDatagram::unbound()
        .unwrap()
        .send_to(msg.as_bytes(), path)
        .unwrap();
}

#[test]
fn watchdog_pings_then_silence_produces_watchdog_missed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: Some(300 * MS),
        require_ready: true,
    };
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify),
    });
    let env = monitor.child_env().to_vec();
    assert_eq!(
        env,
        vec![
            ("NOTIFY_SOCKET".into(), path.display().to_string()),
            ("WATCHDOG_USEC".into(), "300000".into())
        ]
    );
    let h = monitor.handle();
    assert!(!h.snapshot().ready, "READY=1 is required");
    send(&path, "READY=1\nSTATUS=warming up");
    expect_event(&rx, Duration::from_secs(5), "ready", |e| {
        *e == HealthEvent::Ready
    });
    assert_eq!(h.snapshot().status.as_deref(), Some("warming up"));
    // Ten pings 100 ms apart: no miss.
    for _ in 0..10 {
        send(&path, "WATCHDOG=1");
        std::thread::sleep(100 * MS);
    }
    let last_ping = Instant::now();
    let missed = expect_event(&rx, Duration::from_secs(5), "watchdog missed", |e| {
        matches!(
            e,
            HealthEvent::WatchdogMissed | HealthEvent::LivenessFailed { .. }
        )
    });
    assert_eq!(
        missed,
        HealthEvent::WatchdogMissed,
        "no miss while pinging, one after silence"
    );
    assert!(last_ping.elapsed() >= 200 * MS);
    assert!(!h.snapshot().live);
    // A new ping makes it live again; STOPPING=1 is passed on.
    send(&path, "WATCHDOG=1\nSTOPPING=1");
    expect_event(&rx, Duration::from_secs(5), "stopping", |e| {
        *e == HealthEvent::Stopping
    });
    wait_until(Duration::from_secs(5), "live again", || h.snapshot().live);
    drop(monitor);
    assert!(!path.exists(), "the socket file is removed on drop");
}

#[test]
fn watchdog_is_not_armed_before_the_first_ping_and_trigger_fires_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.sock");
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: Some(100 * MS),
        require_ready: false,
    };
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify),
    });
    expect_event(&rx, Duration::from_secs(5), "ready", |e| {
        *e == HealthEvent::Ready
    });
    std::thread::sleep(400 * MS);
    assert!(
        monitor.handle().snapshot().live,
        "silent before the first ping: not armed"
    );
    send(&path, "WATCHDOG=trigger");
    expect_event(&rx, Duration::from_secs(5), "watchdog missed", |e| {
        *e == HealthEvent::WatchdogMissed
    });
}

#[test]
fn notify_socket_refuses_to_replace_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-socket");
    std::fs::write(&path, "keep me").unwrap();
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: None,
        require_ready: false,
    };
    let e = steward_health::HealthMonitor::start(
        MonitorConfig {
            checks: vec![],
            notify: Some(notify),
        },
        |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("cannot create notify socket"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
}
