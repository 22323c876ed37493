//! The admin endpoint of a supervised service (axum on tokio, loopback by default).
//!
//! | route | auth | answer |
//! |---|---|---|
//! | `GET /healthz` | none | 200 when live, 503 otherwise |
//! | `GET /readyz` | none | 200 when ready, 503 otherwise |
//! | `GET /status` | `read` (see below) | JSON: state, pid, uptime, restarts, last exit, health, log counters, registry |
//! | `GET /metrics` | `read` (see below) | Prometheus/OpenMetrics text (`prometheus-client`) |
//! | `POST /start`, `/stop`, `/restart` | `control` | 202, the action handed to [`ControlSink`] |
//!
//! Auth model: tokens come only from a tokens file ([`AdminConfig::tokens_file`], `role:token`
//! lines, refused on Unix when group or others can access it). Without a tokens file the endpoint
//! must bind a loopback address ([`AdminError::NonLoopbackWithoutTokens`] otherwise), reads are
//! open and control is disabled (403). With a tokens file, `/status` and `/metrics` need a `read`
//! or `control` token and control needs a `control` token; `/healthz` and `/readyz` stay open
//! (one bit each, for load balancers and probes). Tokens are compared in constant time (SHA-256
//! digests, every entry checked).
//!
//! The supervisor implements [`StatusSource`] and [`ControlSink`]; [`ServiceStatus`] has no field
//! for environment, arguments, tokens or registry credentials, so none can leak. With a
//! `[registry]` table it carries a [`RegistryReport`]: where the instance's etcd registration
//! stands (plain data; this crate does not talk to etcd).
//!
//! # Examples
//!
//! ```no_run
//! use std::sync::Arc;
//! use steward_admin::*;
//!
//! struct Sup;
//! impl StatusSource for Sup {
//!     fn status(&self) -> ServiceStatus {
//!         ServiceStatus { name: "hello".into(), state: ServiceState::Running, pid: Some(42),
//!             uptime: None, restarts: 0, last_exit: None, health: None, log: LogCounters::default(),
//!             registry: None }
//!     }
//! }
//! impl ControlSink for Sup {
//!     fn control(&self, _action: ControlAction) -> Result<(), ControlError> { Ok(()) }
//! }
//! let sup = Arc::new(Sup);
//! let admin = AdminHandle::start(&AdminConfig::default(), sup.clone(), sup)?;
//! let status = fetch_status(admin.local_addr(), None)?;
//! assert_eq!(status["state"], "running");
//! # Ok::<(), AdminError>(())
//! ```

mod client;
mod error;
pub mod metrics;
mod registry;
mod server;
mod status;
mod sys;
pub mod tokens;

pub use client::fetch_status;
pub use error::AdminError;
pub use registry::{AnnouncedHealth, ElectionRole, RegistryReport, RegistryState};
pub use server::{AdminConfig, AdminHandle, AdminServer, DEFAULT_LISTEN};
pub use status::{
    ControlAction, ControlError, ControlSink, LastExit, LogCounters, ServiceState, ServiceStatus,
    StatusSource,
};
pub use tokens::{Role, TokenStore, client_token};
