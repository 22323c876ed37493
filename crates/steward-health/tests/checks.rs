//! HTTP, TCP and readiness behaviour against real loopback servers.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{expect_event, http_server_then_hang, start, wait_until};
use steward_health::{CheckRole, CheckSpec, HealthEvent, MonitorConfig, WaitReadyError};

const MS: Duration = Duration::from_millis(1);

fn fast(spec: CheckSpec) -> CheckSpec {
    spec.interval(50 * MS).timeout(300 * MS)
}

#[test]
fn http_server_that_answers_then_hangs_fails_liveness_after_threshold() {
    let addr = http_server_then_hang(200, 3);
    let spec = fast(CheckSpec::http("web", &format!("http://{addr}/healthz"))).failure_threshold(3);
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![spec],
        notify: None,
    });
    let handle = monitor.handle();
    handle
        .wait_ready(Duration::from_secs(5))
        .expect("ready while the server answers");
    let started_failing = Instant::now();
    let e = expect_event(&rx, Duration::from_secs(10), "liveness failure", |e| {
        matches!(e, HealthEvent::LivenessFailed { .. })
    });
    let HealthEvent::LivenessFailed { reason } = e else {
        unreachable!()
    };
    assert!(reason.contains("\"web\""), "{reason}");
    assert!(reason.contains("no answer within"), "{reason}");
    assert!(
        !reason.contains("127.0.0.1"),
        "the URL stays out of messages: {reason}"
    );
    // Three timed-out probes of 300 ms each must have happened.
    assert!(started_failing.elapsed() >= 3 * 250 * MS);
    let state = handle.snapshot();
    assert!(!state.live && !state.ready);
    assert!(state.results[0].consecutive_failures >= 3);
    assert!(state.results[0].failures_total >= 3);
    expect_event(&rx, Duration::from_secs(1), "not ready", |e| {
        *e == HealthEvent::NotReady
    });
}

#[test]
fn http_status_outside_the_expected_range_fails() {
    let addr = http_server_then_hang(503, 1000);
    let spec = fast(CheckSpec::http("web", &format!("http://{addr}/")))
        .failure_threshold(2)
        .role(CheckRole::Liveness);
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![spec],
        notify: None,
    });
    let e = expect_event(&rx, Duration::from_secs(5), "liveness failure", |e| {
        matches!(e, HealthEvent::LivenessFailed { .. })
    });
    assert_eq!(
        e,
        HealthEvent::LivenessFailed {
            reason: "health check \"web\" failed: status 503, expected 200-399".into()
        }
    );
    let r = &monitor.handle().snapshot().results[0];
    assert_eq!(r.message, "status 503, expected 200-399");
    assert!(!r.ok);
}

#[test]
fn tcp_check_against_a_closed_port_fails_and_an_open_one_passes() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // dropped: closed
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let checks = vec![
        fast(CheckSpec::tcp("closed", &closed.to_string()))
            .failure_threshold(2)
            .role(CheckRole::Liveness),
        fast(CheckSpec::tcp(
            "open",
            &open.local_addr().unwrap().to_string(),
        ))
        .role(CheckRole::Readiness),
    ];
    let (monitor, rx) = start(MonitorConfig {
        checks,
        notify: None,
    });
    let e = expect_event(&rx, Duration::from_secs(5), "liveness failure", |e| {
        matches!(e, HealthEvent::LivenessFailed { .. })
    });
    let HealthEvent::LivenessFailed { reason } = e else {
        unreachable!()
    };
    assert!(
        reason.starts_with("health check \"closed\" failed: connect failed"),
        "{reason}"
    );
    let handle = monitor.handle();
    wait_until(Duration::from_secs(5), "open port probed", || {
        handle.snapshot().results[1].ok
    });
    let s = handle.snapshot();
    assert_eq!(s.results[1].message, "connected");
    assert!(
        !s.live,
        "a failing liveness check makes the program not live"
    );
    assert!(!s.ready, "not ready while not live");
}

#[test]
fn readiness_becomes_true_only_after_the_program_serves() {
    // The "program": starts listening 1.5 s after launch.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let launched = Instant::now();
    let server = std::thread::spawn(move || {
        std::thread::sleep(1500 * MS);
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        for c in l.incoming().take(100) {
            drop(c);
        }
    });
    let spec = fast(CheckSpec::tcp("port", &format!("127.0.0.1:{port}")))
        .role(CheckRole::Readiness)
        .success_threshold(2);
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![spec],
        notify: None,
    });
    let handle = monitor.handle();
    assert_eq!(handle.wait_ready(500 * MS), Err(WaitReadyError::Timeout));
    assert!(!handle.snapshot().ready);
    handle
        .wait_ready(Duration::from_secs(10))
        .expect("ready once the port is open");
    assert!(
        launched.elapsed() >= 1500 * MS,
        "ready before the server was up"
    );
    expect_event(&rx, Duration::from_secs(1), "ready", |e| {
        *e == HealthEvent::Ready
    });
    // Two successes in a row were needed.
    assert!(handle.snapshot().ready);
    drop(monitor);
    assert_eq!(handle.wait_ready(MS), Err(WaitReadyError::Stopped));
    drop(server);
}

#[test]
fn start_period_hides_early_failures_and_reset_starts_it_again() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let spec = fast(CheckSpec::tcp("c", &closed.to_string()))
        .failure_threshold(1)
        .start_period(600 * MS);
    let (monitor, rx) = start(MonitorConfig {
        checks: vec![spec],
        notify: None,
    });
    let t0 = Instant::now();
    expect_event(&rx, Duration::from_secs(5), "liveness failure", |e| {
        matches!(e, HealthEvent::LivenessFailed { .. })
    });
    assert!(t0.elapsed() >= 550 * MS, "failed inside the start period");
    monitor.reset();
    let s = monitor.handle().snapshot();
    assert!(s.live, "reset forgets the failure");
    assert_eq!(s.results[0].message, "not checked yet");
    let t1 = Instant::now();
    expect_event(
        &rx,
        Duration::from_secs(5),
        "second liveness failure",
        |e| matches!(e, HealthEvent::LivenessFailed { .. }),
    );
    assert!(
        t1.elapsed() >= 550 * MS,
        "start period not restarted by reset"
    );
}

#[test]
fn invalid_specs_are_refused_with_the_check_name() {
    let bad = CheckSpec::http("x", "https://example.invalid/")
        .validate()
        .unwrap_err()
        .to_string();
    assert_eq!(bad, "health check \"x\": url must start with http://");
    let dup = MonitorConfig {
        checks: vec![CheckSpec::tcp("a", "h:1"), CheckSpec::tcp("a", "h:2")],
        notify: None,
    };
    let e = steward_health::HealthMonitor::start(dup, |_| {})
        .err()
        .unwrap()
        .to_string();
    assert_eq!(e, "health check name \"a\" is used twice");
    assert!(CheckSpec::exec::<&str>("e", &[]).validate().is_err());
    assert!(
        CheckSpec::tcp("t", "x:1")
            .failure_threshold(0)
            .validate()
            .is_err()
    );
}
