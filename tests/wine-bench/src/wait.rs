//! Small helpers shared by every Wine test: polling a condition with a deadline, and wrapping
//! host I/O errors as the bench's error type.

use std::time::{Duration, Instant};

use crate::BenchError;

/// Polls `check` every 50 ms until it returns `Some` or `limit` passes (then `None`).
pub fn poll<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// As [`poll`], for checks that can fail: the first error ends the wait.
pub fn try_poll<T>(
    limit: Duration,
    mut check: impl FnMut() -> Result<Option<T>, BenchError>,
) -> Result<Option<T>, BenchError> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check()? {
            return Ok(Some(value));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wraps a host I/O error (`what` names the operation) as [`BenchError::Io`].
pub fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
    BenchError::io(what)
}
