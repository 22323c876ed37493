//! Nothing secret in `/status` or `/metrics`: program env and argv secrets, the tokens, a
//! password inside a health check URL, and the registry's credentials while etcd refuses them,
//! all configured in this test.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use steward_health::{CheckSpec, HealthMonitor, MonitorConfig};

const URL_PASSWORD: &str = "url-pass-Wm5";

#[test]
fn status_and_metrics_hold_no_secret() {
    let sup = FakeSupervisor::new();
    assert!(sup.env[0].1 == ENV_SECRET && sup.args[1] == ARG_SECRET);
    // A real monitor whose failing check URL carries credentials.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://admin:{URL_PASSWORD}@{closed}/health");
    let spec = CheckSpec::http("web", &url)
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_millis(200));
    let monitor = HealthMonitor::start(
        MonitorConfig {
            checks: vec![spec],
            notify: None,
        },
        |_| {},
    )
    .unwrap();
    let h = monitor.handle();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while h.snapshot().results[0].message == "not checked yet" {
        assert!(std::time::Instant::now() < deadline, "check never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    *sup.health.lock().unwrap() = Some(Arc::clone(&h.snapshot()));
    // The registry is in an outage because etcd refused the credentials.
    assert!(sup.registry_credentials.contains(REGISTRY_PASSWORD));
    *sup.registry.lock().unwrap() = Some(retrying_registry());

    let (_dir, tokens) = tokens_file();
    let admin = start(&sup, Some(tokens));
    let a = admin.local_addr();
    let mut seen = String::new();
    for path in ["/status", "/metrics", "/healthz", "/readyz"] {
        for token in [READ_TOKEN, CONTROL_TOKEN] {
            let r = raw(a, &format!("GET {path} HTTP/1.1"), Some(token));
            assert_eq!(
                r.code / 100,
                if path.ends_with('z') { r.code / 100 } else { 2 },
                "{path}"
            );
            seen.push_str(&r.head);
            seen.push_str(&r.body);
        }
    }
    let r = raw(a, "POST /restart HTTP/1.1", Some(READ_TOKEN));
    seen.push_str(&r.head);
    seen.push_str(&r.body);
    assert!(
        seen.contains("steward_restarts_total 3"),
        "metrics were fetched"
    );
    assert!(seen.contains("\"web\""), "health results were fetched");
    assert!(
        seen.contains("steward_registry_retry_attempts 4")
            && seen.contains("authentication failed"),
        "registry state was fetched"
    );
    for secret in [
        ENV_SECRET,
        ARG_SECRET,
        READ_TOKEN,
        CONTROL_TOKEN,
        URL_PASSWORD,
        REGISTRY_USER,
        REGISTRY_PASSWORD,
        "API_KEY",
        "--password",
    ] {
        assert!(!seen.contains(secret), "{secret} leaked:\n{seen}");
    }
}
