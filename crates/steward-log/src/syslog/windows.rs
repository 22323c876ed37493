//! Windows has no syslog socket: connecting is [`Error::Unsupported`].

use super::Severity;
use crate::error::Error;
use std::path::Path;

/// Never constructed on Windows ([`Connection::connect`] always fails).
pub(super) struct Connection(());

impl Connection {
    /// Fails: no syslog here.
    pub(super) fn connect(_tag: &str, _path: &Path) -> Result<Connection, Error> {
        Err(Error::Unsupported)
    }

    /// Does nothing: no connection exists.
    pub(super) fn send(&self, _severity: Severity, _text: &str) {}
}
