//! One stream's way to its files: framing, the bytes not yet written, rotation, and the
//! degraded state while the files cannot be written.
//!
//! On a write or open error the sink becomes **degraded**: it keeps accepting the child's
//! output (so the child never waits on a broken disk), holds up to `degraded_buffer` bytes in
//! memory, counts and marks what does not fit, and retries every `retry`. The first failure of
//! a degradation is logged once (event 1300), the recovery once (event 1301).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use super::config::{CaptureConfig, Stream};
use super::file::LogFile;
use super::frame::Framer;
use super::janitor::Job;
use super::stats::Shared;

/// Write to the file once this many bytes are waiting (or when the queue is empty).
pub(crate) const FLUSH_AT: usize = 64 * 1024;
/// How often the path of the current file is checked against the open file.
const IDENTITY_EVERY: Duration = Duration::from_secs(1);

/// One stream's writer state.
pub(crate) struct Sink {
    stream: Stream,
    config: Arc<CaptureConfig>,
    framer: Framer,
    /// Formatted bytes not yet in the file.
    out: Vec<u8>,
    file: Option<LogFile>,
    /// Bytes lost and not yet marked in the file.
    unmarked: u64,
    unmarked_reason: String,
    /// `Some(next retry)` while degraded.
    degraded: Option<Instant>,
    next_identity_check: Instant,
    /// After a failed rename, no rotation is tried before this time.
    rotate_after: Instant,
    shared: Arc<Shared>,
    janitor: Option<std::sync::mpsc::Sender<Job>>,
}

impl Sink {
    /// A sink for `stream`; its file is opened on the first write.
    pub(crate) fn new(
        stream: Stream,
        config: Arc<CaptureConfig>,
        shared: Arc<Shared>,
        janitor: Option<std::sync::mpsc::Sender<Job>>,
    ) -> Self {
        Sink {
            framer: Framer::new(stream, config.format, config.timestamps, config.max_line),
            stream,
            config,
            out: Vec::new(),
            file: None,
            unmarked: 0,
            unmarked_reason: String::new(),
            degraded: None,
            next_identity_check: Instant::now(),
            rotate_after: Instant::now(),
            shared,
            janitor,
        }
    }

    /// Bytes waiting to be written.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// Takes a chunk of the child's output.
    pub(crate) fn accept(&mut self, data: &[u8]) {
        if self.degraded.is_some() && self.out.len() >= self.config.degraded_buffer {
            self.lost(
                data.len() as u64,
                "the log file cannot be written and the buffer is full",
            );
            return;
        }
        let now = SystemTime::now();
        if self.unmarked > 0 {
            let reason = std::mem::take(&mut self.unmarked_reason);
            self.framer
                .marker(self.unmarked, &reason, now, &mut self.out);
            self.unmarked = 0;
        }
        self.framer.push(data, now, &mut self.out);
    }

    /// Counts `bytes` of the child's output as lost; a marker line will say so.
    fn lost(&mut self, bytes: u64, reason: &str) {
        self.shared.dropped.fetch_add(bytes, Ordering::Relaxed);
        self.mark_lost(bytes, reason);
    }

    /// Notes that `bytes` (already counted) were lost here, for the marker line.
    pub(crate) fn mark_lost(&mut self, bytes: u64, reason: &str) {
        self.unmarked += bytes;
        if self.unmarked_reason.is_empty() {
            reason.clone_into(&mut self.unmarked_reason);
        }
    }

    /// The capture ends: one last write, whatever the retry schedule; what still cannot be
    /// written is counted as dropped and logged.
    pub(crate) fn close(&mut self) {
        self.end_of_source();
        let now = Instant::now();
        if self.degraded.is_some() {
            self.degraded = Some(now);
        }
        self.flush(now);
        if !self.out.is_empty() {
            let lost = self.out.len();
            Shared::add(&self.shared.dropped, lost);
            tracing::error!(
                event_id = 1300,
                "{lost} bytes of captured {} output of {} were dropped at stop: the log file cannot be written",
                self.stream.as_str(),
                self.config.name
            );
            self.out.clear();
            self.publish_buffered();
        }
    }

    /// The source ended: close its last line and write out any loss marker.
    pub(crate) fn end_of_source(&mut self) {
        if self.unmarked > 0 {
            let reason = std::mem::take(&mut self.unmarked_reason);
            self.framer
                .marker(self.unmarked, &reason, SystemTime::now(), &mut self.out);
            self.unmarked = 0;
        }
        self.framer.end_line(&mut self.out);
    }

    /// Writes what is waiting, unless degraded and the retry is not due; rotates as needed.
    pub(crate) fn flush(&mut self, now: Instant) {
        if self.degraded.is_some_and(|retry| now < retry) {
            self.publish_buffered();
            return;
        }
        match self.write_out(now) {
            Ok(()) => self.recovered(),
            Err(error) => self.failed(error, now),
        }
        self.publish_buffered();
    }

    fn publish_buffered(&self) {
        // Only the degraded state holds bytes back for long; report them.
        let buffered = if self.degraded.is_some() {
            self.out.len()
        } else {
            0
        };
        let slot = &self.shared.buffered_per_stream[self.stream.index()];
        slot.store(buffered as u64, Ordering::Relaxed);
    }

