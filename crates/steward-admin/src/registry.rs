//! The service registry's part of `/status` and `/metrics`: where this instance's registration
//! in etcd stands. Plain data filled by the supervisor (this crate has no etcd dependency);
//! it has no field for endpoints' credentials, the credentials file or its content, so none
//! can leak.

use std::time::Duration;

use serde::Serialize;

/// Where the instance's registration stands (`registry.state` in `/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RegistryState {
    /// Not registering now: the program is not running or not ready yet, or this instance is a
    /// standby waiting for the leadership. Registration starts when the program runs and is ready.
    Waiting,
    /// The first attempt to register is under way.
    Registering,
    /// The key is written and its lease kept alive: consumers see the instance.
    Registered,
    /// etcd is unreachable or refused the registration; retrying with backoff. The program keeps
    /// running.
    Retrying,
    /// The lease was revoked (graceful stop): consumers no longer see the instance.
    Deregistered,
}

impl RegistryState {
    /// Every state, in metric order.
    pub const ALL: [RegistryState; 5] = [
        Self::Waiting,
        Self::Registering,
        Self::Registered,
        Self::Retrying,
        Self::Deregistered,
    ];

    /// The lowercase name used in JSON and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Registering => "registering",
            Self::Registered => "registered",
            Self::Retrying => "retrying",
            Self::Deregistered => "deregistered",
        }
    }
}

/// This instance's role in a cold-standby election (`[registry] standby = true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionRole {
    /// It holds the leader key: it runs the program.
    Leader,
    /// It does not hold the leader key (waiting for it, or its leadership was just lost and the
    /// program is being stopped): it does not run the program.
    Standby,
}

/// The health this instance announces in the registry (its value's `health` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncedHealth {
    /// Announced healthy: consumers may send traffic.
    Healthy,
    /// Announced unhealthy (or removed while unhealthy, with `on_unhealthy = "remove"`).
    Unhealthy,
}

/// The registration's state for `/status` (`registry` object) and `/metrics`
/// (`steward_registry_*`). Nothing here is secret: no credentials, no file contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryReport {
    /// Where the registration stands.
    pub state: RegistryState,
    /// The instance's key, `<prefix><service>/<instance-id>`, once known (while registered, and
    /// when the supervisor knows it otherwise).
    pub key: Option<String>,
    /// The etcd lease the key is attached to, while registered (`etcdctl lease timetolive`
    /// takes it in hex, as `/status` shows it).
    pub lease_id: Option<i64>,
    /// The health last announced, while registered.
    pub health: Option<AnnouncedHealth>,
    /// The role in the cold-standby election; `None` without `standby = true`.
    pub role: Option<ElectionRole>,
    /// Failed attempts in the current outage (0 unless `state` is [`RegistryState::Retrying`]).
    pub attempts: u64,
    /// The last error of the current outage, one line (etcd's message; never a credential).
    pub last_error: Option<String>,
    /// How long the registration has been in `state`: since the last (re)registration when
    /// registered, since the outage began when retrying; `None` when unknown.
    pub in_state: Option<Duration>,
}

impl RegistryReport {
    /// A report in `state` with every other field empty (no key, no role, no error).
    pub fn new(state: RegistryState) -> Self {
        Self {
            state,
            key: None,
            lease_id: None,
            health: None,
            role: None,
            attempts: 0,
            last_error: None,
            in_state: None,
        }
    }

    /// True while consumers see the instance.
    pub fn registered(&self) -> bool {
        self.state == RegistryState::Registered
    }
}

/// The `registry` object of `/status` (docs/admin.md).
#[derive(Serialize)]
pub(crate) struct RegistryJson<'a> {
    state: RegistryState,
    registered: bool,
    key: Option<&'a str>,
    lease_id: Option<String>,
    health: Option<AnnouncedHealth>,
    role: Option<ElectionRole>,
    attempts: u64,
    last_error: Option<&'a str>,
    in_state_seconds: Option<f64>,
}

impl<'a> RegistryJson<'a> {
    pub(crate) fn new(r: &'a RegistryReport) -> Self {
        Self {
            state: r.state,
            registered: r.registered(),
            key: r.key.as_deref(),
            lease_id: r.lease_id.map(|id| format!("{id:x}")),
            health: r.health,
            role: r.role,
            attempts: r.attempts,
            last_error: r.last_error.as_deref(),
            in_state_seconds: r.in_state.map(|d| d.as_secs_f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_stable() {
        let report = RegistryReport {
            state: RegistryState::Registered,
            key: Some("/services/web/host1-42".into()),
            lease_id: Some(0x694d_8a1b_2c3d_4e5f),
            health: Some(AnnouncedHealth::Healthy),
            role: Some(ElectionRole::Leader),
            attempts: 0,
            last_error: None,
            in_state: Some(Duration::from_millis(1500)),
        };
        let v = serde_json::to_value(RegistryJson::new(&report)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "state": "registered",
                "registered": true,
                "key": "/services/web/host1-42",
                "lease_id": "694d8a1b2c3d4e5f",
                "health": "healthy",
                "role": "leader",
                "attempts": 0,
                "last_error": null,
                "in_state_seconds": 1.5,
            })
        );
        for state in RegistryState::ALL {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                state.as_str(),
                "{state:?}"
            );
        }
        let waiting = serde_json::to_value(RegistryJson::new(&RegistryReport::new(
            RegistryState::Waiting,
        )))
        .unwrap();
        assert_eq!(waiting["state"], "waiting");
        assert_eq!(waiting["registered"], false);
        assert!(waiting["key"].is_null() && waiting["role"].is_null());
    }
}
