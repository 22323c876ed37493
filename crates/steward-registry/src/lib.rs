//! Service registry and cold standby on etcd.
//!
//! - [`Registration`] announces one running instance at `<prefix><service>/<instance-id>` as
//!   JSON ([`InstanceInfo`]) attached to a lease, keeps the lease alive at `ttl / 3`, publishes
//!   health changes, survives etcd outages (retrying with backoff, see [`RegistryStatus`]) and
//!   revokes the lease on [`Registration::deregister`].
//! - [`RegistryClient`] lists instances and watches them join, leave and change health.
//! - [`Election`] elects one leader per service for active/standby pairs.
//!
//! Every handle runs its work on its own thread with its own tokio runtime: callers never
//! block on etcd beyond the deadlines they pass, and etcd trouble never panics.
//!
//! Keys, JSON schema and failure behaviour are documented in `docs/registry.md`.
//!
//! `steward run` announces wrapped programs itself (`[registry]` in steward.toml). A service
//! written with the `steward` library registers through the same API:
//!
//! ```no_run
//! use std::time::Duration;
//! use steward_registry::{InstanceInfo, RegistryConfig, Registration};
//!
//! fn main() -> steward::Exit {
//!     steward::run(steward::ServiceSpec::new("web"), |ctx| {
//!         // ... bind the listener, load state: then announce readiness and the instance.
//!         ctx.ready();
//!         let mut instance = InstanceInfo::new("web");
//!         instance.address = "10.0.0.5:8080".into();
//!         let config = RegistryConfig::new(["http://127.0.0.1:2379"]);
//!         // Fails only for a config that can never work; etcd being down is retried.
//!         let registration = Registration::start(config, instance)
//!             .map_err(|e| steward::Failure::msg(e.to_string()))?;
//!         while !ctx.wait_for_shutdown(Duration::from_secs(1)) {
//!             // serve
//!         }
//!         // Leave the registry first, so consumers stop sending before the service drains.
//!         let _ = registration.deregister(Duration::from_secs(3));
//!         Ok(())
//!     })
//! }
//! ```

mod config;
mod discovery;
mod election;
mod error;
mod instance;
mod registration;
mod task;

pub use config::{OnUnhealthy, RegistryConfig, TlsFiles};
pub use discovery::{RegistryClient, RegistryEvent, Watcher};
pub use election::{Election, LossReason, Role};
pub use error::{RegistryError, Result};
pub use instance::{Health, InstanceInfo, LEADER_ID, hostname, rfc3339};
pub use registration::{Registration, RegistryStatus};
