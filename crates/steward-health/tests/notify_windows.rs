//! The notify/watchdog pipe on Windows (run under Wine by cross-building this test binary).
#![cfg(windows)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{expect_event, start, wait_until};
use steward_health::{HealthEvent, MonitorConfig, NotifyConfig};

const MS: Duration = Duration::from_millis(1);

fn pipe_name(tag: &str) -> PathBuf {
    PathBuf::from(format!(
        r"\\.\pipe\steward-health-test-{}-{tag}",
        std::process::id()
    ))
}

/// Opens the pipe for writing, retrying while the single instance is busy (deadline 5 s).
fn open(path: &PathBuf) -> std::fs::File {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(f) => return f,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "cannot open {}: {e}",
                    path.display()
                );
                std::thread::sleep(5 * MS);
            }
        }
    }
}

/// sd_notify style: connect, write one message, close.
fn send(path: &PathBuf, msg: &str) {
    open(path).write_all(msg.as_bytes()).unwrap();
}

#[test]
fn watchdog_pings_then_silence_produces_watchdog_missed() {
    let path = pipe_name("wd");
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: Some(300 * MS),
        require_ready: true,
    };
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify),
    });
    assert_eq!(
        monitor.child_env().to_vec(),
        vec![
            ("NOTIFY_SOCKET".into(), path.display().to_string()),
            ("WATCHDOG_USEC".into(), "300000".into())
        ]
    );
    let h = monitor.handle();
    send(&path, "READY=1\nSTATUS=warming up");
    expect_event(&rx, Duration::from_secs(5), "ready", |e| {
        *e == HealthEvent::Ready
    });
    assert_eq!(h.snapshot().status.as_deref(), Some("warming up"));
    for _ in 0..10 {
        send(&path, "WATCHDOG=1");
        std::thread::sleep(100 * MS);
    }
    let missed = expect_event(&rx, Duration::from_secs(5), "watchdog missed", |e| {
        matches!(
            e,
            HealthEvent::WatchdogMissed | HealthEvent::LivenessFailed { .. }
        )
    });
    assert_eq!(missed, HealthEvent::WatchdogMissed);
    assert!(!h.snapshot().live);
    // A client that keeps the pipe open and writes several messages.
    let mut f = open(&path);
    f.write_all(b"WATCHDOG=1").unwrap();
    f.write_all(b"STOPPING=1").unwrap();
    expect_event(&rx, Duration::from_secs(5), "stopping", |e| {
        *e == HealthEvent::Stopping
    });
    wait_until(Duration::from_secs(5), "live again", || h.snapshot().live);
}

#[test]
fn a_second_endpoint_on_the_same_pipe_name_is_refused() {
    let path = pipe_name("dup");
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: None,
        require_ready: false,
    };
    let (_first, _rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify.clone()),
    });
    let e = steward_health::HealthMonitor::start(
        MonitorConfig {
            checks: vec![],
            notify: Some(notify),
        },
        |_| {},
    )
    .err()
    .expect("the name is taken");
    assert!(
        e.to_string().starts_with("cannot create notify socket"),
        "{e}"
    );
    let bad = NotifyConfig {
        path: PathBuf::from(r"C:\not-a-pipe"),
        watchdog: None,
        require_ready: false,
    };
    assert!(
        steward_health::HealthMonitor::start(
            MonitorConfig {
                checks: vec![],
                notify: Some(bad)
            },
            |_| {}
        )
        .is_err()
    );
}
