//! What one running instance announces: the JSON value under its key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Reserved last key segment for the standby leader key (`<prefix><service>/leader`).
pub const LEADER_ID: &str = "leader";

/// Health of an instance as announced in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// The health check passes (or the program has no health check and is running).
    #[default]
    Healthy,
    /// The health check fails; consumers should not send traffic.
    Unhealthy,
}

/// One instance of a service, stored as JSON at `<prefix><service>/<instance_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// Service name (the `[service] name` key).
    pub service: String,
    /// Unique id of this instance within the service (no `/`, not `leader`).
    pub instance_id: String,
    /// Host name of the machine.
    pub host: String,
    /// Address consumers connect to (`[registry] address`), empty if none.
    #[serde(default)]
    pub address: String,
    /// Version of the program.
    #[serde(default)]
    pub version: String,
    /// Process id of the program (or of steward).
    pub pid: u32,
    /// Start time in RFC 3339 UTC, e.g. `2026-11-25T16:05:00Z`.
    pub started_at: String,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Current health.
    #[serde(default)]
    pub health: Health,
}

impl InstanceInfo {
    /// An instance of `service` with id `<host>-<pid>`, started now, healthy.
    pub fn new(service: impl Into<String>) -> Self {
        let host = hostname();
        let pid = std::process::id();
        InstanceInfo {
            service: service.into(),
            instance_id: format!("{host}-{pid}"),
            host,
            address: String::new(),
            version: String::new(),
            pid,
            started_at: rfc3339(std::time::SystemTime::now()),
            metadata: BTreeMap::new(),
            health: Health::Healthy,
        }
    }

    /// Checks that service and instance id make a well-formed key.
    pub fn validate(&self) -> crate::Result<()> {
        for (what, value) in [
            ("service", &self.service),
            ("instance_id", &self.instance_id),
        ] {
            if value.is_empty() || value.contains('/') {
                return Err(crate::RegistryError::Config(format!(
                    "{what} {value:?} must be non-empty and contain no '/'"
                )));
            }
        }
        if self.instance_id == LEADER_ID {
            return Err(crate::RegistryError::Config(format!(
                "instance_id {LEADER_ID:?} is reserved"
            )));
        }
        Ok(())
    }
}

/// Host name from the environment (`HOSTNAME`/`COMPUTERNAME`) or `/etc/hostname`.
pub fn hostname() -> String {
    for var in ["HOSTNAME", "COMPUTERNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.trim().is_empty()
        {
            return name.trim().to_owned();
        }
    }
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Formats a time as RFC 3339 UTC with second precision.
pub fn rfc3339(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Splits a full key into `(service, instance_id)` if it lies under `prefix`.
pub(crate) fn split_key<'a>(prefix: &str, key: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = key.strip_prefix(prefix)?;
    let (service, id) = rest.split_once('/')?;
    (!id.contains('/') && id != LEADER_ID).then_some((service, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn keys_split_and_skip_leader() {
        assert_eq!(split_key("/services/", "/services/a/i1"), Some(("a", "i1")));
        assert_eq!(split_key("/services/", "/services/a/leader"), None);
        assert_eq!(split_key("/services/", "/other/a/i1"), None);
    }

    #[test]
    fn json_field_names_are_stable() {
        let info = InstanceInfo::new("svc");
        let value = serde_json::to_value(&info).unwrap();
        for field in [
            "service",
            "instance_id",
            "host",
            "address",
            "version",
            "pid",
            "started_at",
            "metadata",
            "health",
        ] {
            assert!(value.get(field).is_some(), "missing {field}");
        }
        assert_eq!(value["health"], "healthy");
    }
}
