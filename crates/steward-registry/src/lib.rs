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
