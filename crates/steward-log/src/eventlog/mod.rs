//! The Windows Event Log: a tracing layer that reports events under a registered source, and
//! the registration of that source.
//!
//! Levels map to event types: ERROR → Error, WARN → Warning, INFO/DEBUG/TRACE → Information
//! (DEBUG and TRACE are left out unless [`EventLogLayer::with_max_level`] lets them in). The
//! event ID comes from the event's `event_id` field or its level ([`EventId::choose`]); the one
//! string is the formatted event (message, then fields), which the message table renders as is.
//!
//! **OS caveat:** Event Viewer shows the text only when the source is registered
//! ([`register_event_source`]) with an `EventMessageFile` that carries steward's message table
//! (see `steward-log-build`). Registering needs administrator rights; reporting does not.

use crate::error::Error;
use crate::event_id::EventId;
use crate::message::EventText;
use std::path::Path;
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::Context;

#[cfg(windows)]
#[path = "windows.rs"]
mod sys;
#[cfg(not(windows))]
#[path = "unix.rs"]
mod sys;

/// `TypesSupported` of a registered source: error, warning and information (1 | 2 | 4).
pub const TYPES_SUPPORTED: u32 = 7;

/// The most UTF-16 units one Event Log string may hold (ReportEventW's limit is 31,839).
pub const MAX_STRING_CHARS: usize = 31_000;

/// The Event Log type of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// EVENTLOG_ERROR_TYPE.
    Error,
    /// EVENTLOG_WARNING_TYPE.
    Warning,
    /// EVENTLOG_INFORMATION_TYPE.
    Information,
}

impl EventType {
    /// The type of a tracing level: ERROR → Error, WARN → Warning, others → Information.
    pub fn for_level(level: Level) -> EventType {
        match level {
            Level::ERROR => EventType::Error,
            Level::WARN => EventType::Warning,
            _ => EventType::Information,
        }
    }
}

/// Where [`EventLogLayer`] sends events: the Event Log ([`EventSource`]) or, in tests, a
/// recorder.
pub trait EventSink: Send + Sync + 'static {
    /// Reports one event with one string.
    fn report(&self, kind: EventType, id: EventId, text: &str);
}

/// An event source opened with `RegisterEventSourceW`, closed with `DeregisterEventSource` on
/// drop.
#[derive(Debug)]
pub struct EventSource {
    /// The backend's handle.
    handle: sys::SourceHandle,
}

impl EventSource {
    /// Opens `source` on the local machine. Windows opens any name, registered or not
    /// (unregistered ones are written under "Application" without message text).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSource`], [`Error::Os`], or [`Error::Unsupported`] off Windows.
    pub fn open(source: &str) -> Result<EventSource, Error> {
        validate_source(source)?;
        Ok(EventSource {
            handle: sys::SourceHandle::open(source)?,
        })
    }
}

impl EventSink for EventSource {
    fn report(&self, kind: EventType, id: EventId, text: &str) {
        self.handle.report(kind, id, &event_string(text));
    }
}

/// A tracing layer that writes events to the Windows Event Log.
///
/// # Examples
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
/// let layer = steward_log::EventLogLayer::new("hello-service")?;
/// tracing_subscriber::registry().with(layer).init();
/// tracing::info!(event_id = 1000, "service started");
/// # Ok::<(), steward_log::Error>(())
/// ```
pub struct EventLogLayer<K = EventSource> {
    /// Where events go.
    sink: K,
    /// The most verbose level reported.
    max_level: Level,
}

impl EventLogLayer<EventSource> {
    /// A layer reporting under `source` (opened once, here), INFO and above.
    ///
    /// # Errors
    ///
    /// See [`EventSource::open`].
    pub fn new(source: &str) -> Result<Self, Error> {
        Ok(EventLogLayer::with_sink(EventSource::open(source)?))
    }
}

impl<K: EventSink> EventLogLayer<K> {
    /// A layer reporting to `sink`, INFO and above.
    pub fn with_sink(sink: K) -> Self {
        EventLogLayer {
            sink,
            max_level: Level::INFO,
        }
    }

    /// Reports events up to `level` (e.g. `Level::DEBUG` adds debug events as Information).
    pub fn with_max_level(mut self, level: Level) -> Self {
        self.max_level = level;
        self
    }
}

impl<S: Subscriber, K: EventSink> tracing_subscriber::Layer<S> for EventLogLayer<K> {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        // More verbose levels compare greater.
        if level > self.max_level {
            return;
        }
        let EventText { event_id, text } = EventText::of(event);
        self.sink.report(
            EventType::for_level(level),
            EventId::choose(event_id, level),
            &text,
        );
    }
}

/// The registry key of an event source, under `HKEY_LOCAL_MACHINE`.
pub fn source_key(source: &str) -> String {
    format!(r"SYSTEM\CurrentControlSet\Services\EventLog\Application\{source}")
}

/// Registers `source` in the Application log: creates [`source_key`] with `EventMessageFile`
/// (REG_EXPAND_SZ, `message_file_exe`, an absolute path to the executable carrying the message
/// table) and `TypesSupported` (REG_DWORD [`TYPES_SUPPORTED`]). Registering again overwrites
/// the values. Needs administrator rights.
///
/// # Errors
///
/// [`Error::InvalidSource`], [`Error::Os`] (e.g. access denied), [`Error::Unsupported`] off
/// Windows.
///
/// # Examples
///
/// ```no_run
/// steward_log::register_event_source("hello-service", r"C:\Program Files\Hello\hello.exe".as_ref())?;
/// # Ok::<(), steward_log::Error>(())
/// ```
pub fn register_event_source(source: &str, message_file_exe: &Path) -> Result<(), Error> {
    validate_source(source)?;
    sys::register(&source_key(source), message_file_exe)
}

/// Removes the registration of `source`; succeeds when it is not registered.
///
/// # Errors
///
/// [`Error::InvalidSource`], [`Error::Os`], [`Error::Unsupported`] off Windows.
pub fn remove_event_source(source: &str) -> Result<(), Error> {
    validate_source(source)?;
    sys::remove(&source_key(source))
}

/// Refuses names that are not a single registry key name.
fn validate_source(source: &str) -> Result<(), Error> {
    let reason = if source.trim().is_empty() {
        "empty"
    } else if source.contains('\\') {
        "contains a backslash"
    } else if source.contains('\0') {
        "contains a NUL character"
    } else if source.chars().count() > 255 {
        "longer than 255 characters"
    } else {
        return Ok(());
    };
    Err(Error::InvalidSource {
        name: source.to_string(),
        reason,
    })
}

/// `text` made safe for one Event Log string: NULs become spaces (they would end the string)
/// and it is cut at [`MAX_STRING_CHARS`] UTF-16 units, marked with an ellipsis.
fn event_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_STRING_CHARS));
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > MAX_STRING_CHARS - 1 {
            out.push('…');
            return out;
        }
        units += c.len_utf16();
        out.push(if c == '\0' { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests;
