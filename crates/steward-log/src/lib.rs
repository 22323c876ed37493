//! Logs of a steward service where admins look: the Windows Event Log (a registered source
//! whose message table makes Event Viewer show the text), journald or syslog on Linux, and
//! stderr — all as `tracing` layers.
//!
//! # Setup in a service
//!
//! ```no_run
//! // First thing in main. Windows: Event Log (source "hello-service") + stderr. Linux:
//! // journald, else syslog at /dev/log, else stderr; plus stderr unless it is the journal.
//! let _log = steward_log::init("hello-service");
//! tracing::info!(event_id = steward_log::EventId::SERVICE_STARTED.get(), "service started");
//! ```
//!
//! On Windows, three more pieces make the events render in Event Viewer:
//!
//! 1. the executable carries the message table: its `build.rs` calls
//!    `steward_log_build::embed_message_table()` (crate `steward-log-build`);
//! 2. the installer registers the source: [`register_event_source`] (and
//!    [`remove_event_source`] on uninstall);
//! 3. events pick an ID of the documented table ([`EventId`], `docs/logging.md`) with an
//!    `event_id` field, or get their level's generic ID.
//!
//! The pieces are usable alone: [`EventLogLayer`], [`SyslogLayer`], and journald through
//! `tracing-journald`.

mod error;
mod event_id;
mod eventlog;
mod init;
mod message;
mod syslog;

pub use error::Error;
pub use event_id::EventId;
pub use eventlog::{
    EventLogLayer, EventSink, EventSource, EventType, MAX_STRING_CHARS, TYPES_SUPPORTED,
    register_event_source, remove_event_source, source_key,
};
pub use init::{
    Destination, Guard, JOURNALD_SOCKET, LinuxPlan, LogOptions, init, init_with, linux_plan,
};
pub use message::{EVENT_ID_FIELD, EventText};
pub use syslog::{DEV_LOG, FACILITY_DAEMON, Severity, SyslogLayer};

/// `error` and its sources as one line: `a: b: c`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        line.push_str(": ");
        line.push_str(&s.to_string());
        source = s.source();
    }
    line
}