    fn write_out(&mut self, now: Instant) -> Result<(), String> {
        self.check_identity(now);
        self.rotate_by_time(now);
        while !self.out.is_empty() {
            let max_size = self.config.max_size.unwrap_or(u64::MAX);
            let file = Self::open(&mut self.file, &self.config, self.stream)?;
            let room = usize::try_from(max_size.saturating_sub(file.size)).unwrap_or(usize::MAX);
            let n = cut(&self.out, room);
            let may_rotate = now >= self.rotate_after && file.ends_line;
            if n > room && file.size > 0 && may_rotate {
                // The next line does not fit: it starts the next file.
                self.rotate(now);
                continue;
            }
            let result = file.write(&self.out[..n]);
            let written = match &result {
                Ok(()) => n,
                Err(short) => short.written,
            };
            Shared::add(&self.shared.written, written);
            self.out.drain(..written);
            if let Err(short) = result {
                return Err(format!(
                    "cannot write {}: {}",
                    file.path().display(),
                    short.error
                ));
            }
            if file.size >= max_size && now >= self.rotate_after && file.ends_line {
                self.rotate(now);
            }
        }
        Ok(())
    }

    fn open<'f>(
        file: &'f mut Option<LogFile>,
        config: &CaptureConfig,
        stream: Stream,
    ) -> Result<&'f mut LogFile, String> {
        if file.is_none() {
            let c = config;
            let opened = LogFile::open(&c.dir, &c.name, stream, c.rotate).map_err(|e| {
                let path = super::names::current_path(&c.dir, &c.name, stream);
                format!("cannot open {}: {e}", path.display())
            })?;
            *file = Some(opened);
        }
        Ok(file.as_mut().expect("opened above"))
    }

    fn check_identity(&mut self, now: Instant) {
        if now < self.next_identity_check {
            return;
        }
        self.next_identity_check = now + IDENTITY_EVERY;
        if let Some(file) = &self.file
            && !file.still_at_path()
        {
            tracing::warn!(
                "{} was deleted or renamed; recreating it",
                file.path().display()
            );
            self.file = None;
        }
    }

    fn rotate_by_time(&mut self, now: Instant) {
        let period = super::names::period(SystemTime::now(), self.config.rotate);
        let Some(file) = &mut self.file else { return };
        if period == file.period || !file.ends_line || now < self.rotate_after {
            return;
        }
        if file.size == 0 {
            file.period = period;
        } else {
            self.rotate(now);
        }
    }

    /// Renames the current file away (the next write opens a new one) and hands the rotated
    /// file to the janitor. A failed rename is logged and writing goes on in the same file.
    fn rotate(&mut self, now: Instant) {
        let Some(file) = self.file.take() else { return };
        let c = &self.config;
        match file.rotate_away(&c.dir, &c.name, self.stream) {
            Ok(rotated) => self.after_rotation(rotated),
            Err(error) => {
                tracing::warn!(
                    "cannot rotate the {} log of {}: {error}",
                    self.stream.as_str(),
                    c.name
                );
                self.rotate_after = now + self.config.retry;
            }
        }
    }

    fn after_rotation(&self, rotated: PathBuf) {
        if let Some(janitor) = &self.janitor {
            if self.config.compress {
                let _ = janitor.send(Job::Compress(rotated));
            }
            let _ = janitor.send(Job::Prune(self.stream));
        }
    }

    fn failed(&mut self, error: String, now: Instant) {
        self.shared.set_error(error.clone());
        if self.degraded.is_none() {
            tracing::error!(
                event_id = 1300,
                "captured output of {} ({}) cannot be written, keeping up to {} bytes in memory and retrying: {error}",
                self.config.name,
                self.stream.as_str(),
                self.config.degraded_buffer
            );
            self.shared.degraded_sinks.fetch_add(1, Ordering::Relaxed);
        }
        // The file may be gone with its directory: open it afresh next time.
        self.file = None;
        self.degraded = Some(now + self.config.retry);
    }

    fn recovered(&mut self) {
        if self.degraded.take().is_some() {
            self.shared.degraded_sinks.fetch_sub(1, Ordering::Relaxed);
            tracing::info!(
                event_id = 1301,
                "captured output of {} ({}) is written again",
                self.config.name,
                self.stream.as_str()
            );
        }
    }
}

/// How many bytes of `out` to write into a file with `room` bytes left before its size limit:
/// all if they fit, else up to the last line end within the room, else up to the first line
/// end after it (a line is never split across files), else all.
fn cut(out: &[u8], room: usize) -> usize {
    if out.len() <= room {
        return out.len();
    }
    if let Some(i) = memchr::memrchr(b'\n', &out[..room]) {
        return i + 1;
    }
    match memchr::memchr(b'\n', &out[room..]) {
        Some(j) => room + j + 1,
        None => out.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_fall_on_line_ends() {
        assert_eq!(cut(b"ab\ncd\n", 100), 6);
        assert_eq!(cut(b"ab\ncd\n", 4), 3);
        assert_eq!(cut(b"abcd\nef\n", 2), 5);
        assert_eq!(cut(b"abcdef", 2), 6);
        assert_eq!(cut(b"ab\ncd\n", 0), 3);
    }
}
