//! The registry's state as the admin endpoint shows it: `steward_registry`'s status and election
//! role turned into `steward_admin`'s plain [`RegistryReport`] (see docs/admin.md).
//!
//! `steward run` hands [`crate::admin::Bridge::set_registry`] a closure that calls [`report`]
//! with the registration's current status (and the election's role with `standby = true`), or
//! [`waiting`] while nothing is registering.

use std::time::SystemTime;

use steward_admin::{AnnouncedHealth, ElectionRole, RegistryReport, RegistryState};
use steward_registry::{Health, RegistryStatus, Role};

/// The report for `status` of a `Registration`, with `role` of the service's `Election` when
/// `[registry] standby = true` (`None` otherwise).
///
/// `status` is a `&RegistryStatus`, or an `Option<&RegistryStatus>` whose `None` (no
/// registration running: the program is not ready yet, or this instance is a standby) gives
/// [`waiting`].
pub fn report<'a>(
    status: impl Into<Option<&'a RegistryStatus>>,
    role: Option<Role>,
) -> RegistryReport {
    let Some(status) = status.into() else {
        return waiting(role);
    };
    let now = SystemTime::now();
    // A wall clock stepped back makes `since` lie in the future: say 0 rather than nothing.
    let elapsed = |since: &SystemTime| Some(now.duration_since(*since).unwrap_or_default());
    let mut report = match status {
        RegistryStatus::Starting => RegistryReport::new(RegistryState::Registering),
        RegistryStatus::Registered {
            key,
            lease_id,
            since,
            health,
        } => RegistryReport {
            key: Some(key.clone()),
            lease_id: Some(*lease_id),
            health: Some(match health {
                Health::Healthy => AnnouncedHealth::Healthy,
                Health::Unhealthy => AnnouncedHealth::Unhealthy,
            }),
            in_state: elapsed(since),
            ..RegistryReport::new(RegistryState::Registered)
        },
        RegistryStatus::Retrying {
            since,
            attempts,
            last_error,
        } => RegistryReport {
            attempts: u64::from(*attempts),
            last_error: Some(one_line(last_error)),
            in_state: elapsed(since),
            ..RegistryReport::new(RegistryState::Retrying)
        },
        RegistryStatus::Deregistered => RegistryReport::new(RegistryState::Deregistered),
    };
    report.role = role.map(election_role);
    report
}

/// The report while no registration runs: the program is not ready yet, or this instance is a
/// standby (`role`) waiting for the leadership.
pub fn waiting(role: Option<Role>) -> RegistryReport {
    RegistryReport {
        role: role.map(election_role),
        ..RegistryReport::new(RegistryState::Waiting)
    }
}

