//! Syslog (RFC 3164) over a unix datagram socket, `/dev/log` by default: the Linux fallback
//! when journald is not running.
//!
//! The wire format and the socket come from the `syslog` crate (Geal/rust-syslog, 7.x):
//! `<PRI>Mmm dd hh:mm:ss tag[pid]: text`, facility `daemon`. This module maps levels to
//! severities and events to text; the event ID, when an event has one, is appended as
//! `event_id=N`.

use crate::error::Error;
use crate::message::EventText;
use std::path::{Path, PathBuf};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::Context;

#[cfg(unix)]
#[path = "unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;

/// The usual syslog socket.
pub const DEV_LOG: &str = "/dev/log";

/// The syslog facility steward logs under: `daemon` (3).
pub const FACILITY_DAEMON: u8 = 3;

/// A syslog severity steward uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `err` (3).
    Err,
    /// `warning` (4).
    Warning,
    /// `info` (6).
    Info,
    /// `debug` (7).
    Debug,
}

impl Severity {
    /// ERROR → err, WARN → warning, INFO → info, DEBUG/TRACE → debug.
    pub fn for_level(level: Level) -> Severity {
        match level {
            Level::ERROR => Severity::Err,
            Level::WARN => Severity::Warning,
            Level::INFO => Severity::Info,
            _ => Severity::Debug,
        }
    }

    /// The numeric severity.
    pub fn code(self) -> u8 {
        match self {
            Severity::Err => 3,
            Severity::Warning => 4,
            Severity::Info => 6,
            Severity::Debug => 7,
        }
    }

    /// The PRI value of a message with this severity under the `daemon` facility.
    pub fn priority(self) -> u8 {
        FACILITY_DAEMON * 8 + self.code()
    }
}

/// A tracing layer that sends every event to syslog under a tag (the service name).
///
/// Messages that cannot be sent (the daemon is gone) are dropped: there is nowhere to report
/// them. Filter levels with `tracing_subscriber::Layer::with_filter`.
///
/// # Examples
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
/// let layer = steward_log::SyslogLayer::new("hello-service", steward_log::DEV_LOG)?;
/// tracing_subscriber::registry().with(layer).init();
/// # Ok::<(), steward_log::Error>(())
/// ```
pub struct SyslogLayer {
    /// The connected socket.
    connection: sys::Connection,
}

impl SyslogLayer {
    /// Connects to the syslog socket at `socket` (datagram, or stream if the daemon listens on
    /// one) and tags messages with `tag`.
    ///
    /// # Errors
    ///
    /// [`Error::Syslog`] when the socket cannot be reached; [`Error::Unsupported`] on Windows.
    pub fn new(tag: &str, socket: impl AsRef<Path>) -> Result<SyslogLayer, Error> {
        let path: PathBuf = socket.as_ref().into();
        Ok(SyslogLayer {
            connection: sys::Connection::connect(tag, &path)?,
        })
    }
}

/// The text sent for an event: its text, then `event_id=N` if it had one.
fn line(text: EventText) -> String {
    match text.event_id {
        Some(id) if text.text.is_empty() => format!("event_id={id}"),
        Some(id) => format!("{} event_id={id}", text.text),
        None => text.text,
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for SyslogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let severity = Severity::for_level(*event.metadata().level());
        self.connection.send(severity, &line(EventText::of(event)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_daemon_priorities() {
        let pri = |l| Severity::for_level(l).priority();
        assert_eq!(pri(Level::ERROR), 27);
        assert_eq!(pri(Level::WARN), 28);
        assert_eq!(pri(Level::INFO), 30);
        assert_eq!(pri(Level::DEBUG), 31);
        assert_eq!(pri(Level::TRACE), 31);
    }

    #[test]
    fn the_event_id_is_appended() {
        let t = |id, text: &str| {
            line(EventText {
                event_id: id,
                text: text.into(),
            })
        };
        assert_eq!(t(Some(1000), "started"), "started event_id=1000");
        assert_eq!(t(Some(1000), ""), "event_id=1000");
        assert_eq!(t(None, "plain"), "plain");
    }
}
