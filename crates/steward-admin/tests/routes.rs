//! Every route and every auth case over real HTTP on loopback.

mod common;

use common::*;
use steward_admin::{
    AdminConfig, AdminError, AdminHandle, ControlAction, ControlError, ServiceState, fetch_status,
};

#[test]
fn anonymous_loopback_reads_are_open_and_control_is_disabled() {
    let sup = FakeSupervisor::new();
    let admin = start(&sup, None);
    let a = admin.local_addr();
    assert_eq!(raw(a, "GET /healthz HTTP/1.1", None).code, 200);
    assert_eq!(raw(a, "GET /readyz HTTP/1.1", None).code, 200);
    let status = raw(a, "GET /status HTTP/1.1", None);
    assert_eq!(status.code, 200);
    let v: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    assert_eq!(v["state"], "running");
    assert_eq!(v["pid"], std::process::id());
    assert_eq!(v["restarts"], 3);
    assert_eq!(v["last_exit"]["code"], 7);
    assert_eq!(v["uptime_seconds"], 12.0);
    assert_eq!(v["health"]["checks"][0]["name"], "web");
    assert_eq!(v["health"]["checks"][0]["consecutive_failures"], 0);
    assert_eq!(v["log"]["bytes_dropped"], 5);
    let m = raw(a, "GET /metrics HTTP/1.1", None);
    assert_eq!(m.code, 200);
    assert!(
        m.head
            .to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text")
    );
    for line in [
        "steward_state{state=\"running\"} 1",
        "steward_state{state=\"stopped\"} 0",
        "steward_restarts_total 3",
        "steward_last_exit_code 7.0",
        "steward_live 1.0",
        "steward_ready 1.0",
        "steward_health_check_duration_seconds{check=\"web\",role=\"both\"} 0.003",
        "steward_health_check_failures_total{check=\"web\",role=\"both\"} 2.0",
        "steward_health_check_consecutive_failures{check=\"web\",role=\"both\"} 0.0",
        "steward_log_written_bytes_total 1234",
        "steward_log_dropped_bytes_total 5",
        "# EOF",
    ] {
        assert!(
            m.body.lines().any(|l| l == line),
            "missing {line:?} in\n{}",
            m.body
        );
    }
    assert_eq!(
        cfg!(target_os = "linux"),
        m.body.contains("steward_program_resident_memory_bytes ")
    );
    assert_eq!(
        cfg!(target_os = "linux"),
        m.body.contains("steward_program_cpu_seconds_total ")
    );
    for action in ["restart", "stop", "start"] {
        let r = raw(a, &format!("POST /{action} HTTP/1.1"), Some(CONTROL_TOKEN));
        assert_eq!(r.code, 403, "{action}: {}", r.body);
        assert!(r.body.contains("no tokens file"));
    }
    assert!(sup.actions().is_empty());
    assert_eq!(fetch_status(a, None).unwrap()["name"], "fake");
}

#[test]
fn reads_need_a_token_when_a_tokens_file_is_configured() {
    let sup = FakeSupervisor::new();
    let (_dir, tokens) = tokens_file();
    let admin = start(&sup, Some(tokens));
    let a = admin.local_addr();
    for path in ["/status", "/metrics"] {
        let none = raw(a, &format!("GET {path} HTTP/1.1"), None);
        assert_eq!(none.code, 401, "{path} without token");
        assert!(
            none.head.contains("www-authenticate: Bearer")
                || none.head.contains("WWW-Authenticate: Bearer")
        );
        assert_eq!(
            raw(a, &format!("GET {path} HTTP/1.1"), Some(WRONG_TOKEN)).code,
            401,
            "{path} wrong"
        );
        assert_eq!(
            raw(a, &format!("GET {path} HTTP/1.1"), Some(READ_TOKEN)).code,
            200,
            "{path} read"
        );
        assert_eq!(
            raw(a, &format!("GET {path} HTTP/1.1"), Some(CONTROL_TOKEN)).code,
            200,
            "{path} control"
        );
        assert_eq!(
            raw(a, &format!("GET {path}?x=1 HTTP/1.1"), None).code,
            401,
            "{path} with query"
        );
    }
    // The probes stay open (one bit each).
    for path in ["/healthz", "/readyz"] {
        for token in [
            None,
            Some(WRONG_TOKEN),
            Some(READ_TOKEN),
            Some(CONTROL_TOKEN),
        ] {
            assert_eq!(
                raw(a, &format!("GET {path} HTTP/1.1"), token).code,
                200,
                "{path} {token:?}"
            );
        }
    }
    // A lowercase scheme is accepted; garbage schemes are not.
    let lower = format!(
        "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: bearer {READ_TOKEN}\r\n\r\n"
    );
    assert_eq!(raw_bytes(a, lower.as_bytes()).code, 200);
    let basic = format!(
        "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic {READ_TOKEN}\r\n\r\n"
    );
    assert_eq!(raw_bytes(a, basic.as_bytes()).code, 401);
    let v = fetch_status(a, Some(READ_TOKEN)).unwrap();
    assert_eq!(v["state"], "running");
    let e = fetch_status(a, None).unwrap_err().to_string();
    assert_eq!(e, "admin request failed: status 401: missing bearer token");
}

