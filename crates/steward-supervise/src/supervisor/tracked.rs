//! A pipe of the program as the capture reads it.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::capture::Stream;

/// A pipe handed to the capture, counted in `open` until its reader drops it (after the capture
/// has queued its end); with `echo`, what is read is copied to our own stdout or stderr.
pub(super) struct Tracked<R> {
    pub(super) inner: R,
    pub(super) open: Arc<AtomicUsize>,
    pub(super) echo: Option<Stream>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(stream) = self.echo
            && n > 0
        {
            use std::io::Write;
            let copied = match stream {
                Stream::Stdout => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&buf[..n]).and_then(|()| out.flush())
                }
                Stream::Stderr => std::io::stderr().lock().write_all(&buf[..n]),
            };
            if copied.is_err() {
                self.echo = None;
            }
        }
        Ok(n)
    }
}

impl<R> Drop for Tracked<R> {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}
