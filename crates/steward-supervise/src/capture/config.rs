//! What a capture does: where the files go, when they rotate, how lines are written, and what
//! happens when the disk cannot keep up.

use std::path::PathBuf;
use std::time::Duration;

/// One of the child's two output streams; each is written to its own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The child's standard output: `<name>.stdout.log`.
    Stdout,
    /// The child's standard error: `<name>.stderr.log`.
    Stderr,
}

impl Stream {
    /// Both streams, in the order [`read_logs`](super::read_logs) prints them.
    pub const ALL: [Stream; 2] = [Stream::Stdout, Stream::Stderr];

    /// `stdout` or `stderr`, as used in file names and JSON records.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }
}

/// What happens when the writer falls behind the child's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Never lose a byte: when the bounded queue is full the reader waits, so the child waits
    /// on its pipe, but only as long as the disk is slower than its output. The default.
    #[default]
    Lossless,
    /// Never make the child wait: when the queue is full the bytes are dropped, counted in
    /// [`CaptureStats::bytes_dropped`](super::CaptureStats) and reported by a marker line in
    /// the file where they were lost.
    Drop,
}

/// How each line is written to the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The child's bytes as they are (optionally after a timestamp). The default.
    #[default]
    Plain,
    /// One JSON object per line, for Loki/Promtail or any collector:
    /// `{"ts":"2026-11-25T15:42:00.123Z","stream":"stdout","line":"..."}`; a line that is not
    /// valid UTF-8 has `line_b64` (standard base64 of the exact bytes) instead of `line`; the
    /// pieces of a split line but the last have `"partial":true`.
    Json,
}

/// Rotation by time, on UTC hour or day boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotateEvery {
    /// Only by size. The default.
    #[default]
    Never,
    /// When a UTC hour ends.
    Hourly,
    /// When a UTC day ends.
    Daily,
}

/// The default size at which a file is rotated (10 MB).
pub const DEFAULT_MAX_SIZE: u64 = 10_000_000;
/// The default longest line (64 KiB); longer lines are split into pieces of this size.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
/// The default number of rotated files kept per stream.
pub const DEFAULT_KEEP: usize = 5;

/// The settings of a capture. Build one with [`CaptureConfig::new`] and change its fields.
///
/// # Examples
///
/// ```
/// use steward_supervise::capture::{CaptureConfig, Format, RotateEvery};
///
/// let mut config = CaptureConfig::new("/var/log/web", "web");
/// config.rotate = RotateEvery::Daily;
/// config.format = Format::Json;
/// assert_eq!(config.max_size, Some(10_000_000));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CaptureConfig {
    /// The directory of the log files (created when missing).
    pub dir: PathBuf,
    /// The files' base name, usually the service name: `<name>.stdout.log`.
    pub name: String,
    /// Rotate when a file reaches this size, at the next line boundary; `None`: never by size.
    pub max_size: Option<u64>,
    /// Rotate by time as well.
    pub rotate: RotateEvery,
    /// How many rotated files to keep per stream (older ones are deleted).
    pub keep: usize,
    /// Gzip rotated files, on a background thread.
    pub compress: bool,
    /// Prefix each plain line with its UTC arrival time (`2026-11-25T15:42:00.123Z `).
    pub timestamps: bool,
    /// Plain or JSON lines.
    pub format: Format,
    /// Lossless or drop when the writer falls behind.
    pub policy: Policy,
    /// Lines longer than this many bytes are split into pieces of exactly this size.
    pub max_line: usize,
    /// How many chunks (of up to 64 KiB each) may wait between the readers and the writer.
    pub queue_chunks: usize,
    /// While the files cannot be written (disk full, directory gone or unwritable), up to this
    /// many bytes per stream are kept in memory; beyond, bytes are dropped and counted.
    pub degraded_buffer: usize,
    /// How long to wait before retrying a failed write or open.
    pub retry: Duration,
}

impl CaptureConfig {
    /// The defaults: 10 MB files, no time rotation, keep 5, no compression, plain lines without
    /// timestamps, lossless, 64 KiB lines, an 8 MiB buffer per stream while degraded, retry
    /// every second.
    pub fn new(dir: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        CaptureConfig {
            dir: dir.into(),
            name: name.into(),
            max_size: Some(DEFAULT_MAX_SIZE),
            rotate: RotateEvery::Never,
            keep: DEFAULT_KEEP,
            compress: false,
            timestamps: false,
            format: Format::Plain,
            policy: Policy::Lossless,
            max_line: DEFAULT_MAX_LINE,
            queue_chunks: 64,
            degraded_buffer: 8 << 20,
            retry: Duration::from_secs(1),
        }
    }
}