#[test]
fn control_needs_the_control_role() {
    let sup = FakeSupervisor::new();
    let (_dir, tokens) = tokens_file();
    let admin = start(&sup, Some(tokens));
    let a = admin.local_addr();
    for (done, action) in ["restart", "stop", "start"].into_iter().enumerate() {
        let line = format!("POST /{action} HTTP/1.1");
        assert_eq!(raw(a, &line, None).code, 401, "{action} without token");
        assert_eq!(
            raw(a, &line, Some(WRONG_TOKEN)).code,
            401,
            "{action} wrong token"
        );
        let r = raw(a, &line, Some(READ_TOKEN));
        assert_eq!(r.code, 403, "{action} read token");
        assert!(r.body.contains("may only read"));
        assert_eq!(
            sup.actions().len(),
            done,
            "a refused request reached the supervisor"
        );
        let ok = raw(a, &line, Some(CONTROL_TOKEN));
        assert_eq!(ok.code, 202, "{action} control token: {}", ok.body);
        assert!(ok.body.contains(action));
    }
    assert_eq!(
        sup.actions(),
        vec![
            ControlAction::Restart,
            ControlAction::Stop,
            ControlAction::Start
        ]
    );
    *sup.refuse.lock().unwrap() = Some(ControlError::Conflict("already stopped".into()));
    let r = raw(a, "POST /stop HTTP/1.1", Some(CONTROL_TOKEN));
    assert_eq!(
        (r.code, r.body.as_str()),
        (409, r#"{"error":"already stopped"}"#)
    );
}

#[test]
fn probes_answer_503_when_not_live_or_not_ready() {
    let sup = FakeSupervisor::new();
    let admin = start(&sup, None);
    let a = admin.local_addr();
    *sup.state.lock().unwrap() = ServiceState::Starting;
    assert_eq!(raw(a, "GET /healthz HTTP/1.1", None).code, 200);
    assert_eq!(raw(a, "GET /readyz HTTP/1.1", None).code, 503);
    *sup.state.lock().unwrap() = ServiceState::Running;
    {
        let mut h = sup.health.lock().unwrap();
        let mut s = (**h.as_ref().unwrap()).clone();
        s.live = false;
        *h = Some(std::sync::Arc::new(s));
    }
    assert_eq!(raw(a, "GET /healthz HTTP/1.1", None).code, 503);
    assert_eq!(raw(a, "GET /readyz HTTP/1.1", None).code, 503);
    *sup.state.lock().unwrap() = ServiceState::Stopped;
    *sup.health.lock().unwrap() = None;
    assert_eq!(raw(a, "GET /healthz HTTP/1.1", None).code, 503);
    let v: serde_json::Value =
        serde_json::from_str(&raw(a, "GET /status HTTP/1.1", None).body).unwrap();
    assert_eq!(
        (v["state"].as_str(), v["live"].as_bool()),
        (Some("stopped"), Some(false))
    );
}

#[test]
fn non_loopback_bind_without_tokens_is_refused() {
    let sup = FakeSupervisor::new();
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:9610"] {
        let config = AdminConfig {
            listen: listen.parse().unwrap(),
            tokens_file: None,
        };
        let e = AdminHandle::start(&config, sup.clone(), sup.clone())
            .err()
            .expect("refused");
        assert!(
            matches!(e, AdminError::NonLoopbackWithoutTokens(_)),
            "{listen}: {e}"
        );
        assert!(
            e.to_string()
                .starts_with("refusing to bind admin endpoint to non-loopback address")
        );
    }
    // With a tokens file the same bind is allowed.
    let (_dir, tokens) = tokens_file();
    let config = AdminConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        tokens_file: Some(tokens),
    };
    let admin = AdminHandle::start(&config, sup.clone(), sup.clone()).expect("allowed with tokens");
    admin.shutdown().unwrap();
}

