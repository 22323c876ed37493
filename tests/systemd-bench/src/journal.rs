//! A minimal stand-in for journald: the manager logs to `/run/systemd/journal/socket` (native
//! journal protocol over a datagram socket), which in the manager's mount namespace is a socket the
//! bench binds in its own fake `/run/systemd`. Messages are kept in a bounded in-memory ring.
//!
//! Only the manager's own log arrives here; units have no journal stdout stream (give them
//! `StandardOutput=append:<file>`).

use std::collections::VecDeque;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::error::{BenchError, Result};

const KEEP_LINES: usize = 5000;

/// The receiving end of the manager's log.
#[derive(Debug)]
pub(crate) struct JournalSink {
    lines: Arc<Mutex<VecDeque<String>>>,
    stop: Arc<AtomicBool>,
}

impl JournalSink {
    /// Binds the datagram socket at `path` and starts a thread that collects messages.
    pub(crate) fn bind(path: &Path) -> Result<JournalSink> {
        let socket = UnixDatagram::bind(path)
            .map_err(|e| BenchError::io(format!("binding log socket {}", path.display()), e))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(|e| BenchError::io("setting log socket timeout", e))?;
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (Arc::clone(&lines), Arc::clone(&stop));
        thread::Builder::new()
            .name("systemd-bench-log".into())
            .spawn(move || receive(&socket, &l, &s))
            .map_err(|e| BenchError::io("starting the log thread", e))?;
        Ok(JournalSink { lines, stop })
    }

    /// The last `n` messages, one per line.
    pub(crate) fn tail(&self, n: usize) -> String {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        let skip = lines.len().saturating_sub(n);
        let mut out = String::new();
        for line in lines.iter().skip(skip) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Lets the thread finish (it notices within its 100 ms read timeout).
    pub(crate) fn close(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn receive(socket: &UnixDatagram, lines: &Mutex<VecDeque<String>>, stop: &AtomicBool) {
    let mut buf = vec![0u8; 256 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        if let Some(line) = format_entry(&buf[..n]) {
            let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
            if lines.len() == KEEP_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }
}

/// Parses one native-protocol datagram (`KEY=value\n`, or `KEY\n<u64 LE length><value>\n` for
/// binary values) into `"<priority> <message>"`.
fn format_entry(data: &[u8]) -> Option<String> {
    let mut message = None;
    let mut priority = String::from("?");
    let mut rest = data;
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let field = &rest[..nl];
        let (key, value, next);
        if let Some(eq) = field.iter().position(|&b| b == b'=') {
            key = &field[..eq];
            value = &field[eq + 1..];
            next = (nl + 1).min(rest.len());
        } else {
            let len_bytes: [u8; 8] = rest.get(nl + 1..nl + 9)?.try_into().ok()?;
            let len = usize::try_from(u64::from_le_bytes(len_bytes)).ok()?;
            key = field;
            value = rest.get(nl + 9..nl + 9 + len)?;
            next = (nl + 10 + len).min(rest.len());
        }
        match key {
            b"MESSAGE" => message = Some(String::from_utf8_lossy(value).into_owned()),
            b"PRIORITY" => priority = String::from_utf8_lossy(value).into_owned(),
            _ => {}
        }
        rest = &rest[next..];
    }
    message.map(|m| format!("<{priority}> {m}"))
}

#[cfg(test)]
mod tests {
    use super::format_entry;

    #[test]
    fn parses_text_and_binary_fields() {
        let mut d = b"PRIORITY=6\nCODE_FILE=x.c\nMESSAGE\n".to_vec();
        d.extend_from_slice(&5u64.to_le_bytes());
        d.extend_from_slice(b"a\nb c\nTAIL=1\n");
        assert_eq!(format_entry(&d).as_deref(), Some("<6> a\nb c"));
        assert_eq!(format_entry(b"PRIORITY=3\n"), None);
    }
}
