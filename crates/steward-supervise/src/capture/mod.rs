//! Capture of the child's stdout and stderr into rotated log files, losslessly by default.
//!
//! The supervisor holds the child's pipes. One reader thread per pipe reads continuously into a
//! bounded queue; one writer thread frames the bytes into lines and writes them, so a rotation
//! or a slow disk never loses a line. What the queue does when full is the [`Policy`]:
//! `Lossless` makes the reader (and so the child) wait only as long as the disk is slower than
//! the child; `Drop` never waits and counts and marks what it drops.
//!
//! * **Files**: `<dir>/<name>.stdout.log` and `<name>.stderr.log`, rotated by size (at a line
//!   end) and/or by UTC hour or day to `<name>.stdout.2026-11-25T15-42-00.log`, optionally
//!   gzipped by a background thread; the newest `keep` rotated files are kept. A current file
//!   deleted or renamed under the capture is noticed within a second and recreated.
//! * **Lines**: bytes pass through exactly (invalid UTF-8 included); a line longer than
//!   `max_line` is written as pieces of exactly `max_line` bytes, each ending with a newline;
//!   a source that ends mid-line gets a final newline. Optional UTC timestamp prefix, or JSON
//!   lines ([`Format::Json`]).
//! * **Disk full, unwritable directory**: the capture degrades instead of blocking the child: it
//!   buffers up to [`CaptureConfig::degraded_buffer`] bytes per stream in memory, then counts
//!   drops (and writes a marker line where they happened), retries every
//!   [`CaptureConfig::retry`], logs event 1300 once per degradation and 1301 on recovery, and
//!   shows it all in [`CaptureStats`].
//! * **Stop**: [`Capture::finish`] waits (up to a deadline) for the sources to end, writes what
//!   was read and closes; it never waits for a compression.
//!
//! ```no_run
//! use std::process::{Command, Stdio};
//! use std::time::Duration;
//! use steward_supervise::capture::{Capture, CaptureConfig, Stream};
//!
//! let mut capture = Capture::start(CaptureConfig::new("/var/log/web", "web"))?;
//! let mut child = Command::new("web").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
//! capture.attach(Stream::Stdout, child.stdout.take().unwrap())?;
//! capture.attach(Stream::Stderr, child.stderr.take().unwrap())?;
//! child.wait()?;
//! let stats = capture.finish(Duration::from_secs(5));
//! assert_eq!(stats.bytes_dropped, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod file;
mod frame;
mod janitor;
mod names;
mod pump;
mod read;
mod sink;
mod stats;

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use config::{
    CaptureConfig, DEFAULT_KEEP, DEFAULT_MAX_LINE, DEFAULT_MAX_SIZE, Format, Policy, RotateEvery,
    Stream,
};
pub use read::{follow_logs, read_logs};
pub use stats::{CaptureHealth, CaptureStats};

use pump::Msg;
use stats::Shared;

/// Why a capture could not start or take a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The config cannot work.
    #[error("invalid log capture config for {name}: {reason}")]
    Config {
        /// The capture's name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A thread could not be started.
    #[error("cannot start the log capture thread of {name}: {source}")]
    Thread {
        /// The capture's name.
        name: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// A running capture: the writer thread, and a reader thread per attached source.
///
/// One capture serves every run of the program: attach the new child's pipes after each
/// (re)start. Dropping a capture without [`finish`](Capture::finish) lets its threads end on
/// their own once the sources end.
#[derive(Debug)]
pub struct Capture {
    name: String,
    policy: Policy,
    tx: SyncSender<Msg>,
    readers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl Capture {
    /// Starts the writer (and the background janitor). The directory and files are created on
    /// the first write; if they cannot be, the capture is degraded, not failed.
    pub fn start(config: CaptureConfig) -> Result<Capture, CaptureError> {
        let invalid = |reason| CaptureError::Config {
            name: config.name.clone(),
            reason,
        };
        if config.name.is_empty() {
            return Err(invalid("the name is empty"));
        }
        if config.max_line == 0 || config.queue_chunks == 0 || config.max_size == Some(0) {
            return Err(invalid(
                "max_line, max_size and queue_chunks must be at least 1",
            ));
        }
        let name = config.name.clone();
        let thread_error = |source| CaptureError::Thread {
            name: name.clone(),
            source,
        };
        let janitor = janitor::Janitor {
            dir: config.dir.clone(),
            name: config.name.clone(),
            keep: config.keep,
            compress: config.compress,
        }
        .spawn()
        .map_err(thread_error)?;
        let shared = Arc::new(Shared::default());
        let (tx, rx) = sync_channel(config.queue_chunks);
        let policy = config.policy;
        let config = Arc::new(config);
        let sinks = Stream::ALL.map(|stream| {
            sink::Sink::new(
                stream,
                config.clone(),
                shared.clone(),
                Some(janitor.clone()),
            )
        });
        let writer = std::thread::Builder::new()
            .name("steward-log-writer".into())
            .spawn(move || pump::write_loop(rx, sinks))
            .map_err(thread_error)?;
        Ok(Capture {
            name,
            policy,
            tx,
            readers: Vec::new(),
            writer: Some(writer),
            shared,
        })
    }

    /// Reads `source` (the child's `ChildStdout`/`ChildStderr`, or any reader) on a thread of
    /// its own until it ends, into the files of `stream`.
    pub fn attach(
        &mut self,
        stream: Stream,
        source: impl Read + Send + 'static,
    ) -> Result<(), CaptureError> {
        let (tx, policy, shared) = (self.tx.clone(), self.policy, self.shared.clone());
        let reader = std::thread::Builder::new()
            .name(format!("steward-log-{}", stream.as_str()))
            .spawn(move || pump::read_loop(stream, source, tx, policy, shared))
            .map_err(|source| CaptureError::Thread {
                name: self.name.clone(),
                source,
            })?;
        self.readers.retain(|reader| !reader.is_finished());
        self.readers.push(reader);
        Ok(())
    }

    /// A cloneable handle on the counters and health.
    pub fn health(&self) -> CaptureHealth {
        CaptureHealth(self.shared.clone())
    }

    /// The counters and health right now.
    pub fn stats(&self) -> CaptureStats {
        self.health().stats()
    }

    /// Ends the capture: waits up to `deadline` for the sources to end (a grandchild may keep a
    /// pipe open; its later output is not captured), writes everything read, closes the files
    /// and returns the final counters. Pending compressions go on in the background.
    pub fn finish(mut self, deadline: Duration) -> CaptureStats {
        let until = Instant::now() + deadline;
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        // The writer is alive and draining, so this waits at most for one chunk's write.
        let _ = self.tx.send(Msg::Stop);
        if let Some(writer) = self.writer.take() {
            let until = until.max(Instant::now() + deadline);
            while !writer.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if writer.is_finished() {
                let _ = writer.join();
            } else {
                tracing::warn!("the log writer of {} did not finish in time", self.name);
            }
        }
        self.stats()
    }
}
