//! The health of a capture, shared between its threads and whoever asks.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A snapshot of a capture's counters and health.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CaptureStats {
    /// Bytes read from the child's pipes.
    pub bytes_read: u64,
    /// Bytes written to the log files (including timestamps, JSON and marker lines).
    pub bytes_written: u64,
    /// Bytes of the child's output lost: by the `drop` policy, or because the memory buffer
    /// of a degraded capture was full. Every loss is also marked in the file.
    pub bytes_dropped: u64,
    /// Bytes held in memory because the files cannot be written right now.
    pub bytes_buffered: u64,
    /// The files cannot be written (disk full, directory unwritable); the capture retries.
    pub degraded: bool,
    /// The last write or open error, naming the file.
    pub last_error: Option<String>,
}

/// The counters, updated by the capture's threads.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) read: AtomicU64,
    pub(crate) written: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) buffered_per_stream: [AtomicU64; 2],
    pub(crate) degraded_sinks: AtomicUsize,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn set_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }

    fn snapshot(&self) -> CaptureStats {
        CaptureStats {
            bytes_read: self.read.load(Ordering::Relaxed),
            bytes_written: self.written.load(Ordering::Relaxed),
            bytes_dropped: self.dropped.load(Ordering::Relaxed),
            bytes_buffered: self
                .buffered_per_stream
                .iter()
                .map(|slot| slot.load(Ordering::Relaxed))
                .sum(),
            degraded: self.degraded_sinks.load(Ordering::Relaxed) > 0,
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// A cloneable handle on a capture's health, for a health check or an admin endpoint; it
/// outlives the capture.
#[derive(Debug, Clone)]
pub struct CaptureHealth(pub(crate) Arc<Shared>);

impl CaptureHealth {
    /// The counters and health right now.
    pub fn stats(&self) -> CaptureStats {
        self.0.snapshot()
    }
}
