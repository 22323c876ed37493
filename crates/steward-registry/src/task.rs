//! The background thread with its own tokio runtime, and polling waits.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{RegistryError, Result};

/// Runs `future` to completion on a new thread with a current-thread runtime.
pub(crate) fn spawn<F>(name: &str, future: F) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RegistryError::Spawn)?;
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || runtime.block_on(future))
        .map_err(RegistryError::Spawn)?;
    Ok(())
}

/// Polls `ready` every 10 ms until it is true or `timeout` passes; returns the last answer.
pub(crate) fn poll_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
