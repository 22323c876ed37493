//! The unix backend: a `syslog` crate logger on a unix socket.

use super::Severity;
use crate::error::Error;
use std::path::Path;
use std::sync::Mutex;
use syslog::{Facility, Formatter3164, LoggerBackend};

/// A connected syslog logger.
pub(super) struct Connection(Mutex<syslog::Logger<LoggerBackend, Formatter3164>>);

impl Connection {
    /// Connects to `path`, tagging messages with `tag` and this process's id.
    pub(super) fn connect(tag: &str, path: &Path) -> Result<Connection, Error> {
        let formatter = Formatter3164 {
            facility: Facility::LOG_DAEMON,
            // The local daemon adds the host name itself.
            hostname: None,
            process: tag.to_string(),
            pid: std::process::id(),
        };
        let logger = syslog::unix_custom(formatter, path).map_err(|e| Error::Syslog {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(Connection(Mutex::new(logger)))
    }

    /// Sends one message; failures are dropped (there is nowhere to report them).
    pub(super) fn send(&self, severity: Severity, text: &str) {
        let mut logger = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _ = match severity {
            Severity::Err => logger.err(text),
            Severity::Warning => logger.warning(text),
            Severity::Info => logger.info(text),
            Severity::Debug => logger.debug(text),
        };
    }
}
