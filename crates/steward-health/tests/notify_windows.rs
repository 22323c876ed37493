//! The notify/watchdog pipe on Windows (run under Wine by cross-building this test binary).
#![cfg(windows)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{expect_event, start, wait_until};
use steward_health::{HealthEvent, MonitorConfig, NotifyConfig};

const MS: Duration = Duration::from_millis(1);
/// How many clients the pipe serves at once (docs/health.md, Windows).
const INSTANCES: usize = 4;
/// `ERROR_PIPE_BUSY`: every instance has a client.
const ERROR_PIPE_BUSY: i32 = 231;

fn pipe_name(tag: &str) -> PathBuf {
    PathBuf::from(format!(
        r"\\.\pipe\steward-health-test-{}-{tag}",
        std::process::id()
    ))
}

/// Opens the pipe for writing, retrying while every instance is busy (deadline 5 s).
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

/// A monitor on a fresh pipe, with no watchdog and no readiness requirement.
fn plain(
    tag: &str,
) -> (
    PathBuf,
    steward_health::HealthMonitor,
    Receiver<HealthEvent>,
) {
    let path = pipe_name(tag);
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: None,
        require_ready: false,
    };
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify),
    });
    (path, monitor, rx)
}

/// The next `n` `STATUS=` texts, in arrival order (deadline 5 s each).
fn statuses(rx: &Receiver<HealthEvent>, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            match expect_event(rx, Duration::from_secs(5), "status", |e| {
                matches!(e, HealthEvent::Status(_))
            }) {
                HealthEvent::Status(s) => s,
                _ => unreachable!(),
            }
        })
        .collect()
}

/// sd_notify style without any retry: a busy pipe fails the test (the message would be lost).
fn send_once(path: &PathBuf, msg: &str) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{msg:?} lost: cannot open {}: {e}", path.display()));
    f.write_all(msg.as_bytes()).unwrap();
}

#[test]
fn back_to_back_open_write_close_clients_are_never_refused() {
    let (path, _monitor, rx) = plain("burst");
    for round in 0..5 {
        // As many connections in a row as there are instances, none waiting for the previous
        // one to be read: each finds a listening instance.
        let sent: Vec<String> = (0..INSTANCES).map(|j| format!("r{round}-{j}")).collect();
        for s in &sent {
            send_once(&path, &format!("STATUS={s}"));
        }
        let mut got = statuses(&rx, INSTANCES);
        got.sort();
        assert_eq!(got, sent, "round {round}");
    }
}

#[test]
fn concurrent_clients_are_all_served_each_in_its_own_order() {
    let (path, _monitor, rx) = plain("concurrent");
    let mut clients: Vec<std::fs::File> = (0..INSTANCES)
        .map(|k| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("client {k} refused: {e}"))
        })
        .collect();
    // One more than the pool: busy until an instance is free.
    let busy = std::fs::OpenOptions::new().write(true).open(&path);
    assert_eq!(
        busy.err().and_then(|e| e.raw_os_error()),
        Some(ERROR_PIPE_BUSY)
    );
    for m in 0..3 {
        for (k, c) in clients.iter_mut().enumerate() {
            c.write_all(format!("STATUS=c{k}-{m}").as_bytes()).unwrap();
        }
    }
    let got = statuses(&rx, 3 * INSTANCES);
    for k in 0..INSTANCES {
        let mine: Vec<&String> = got
            .iter()
            .filter(|s| s.starts_with(&format!("c{k}-")))
            .collect();
        let want: Vec<String> = (0..3).map(|m| format!("c{k}-{m}")).collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>(), "all: {got:?}");
    }
    drop(clients);
    // Freed instances listen again.
    send(&path, "STATUS=after");
    assert_eq!(statuses(&rx, 1), ["after"]);
}

/// `fixture-child.exe` cross-built next to this test binary (`target/<triple>/debug`).
fn fixture_child() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("fixture-child.exe");
    assert!(
        path.exists(),
        "{} missing: cargo build -p fixture-child --target x86_64-pc-windows-gnu",
        path.display()
    );
    path
}

#[test]
fn an_sd_notify_style_burst_from_a_program_arrives_whole() {
    let path = pipe_name("fixture");
    let notify = NotifyConfig {
        path: path.clone(),
        watchdog: None,
        require_ready: true,
    };
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![],
        notify: Some(notify),
    });
    // READY=1 and then STATUS=burst 1..3: one connection each, back to back, never retried;
    // the fixture exits 3 if any open was refused.
    let burst = INSTANCES - 1;
    let mut child = std::process::Command::new(fixture_child())
        .args(["--notify-burst", &burst.to_string()])
        .envs(monitor.child_env().iter().cloned())
        .spawn()
        .unwrap();
    let mut got = statuses(&rx, burst);
    got.sort();
    let want: Vec<String> = (1..=burst).map(|i| format!("burst {i}")).collect();
    assert_eq!(got, want);
    wait_until(Duration::from_secs(5), "ready", || {
        monitor.handle().snapshot().ready
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the fixture did not exit");
        std::thread::sleep(10 * MS);
    };
    assert!(status.success(), "the fixture lost messages: {status}");
}