/// Leader while holding the leader key; standby otherwise (idle, campaigning, or a leadership
/// just lost whose program is being stopped).
pub fn election_role(role: Role) -> ElectionRole {
    match role {
        Role::Leader { .. } => ElectionRole::Leader,
        Role::Idle | Role::Campaigning | Role::Lost(_) => ElectionRole::Standby,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[path = "../../steward-registry/tests/common/etcd.rs"]
mod etcd;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use steward_admin::{AdminConfig, AdminHandle, fetch_status};
    use steward_registry::{InstanceInfo, LossReason, Registration};
    use steward_supervise::observe::Observer;

    use super::*;
    use crate::admin::Bridge;

    const WAIT: Duration = Duration::from_secs(20);

    #[test]
    fn statuses_and_roles_map_to_the_report() {
        let since = SystemTime::now() - Duration::from_secs(5);
        let registered = report(
            &RegistryStatus::Registered {
                key: "/services/web/h-1".into(),
                lease_id: 0x1f,
                since,
                health: Health::Unhealthy,
            },
            Some(Role::Leader { lease_id: 7 }),
        );
        assert_eq!(registered.state, RegistryState::Registered);
        assert_eq!(registered.key.as_deref(), Some("/services/web/h-1"));
        assert_eq!(registered.lease_id, Some(0x1f));
        assert_eq!(registered.health, Some(AnnouncedHealth::Unhealthy));
        assert_eq!(registered.role, Some(ElectionRole::Leader));
        assert!(
            registered
                .in_state
                .is_some_and(|d| d >= Duration::from_secs(5))
        );
        assert_eq!((registered.attempts, registered.last_error), (0, None));

        let retrying = report(
            &RegistryStatus::Retrying {
                since,
                attempts: 3,
                last_error: "etcd: transport\nerror".into(),
            },
            Some(Role::Lost(LossReason::KeepaliveOverdue)),
        );
        assert_eq!(retrying.state, RegistryState::Retrying);
        assert_eq!(retrying.attempts, 3);
        assert_eq!(
            retrying.last_error.as_deref(),
            Some("etcd: transport error")
        );
        assert_eq!(retrying.role, Some(ElectionRole::Standby));
        assert_eq!(retrying.key, None);

        let starting = report(&RegistryStatus::Starting, None);
        assert_eq!(starting, RegistryReport::new(RegistryState::Registering));
        assert_eq!(
            report(&RegistryStatus::Deregistered, None).state,
            RegistryState::Deregistered
        );
        let future = report(
            &RegistryStatus::Retrying {
                since: SystemTime::now() + Duration::from_secs(60),
                attempts: 1,
                last_error: "x".into(),
            },
            None,
        );
        assert_eq!(future.in_state, Some(Duration::ZERO));
        let standby = waiting(Some(Role::Campaigning));
        assert_eq!(standby.state, RegistryState::Waiting);
        assert_eq!(standby.role, Some(ElectionRole::Standby));
        assert_eq!(report(None, Some(Role::Idle)), standby);
        let status = RegistryStatus::Starting;
        assert_eq!(
            report(Some(&status), None).state,
            RegistryState::Registering
        );
    }

    fn endpoint(bridge: &Arc<Bridge>) -> AdminHandle {
        let config = AdminConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            tokens_file: None,
        };
        AdminHandle::start(&config, bridge.clone(), bridge.clone()).expect("admin starts")
    }

    fn metrics(admin: &AdminHandle) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(admin.local_addr()).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut body = String::new();
        stream.read_to_string(&mut body).unwrap();
        body
    }

    /// Polls `/status` until `registry.state` is `state`; the last answer.
    fn wait_state(admin: &AdminHandle, state: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let status = fetch_status(admin.local_addr(), None).unwrap();
            if status["registry"]["state"] == state || std::time::Instant::now() > deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_real_registration_shows_in_status_and_metrics() {
        let etcd = etcd::Etcd::start();
        let bridge = Bridge::new("web", Observer::new());
        let admin = endpoint(&bridge);
        assert!(fetch_status(admin.local_addr(), None).unwrap()["registry"].is_null());

        let mut instance = InstanceInfo::new("web");
        instance.instance_id = "report-1".into();
        let registration =
            Registration::start(etcd.config(Duration::from_secs(3)), instance).unwrap();
        let status = registration.subscribe();
        bridge.set_registry(Arc::new(move || report(&*status.borrow(), None)));
        let status = wait_state(&admin, "registered");
        let registry = &status["registry"];
        assert_eq!(registry["state"], "registered", "{status}");
        assert_eq!(registry["registered"], true);
        assert_eq!(registry["key"], "/services/web/report-1");
        assert_eq!(registry["health"], "healthy");
        assert!(registry["role"].is_null());
        // The lease shown is the one etcd holds the key with.
        let lease = registry["lease_id"].as_str().unwrap().to_owned();
        let ttl = etcd.etcdctl(&["lease", "timetolive", &lease, "--keys"], None);
        assert!(ttl.contains("/services/web/report-1"), "{ttl}");
        let m = metrics(&admin);
        assert!(m.contains("\nsteward_registry_registered 1.0\n"), "{m}");
        assert!(!m.contains("steward_registry_leader"), "{m}");

        registration.deregister(WAIT).unwrap();
        let status = fetch_status(admin.local_addr(), None).unwrap();
        assert_eq!(status["registry"]["state"], "deregistered", "{status}");
        assert!(status["registry"]["key"].is_null());
    }

    #[test]
    fn refused_credentials_show_as_retrying_without_the_password() {
        let etcd = etcd::Etcd::start_tls_auth();
        let password = "wrong-password-Hq9";
        let mut config = etcd.config(Duration::from_secs(3));
        config.credentials_file = Some(etcd.credentials_file(etcd::USER, password));
        let mut instance = InstanceInfo::new("web");
        instance.instance_id = "report-2".into();
        let registration = Registration::start(config, instance).unwrap();
        let bridge = Bridge::new("web", Observer::new());
        let status = registration.subscribe();
        bridge.set_registry(Arc::new(move || report(&*status.borrow(), None)));
        let admin = endpoint(&bridge);
        let status = wait_state(&admin, "retrying");
        let registry = &status["registry"];
        assert_eq!(registry["state"], "retrying", "{status}");
        assert!(registry["attempts"].as_u64().is_some_and(|n| n >= 1));
        let error = registry["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("authentication failed"), "{error}");
        let m = metrics(&admin);
        assert!(m.contains("\nsteward_registry_registered 0.0\n"), "{m}");
        assert!(
            m.contains("steward_registry_state{state=\"retrying\"} 1\n"),
            "{m}"
        );
        let seen = format!("{status}\n{m}");
        assert!(!seen.contains(password), "the password leaked:\n{seen}");
    }
}