#[test]
fn shutdown_closes_the_listener() {
    let sup = FakeSupervisor::new();
    let admin = start(&sup, None);
    let a = admin.local_addr();
    admin.shutdown().unwrap();
    assert!(std::net::TcpStream::connect(a).is_err());
}

#[test]
fn registry_is_null_without_a_registry_table_and_reported_with_one() {
    use std::time::Duration;
    use steward_admin::{AnnouncedHealth, ElectionRole, RegistryReport, RegistryState};

    let sup = FakeSupervisor::new();
    let admin = start(&sup, None);
    let a = admin.local_addr();
    let v: serde_json::Value =
        serde_json::from_str(&raw(a, "GET /status HTTP/1.1", None).body).unwrap();
    assert!(
        v.get("registry").is_some_and(serde_json::Value::is_null),
        "{v}"
    );
    let m = raw(a, "GET /metrics HTTP/1.1", None).body;
    assert!(!m.contains("steward_registry"), "{m}");

    // Registered, without standby: no leader metric, no role.
    *sup.registry.lock().unwrap() = Some(RegistryReport {
        state: RegistryState::Registered,
        key: Some("/services/fake/host1-42".into()),
        lease_id: Some(0x694d_8a1b_2c3d_4e5f),
        health: Some(AnnouncedHealth::Unhealthy),
        role: None,
        attempts: 0,
        last_error: None,
        in_state: Some(Duration::from_secs(90)),
    });
    let v: serde_json::Value =
        serde_json::from_str(&raw(a, "GET /status HTTP/1.1", None).body).unwrap();
    let r = &v["registry"];
    assert_eq!(r["state"], "registered");
    assert_eq!(r["registered"], true);
    assert_eq!(r["key"], "/services/fake/host1-42");
    assert_eq!(r["lease_id"], "694d8a1b2c3d4e5f");
    assert_eq!(r["health"], "unhealthy");
    assert!(r["role"].is_null() && r["last_error"].is_null());
    assert_eq!(r["attempts"], 0);
    assert_eq!(r["in_state_seconds"], 90.0);
    let m = raw(a, "GET /metrics HTTP/1.1", None).body;
    for line in [
        "steward_registry_state{state=\"registered\"} 1",
        "steward_registry_state{state=\"retrying\"} 0",
        "steward_registry_state{state=\"waiting\"} 0",
        "steward_registry_registered 1.0",
        "steward_registry_retry_attempts 0.0",
    ] {
        assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
    }
    assert!(!m.contains("steward_registry_leader"), "{m}");

    // An outage of a standby pair's leader.
    *sup.registry.lock().unwrap() = Some(retrying_registry());
    let v: serde_json::Value =
        serde_json::from_str(&raw(a, "GET /status HTTP/1.1", None).body).unwrap();
    let r = &v["registry"];
    assert_eq!(r["state"], "retrying");
    assert_eq!(r["registered"], false);
    assert_eq!(r["attempts"], 4);
    assert_eq!(r["role"], "leader");
    assert!(r["lease_id"].is_null() && r["health"].is_null());
    assert!(
        r["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("authentication failed")),
        "{r}"
    );
    let m = raw(a, "GET /metrics HTTP/1.1", None).body;
    for line in [
        "steward_registry_state{state=\"retrying\"} 1",
        "steward_registry_registered 0.0",
        "steward_registry_retry_attempts 4.0",
        "steward_registry_leader 1.0",
    ] {
        assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
    }
    let mut standby = retrying_registry();
    standby.state = RegistryState::Waiting;
    standby.role = Some(ElectionRole::Standby);
    *sup.registry.lock().unwrap() = Some(standby);
    let m = raw(a, "GET /metrics HTTP/1.1", None).body;
    assert!(m.lines().any(|l| l == "steward_registry_leader 0.0"), "{m}");
}
