//! Health of a supervised program: checks, a readiness gate, and a watchdog socket.
//!
//! - **Checks** ([`CheckSpec`]): HTTP GET with an expected status range, TCP connect, and exec
//!   (exit code 0, argv without a shell). Each has an interval, a timeout, failure and success
//!   thresholds and a start period, and a [`CheckRole`]: readiness, liveness or both.
//! - **[`HealthMonitor`]** runs every check on its own thread and publishes a [`HealthState`]
//!   (cheap to read: [`HealthHandle::snapshot`] clones an `Arc`). It emits [`HealthEvent`]s:
//!   `Ready` when all readiness conditions hold, `LivenessFailed` when a liveness check crosses its
//!   threshold, `WatchdogMissed` when the program stops pinging.
//! - **Readiness gate**: [`HealthHandle::wait_ready`] blocks with a deadline; the supervisor keeps
//!   the SCM in START_PENDING (or holds systemd's READY=1) until it returns.
//! - **Watchdog socket** ([`NotifyConfig`]): the program gets `NOTIFY_SOCKET` and `WATCHDOG_USEC`
//!   ([`HealthMonitor::child_env`]) and may send `READY=1`, `WATCHDOG=1`, `STATUS=`, `STOPPING=1`
//!   like under systemd. On Unix it is a datagram socket (`NotifyConfig::path` is a file path); on
//!   Windows a message-mode named pipe (`NotifyConfig::path` is `\\.\pipe\<name>`) that the
//!   program opens as a file and writes one message per write to.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use steward_health::{CheckRole, CheckSpec, HealthEvent, HealthMonitor, MonitorConfig};
//!
//! let config = MonitorConfig {
//!     checks: vec![
//!         CheckSpec::http("web", "http://127.0.0.1:8080/healthz")
//!             .interval(Duration::from_secs(1))
//!             .failure_threshold(3)
//!             .start_period(Duration::from_secs(5)),
//!         CheckSpec::exec("db", &["/usr/local/bin/db-ping"]).role(CheckRole::Readiness),
//!     ],
//!     notify: None,
//! };
//! let (tx, rx) = std::sync::mpsc::channel();
//! let monitor = HealthMonitor::start(config, move |e| { let _ = tx.send(e); })?;
//! monitor.handle().wait_ready(Duration::from_secs(30))?;
//! for event in rx {
//!     if let HealthEvent::LivenessFailed { reason } = event {
//!         eprintln!("restarting: {reason}");
//!         monitor.reset();
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod monitor;
pub mod notify;
mod probe;
mod spec;
mod sys;
mod tracker;
mod types;

pub use error::{HealthError, WaitReadyError};
pub use monitor::{HealthHandle, HealthMonitor};
pub use spec::{CheckKind, CheckRole, CheckSpec};
pub use types::{CheckResult, HealthEvent, HealthState, MonitorConfig, NotifyConfig};
