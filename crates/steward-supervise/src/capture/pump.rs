//! The threads: one reader per source, reading continuously into a bounded queue, and one
//! writer that frames and writes what the readers read.

use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use super::config::{Policy, Stream};
use super::sink::{FLUSH_AT, Sink};
use super::stats::Shared;

/// The size of one read from a pipe.
const READ_SIZE: usize = 64 * 1024;
/// How often the idle writer checks time rotation, file identity and retries.
const TICK: Duration = Duration::from_millis(200);

/// What the readers (and the capture handle) tell the writer.
#[derive(Debug)]
pub(crate) enum Msg {
    /// Bytes read from a source.
    Data(Stream, Vec<u8>),
    /// The `drop` policy lost this many bytes of the stream here.
    Dropped(Stream, u64),
    /// A source of the stream ended.
    Eof(Stream),
    /// Write out everything received and end.
    Stop,
}

/// Reads `source` until it ends or fails, sending chunks to the writer under `policy`.
pub(crate) fn read_loop(
    stream: Stream,
    mut source: impl Read,
    tx: SyncSender<Msg>,
    policy: Policy,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; READ_SIZE];
    let mut dropped: u64 = 0;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A broken pipe or a closed handle ends the source like EOF.
            Err(_) => break,
        };
        Shared::add(&shared.read, n);
        let chunk = buf[..n].to_vec();
        let sent = match policy {
            Policy::Lossless => tx.send(Msg::Data(stream, chunk)).is_ok(),
            Policy::Drop => match offer(&tx, stream, &mut dropped, chunk) {
                Ok(()) => true,
                Err(lost) => {
                    dropped += lost as u64;
                    shared
                        .dropped
                        .fetch_add(lost as u64, std::sync::atomic::Ordering::Relaxed);
                    true
                }
            },
        };
        if !sent {
            return; // The writer is gone: the capture was stopped.
        }
    }
    if dropped > 0 {
        let _ = tx.send(Msg::Dropped(stream, dropped));
    }
    let _ = tx.send(Msg::Eof(stream));
}

/// Sends a chunk without waiting: first the marker of earlier losses, then the chunk. Returns
/// the chunk's length when it had to be dropped.
fn offer(
    tx: &SyncSender<Msg>,
    stream: Stream,
    dropped: &mut u64,
    chunk: Vec<u8>,
) -> Result<(), usize> {
    let len = chunk.len();
    if *dropped > 0 {
        match tx.try_send(Msg::Dropped(stream, *dropped)) {
            Ok(()) => *dropped = 0,
            Err(_) => return Err(len),
        }
    }
    match tx.try_send(Msg::Data(stream, chunk)) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(len),
    }
}

/// Receives until `Stop` or until every sender is gone, then writes out what is left.
pub(crate) fn write_loop(rx: Receiver<Msg>, mut sinks: [Sink; 2]) {
    loop {
        let msg = match rx.try_recv() {
            Ok(msg) => msg,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                // Idle: write what is waiting, then wait for more (or the next tick).
                flush_all(&mut sinks);
                match rx.recv_timeout(TICK) {
                    Ok(msg) => msg,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        match msg {
            Msg::Data(stream, data) => {
                let sink = &mut sinks[stream.index()];
                sink.accept(&data);
                if sink.pending() >= FLUSH_AT {
                    sink.flush(Instant::now());
                }
            }
            Msg::Dropped(stream, bytes) => {
                let sink = &mut sinks[stream.index()];
                // Already counted by the reader: only the marker is missing.
                sink.mark_lost(bytes, "the writer fell behind (policy drop)");
            }
            Msg::Eof(stream) => sinks[stream.index()].end_of_source(),
            Msg::Stop => break,
        }
    }
    for sink in &mut sinks {
        sink.close();
    }
}

fn flush_all(sinks: &mut [Sink; 2]) {
    let now = Instant::now();
    for sink in sinks {
        sink.flush(now);
    }
}
