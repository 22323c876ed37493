//! `[registry]` inside `steward run`: the supervised program is announced in etcd while it
//! serves, marked unhealthy while it does not, and removed before it is asked to stop.
//!
//! The supervisor loop calls the [`Announce`] methods; the etcd work runs on the registration's
//! own thread, so the loop only ever waits in [`Announce::stopping`], bounded by
//! [`deregister_timeout`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use steward_registry::{
    Health, InstanceInfo, Registration, RegistryConfig, RegistryStatus, rfc3339,
};
use steward_supervise::Announce;

/// Announces one service instance in etcd on behalf of the supervisor loop.
pub struct RegistryAnnouncer {
    config: RegistryConfig,
    /// The instance as announced, but for `pid`, `started_at` and `health`.
    template: InstanceInfo,
    current: Mutex<Current>,
}

#[derive(Default)]
struct Current {
    /// The live registration; `None` before the program first serves and after a stop.
    registration: Option<Registration>,
    /// A registration could not even be started (a config that can never work): said once.
    refused: bool,
}

impl RegistryAnnouncer {
    /// An announcer for `service` from the resolved `[registry]` table; `version` is the
    /// announced version (the `[package]` version when there is one).
    pub fn new(
        registry: &steward_config::Registry,
        service: &str,
        version: Option<&str>,
    ) -> Arc<Self> {
        let mut template = InstanceInfo::new(service);
        if let Some(id) = &registry.instance_id {
            template.instance_id = id.clone();
        }
        template.address = registry.config.address.clone().unwrap_or_default();
        template.metadata = registry.config.metadata.clone();
        template.version = version.unwrap_or_default().to_owned();
        Arc::new(RegistryAnnouncer {
            config: registry.config.clone(),
            template,
            current: Mutex::new(Current::default()),
        })
    }

    /// The announced instance id (also this instance's standby candidate name).
    pub fn instance_id(&self) -> &str {
        &self.template.instance_id
    }

    /// The instance key this announcer writes.
    pub fn key(&self) -> String {
        self.config
            .instance_key(&self.template.service, &self.template.instance_id)
    }

    /// The registration's state; `None` while nothing is registered or being registered (the
    /// program has not served yet, or it was stopped).
    pub fn status(&self) -> Option<RegistryStatus> {
        self.lock().registration.as_ref().map(Registration::status)
    }

    /// Drops the registration without waiting: its lease is revoked in the background (used
    /// when a standby leader is fenced: etcd is likely unreachable, and the program must stop
    /// now; the lease expires on its own otherwise).
    pub fn abandon(&self) {
        if let Some(registration) = self.lock().registration.take() {
            tracing::info!(key = %self.key(), "leaving the registry: the leadership was lost");
            drop(registration);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Announce for RegistryAnnouncer {
    fn serving(&self, pid: u32) {
        let mut current = self.lock();
        if let Some(registration) = &current.registration {
            registration.set_serving(pid, Health::Healthy);
            return;
        }
        let instance = InstanceInfo {
            pid,
            started_at: rfc3339(SystemTime::now()),
            health: Health::Healthy,
            ..self.template.clone()
        };
        match Registration::start(self.config.clone(), instance) {
            Ok(registration) => {
                tracing::info!(key = %self.key(), "registering in etcd");
                current.registration = Some(registration);
            }
            Err(error) if !current.refused => {
                current.refused = true;
                tracing::error!("cannot register in etcd: {error}");
            }
            Err(_) => {}
        }
    }

    fn not_serving(&self, reason: &str) {
        if let Some(registration) = &self.lock().registration {
            tracing::info!(key = %self.key(), reason, "announcing the instance as unhealthy");
            registration.set_health(Health::Unhealthy);
        }
    }

    fn stopping(&self) {
        let Some(registration) = self.lock().registration.take() else {
            return;
        };
        let key = self.key();
        match registration.deregister(deregister_timeout(&self.config)) {
            Ok(()) => tracing::info!(%key, "deregistered from etcd before stopping the program"),
            Err(error) => tracing::warn!(
                %key,
                "cannot deregister from etcd ({error}); the entry expires with its lease"
            ),
        }
    }
}

/// How long a stop waits for the lease revocation before the program gets its stop request:
/// one etcd request deadline (`ttl / 3`), at most 3 s, so an unreachable etcd delays a stop
/// only a little (the entry then expires with its lease).
pub fn deregister_timeout(config: &RegistryConfig) -> Duration {
    (config.ttl / 3).min(Duration::from_secs(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> steward_config::Registry {
        let config = steward_config::check_str(
            &format!("[service]\nname = \"web\"\n[program]\ncommand = \"x\"\n{text}"),
            std::path::Path::new("/srv/web/steward.toml"),
        )
        .unwrap();
        config.registry.unwrap()
    }

    #[test]
    fn the_template_carries_the_configured_announcement() {
        let announcer = RegistryAnnouncer::new(
            &registry(
                "[registry]\ninstance_id = \"a1\"\naddress = \"10.0.0.5:8080\"\n\
                 metadata = { zone = \"a\" }\nprefix = \"/svc/\"\n",
            ),
            "web",
            Some("1.2.3"),
        );
        assert_eq!(announcer.key(), "/svc/web/a1");
        assert_eq!(announcer.template.address, "10.0.0.5:8080");
        assert_eq!(announcer.template.metadata["zone"], "a");
        assert_eq!(announcer.template.version, "1.2.3");
        assert_eq!(announcer.status(), None);
    }

    #[test]
    fn the_default_instance_id_is_host_and_pid() {
        let announcer = RegistryAnnouncer::new(&registry("[registry]\n"), "web", None);
        let expected = format!(
            "/services/web/{}-{}",
            steward_registry::hostname(),
            std::process::id()
        );
        assert_eq!(announcer.key(), expected);
    }

    #[test]
    fn nothing_to_withdraw_before_the_program_served() {
        let announcer = RegistryAnnouncer::new(&registry("[registry]\n"), "web", None);
        announcer.not_serving("exited");
        announcer.stopping();
        announcer.abandon();
        assert_eq!(announcer.status(), None);
    }

    #[test]
    fn the_stop_waits_at_most_three_seconds() {
        let mut config = RegistryConfig::default();
        assert_eq!(deregister_timeout(&config), Duration::from_secs(3));
        config.ttl = Duration::from_secs(3);
        assert_eq!(deregister_timeout(&config), Duration::from_secs(1));
    }
}
