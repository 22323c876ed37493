//! Registration, lease expiry, deregistration and watch against a real etcd.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::etcd::{self, Etcd};
use steward_registry::{
    Health, InstanceInfo, OnUnhealthy, Registration, RegistryClient, RegistryConfig, RegistryEvent,
    RegistryStatus, Watcher,
};

const TTL: Duration = Duration::from_secs(3);
const WAIT: Duration = Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn instance(service: &str, id: &str) -> InstanceInfo {
    let mut info = InstanceInfo::new(service);
    info.instance_id = id.into();
    info.address = "10.0.0.5:8080".into();
    info.version = "1.2.3".into();
    info.metadata.insert("zone".into(), "a".into());
    info
}

/// The next event, failing the test after `WAIT`.
async fn next(watcher: &mut Watcher) -> RegistryEvent {
    tokio::time::timeout(WAIT, watcher.next())
        .await
        .expect("no registry event within the deadline")
        .expect("watch failed")
        .expect("watch closed")
}

async fn list(config: &RegistryConfig, service: &str) -> Vec<InstanceInfo> {
    let mut client = RegistryClient::connect(config).await.expect("connect");
    client.list(Some(service)).await.expect("list")
}

#[test]
fn registration_is_visible_updates_health_and_deregistration_is_watched() {
    let etcd = Etcd::start();
    let config = etcd.config(TTL);
    let rt = runtime();
    let mut client = rt
        .block_on(RegistryClient::connect(&config))
        .expect("connect");
    let mut watcher = rt.block_on(client.watch(Some("web"))).expect("watch");

    let registration = Registration::start(config.clone(), instance("web", "i-1")).unwrap();
    assert!(
        registration.wait_registered(WAIT),
        "{:?}",
        registration.status()
    );
    let RegistryEvent::Join(joined) = rt.block_on(next(&mut watcher)) else {
        panic!("expected a join first");
    };
    assert_eq!(joined.instance_id, "i-1");

    // The raw value is JSON with every documented field.
    let raw = etcd.etcdctl(&["get", "/services/web/i-1", "--print-value-only"], None);
    let value: serde_json::Value = serde_json::from_str(raw.trim()).expect("json value");
    assert_eq!(value["service"], "web");
    assert_eq!(value["instance_id"], "i-1");
    assert_eq!(value["address"], "10.0.0.5:8080");
    assert_eq!(value["version"], "1.2.3");
    assert_eq!(value["pid"], std::process::id());
    assert_eq!(value["metadata"]["zone"], "a");
    assert_eq!(value["health"], "healthy");
    assert!(value["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(
        value["started_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    assert_eq!(rt.block_on(list(&config, "web")), vec![joined.clone()]);

    registration.set_health(Health::Unhealthy);
    match rt.block_on(next(&mut watcher)) {
        RegistryEvent::HealthChanged { instance, previous } => {
            assert_eq!(previous, Health::Healthy);
            assert_eq!(instance.health, Health::Unhealthy);
        }
        other => panic!("expected a health change, got {other:?}"),
    }

    registration.deregister(WAIT).expect("deregister");
    match rt.block_on(next(&mut watcher)) {
        RegistryEvent::Leave { instance_id, .. } => assert_eq!(instance_id, "i-1"),
        other => panic!("expected a leave, got {other:?}"),
    }
    assert!(rt.block_on(list(&config, "web")).is_empty());
}

#[test]
fn remove_mode_takes_an_unhealthy_instance_out_and_back() {
    let etcd = Etcd::start();
    let mut config = etcd.config(TTL);
    config.on_unhealthy = OnUnhealthy::Remove;
    let rt = runtime();
    let mut client = rt
        .block_on(RegistryClient::connect(&config))
        .expect("connect");
    let mut watcher = rt.block_on(client.watch(Some("api"))).expect("watch");
    let registration = Registration::start(config.clone(), instance("api", "i-2")).unwrap();
    assert!(matches!(
        rt.block_on(next(&mut watcher)),
        RegistryEvent::Join(_)
    ));
    registration.set_health(Health::Unhealthy);
    assert!(matches!(
        rt.block_on(next(&mut watcher)),
        RegistryEvent::Leave { .. }
    ));
    registration.set_health(Health::Healthy);
    assert!(matches!(
        rt.block_on(next(&mut watcher)),
        RegistryEvent::Join(_)
    ));
    registration.deregister(WAIT).expect("deregister");
}

#[test]
fn lease_expires_within_ttl_plus_one_second_after_sigkill() {
    let etcd = Etcd::start();
    let config = etcd.config(TTL);
    let rt = runtime();
    let mut client = rt
        .block_on(RegistryClient::connect(&config))
        .expect("connect");
    let mut watcher = rt.block_on(client.watch(Some("killed"))).expect("watch");
    let mut child = Command::new(etcd::example("register"))
        .args([
            &etcd.endpoint(),
            "killed",
            "victim",
            &TTL.as_secs().to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn register example");
    assert!(matches!(
        rt.block_on(next(&mut watcher)),
        RegistryEvent::Join(_)
    ));
    child.kill().expect("SIGKILL");
    let killed = Instant::now();
    child.wait().expect("reap");
    match rt.block_on(next(&mut watcher)) {
        RegistryEvent::Leave { instance_id, .. } => assert_eq!(instance_id, "victim"),
        other => panic!("expected a leave, got {other:?}"),
    }
    let gone_after = killed.elapsed();
    println!("lease expired {gone_after:?} after SIGKILL (ttl {TTL:?})");
    assert!(
        gone_after <= TTL + Duration::from_secs(1),
        "took {gone_after:?}"
    );
}

#[test]
fn etcd_down_at_start_then_up_registers() {
    let mut etcd = Etcd::new();
    let config = etcd.config(TTL);
    let registration = Registration::start(config.clone(), instance("late", "i-3")).unwrap();
    let retrying = |status: &RegistryStatus| matches!(status, RegistryStatus::Retrying { attempts, .. } if *attempts >= 2);
    let deadline = Instant::now() + WAIT;
    while !retrying(&registration.status()) {
        assert!(Instant::now() < deadline, "{:?}", registration.status());
        std::thread::sleep(Duration::from_millis(20));
    }
    etcd.launch();
    assert!(
        registration.wait_registered(WAIT),
        "{:?}",
        registration.status()
    );
    let rt = runtime();
    assert_eq!(rt.block_on(list(&config, "late")).len(), 1);
    registration.deregister(WAIT).expect("deregister");
}

#[test]
fn etcd_restarted_mid_run_re_registers() {
    let mut etcd = Etcd::start();
    let config = etcd.config(TTL);
    let registration = Registration::start(config.clone(), instance("phoenix", "i-4")).unwrap();
    assert!(registration.wait_registered(WAIT));
    etcd.kill9();
    let deadline = Instant::now() + WAIT;
    while registration.status().is_registered() {
        assert!(Instant::now() < deadline, "outage never noticed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Same data dir: the old lease may survive; either way the key must be there again.
    etcd.launch();
    assert!(
        registration.wait_registered(WAIT),
        "{:?}",
        registration.status()
    );
    let rt = runtime();
    let listed = rt.block_on(list(&config, "phoenix"));
    assert_eq!(listed.len(), 1, "{listed:?}");
    registration.deregister(WAIT).expect("deregister");
    assert!(rt.block_on(list(&config, "phoenix")).is_empty());
}

#[test]
fn lease_lost_is_re_granted() {
    let etcd = Etcd::start();
    let config = etcd.config(TTL);
    let registration = Registration::start(config.clone(), instance("lost", "i-5")).unwrap();
    assert!(registration.wait_registered(WAIT));
    let RegistryStatus::Registered { lease_id, .. } = registration.status() else {
        unreachable!()
    };
    // Revoke the lease behind the registration's back: the key vanishes, then comes back.
    etcd.etcdctl(&["lease", "revoke", &format!("{lease_id:x}")], None);
    let deadline = Instant::now() + WAIT;
    loop {
        match registration.status() {
            RegistryStatus::Registered { lease_id: now, .. } if now != lease_id => break,
            _ => assert!(Instant::now() < deadline, "{:?}", registration.status()),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let rt = runtime();
    assert_eq!(rt.block_on(list(&config, "lost")).len(), 1);
    registration.deregister(WAIT).expect("deregister");
}

#[test]
fn tls_and_auth() {
    let etcd = Etcd::start_tls_auth();
    let mut config = etcd.config(TTL);
    config.credentials_file = Some(etcd.credentials_file(etcd::USER, etcd::PASSWORD));
    let registration = Registration::start(config.clone(), instance("secure", "i-6")).unwrap();
    assert!(
        registration.wait_registered(WAIT),
        "{:?}",
        registration.status()
    );
    let rt = runtime();
    assert_eq!(rt.block_on(list(&config, "secure")).len(), 1);
    registration.deregister(WAIT).expect("deregister");

    // A wrong password is refused and reported, never panics.
    let mut wrong = config.clone();
    wrong.credentials_file = Some(etcd.credentials_file("intruder", "nope"));
    let refused = Registration::start(wrong, instance("secure", "i-7")).unwrap();
    let deadline = Instant::now() + WAIT;
    while !matches!(refused.status(), RegistryStatus::Retrying { .. }) {
        assert!(Instant::now() < deadline, "{:?}", refused.status());
        std::thread::sleep(Duration::from_millis(20));
    }
    let RegistryStatus::Retrying { last_error, .. } = refused.status() else {
        unreachable!()
    };
    assert!(last_error.contains("authentication failed"), "{last_error}");
}
