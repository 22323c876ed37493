//! Off Windows there is no Event Log: every operation is [`Error::Unsupported`].

use super::EventType;
use crate::error::Error;
use crate::event_id::EventId;
use std::path::Path;

/// Never constructed off Windows ([`SourceHandle::open`] always fails).
#[derive(Debug)]
pub(super) struct SourceHandle(());

impl SourceHandle {
    /// Fails: no Event Log here.
    pub(super) fn open(_source: &str) -> Result<SourceHandle, Error> {
        Err(Error::Unsupported)
    }

    /// Does nothing: no handle exists.
    pub(super) fn report(&self, _kind: EventType, _id: EventId, _text: &str) {}
}

/// Fails: no registry here.
pub(super) fn register(_key: &str, _message_file_exe: &Path) -> Result<(), Error> {
    Err(Error::Unsupported)
}

/// Fails: no registry here.
pub(super) fn remove(_key: &str) -> Result<(), Error> {
    Err(Error::Unsupported)
}
