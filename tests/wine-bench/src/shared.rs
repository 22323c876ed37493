//! One bench per test binary, shut down at process exit.

use crate::WineBench;
use crate::error::BenchError;
use std::sync::OnceLock;

/// The shared bench, or the message of its start-up failure.
static SHARED: OnceLock<Result<WineBench, String>> = OnceLock::new();

/// The bench shared by all tests of this process, started on first use.
///
/// Creating a prefix takes several seconds, so tests of one binary share it; statics are never
/// dropped, so an `atexit` handler shuts it down when the test binary exits. If start-up
/// failed, every caller gets [`BenchError::SharedStartFailed`] with the original message.
pub fn shared() -> Result<&'static WineBench, BenchError> {
    let started = SHARED.get_or_init(|| {
        let bench = WineBench::start().map_err(|e| e.to_string());
        if bench.is_ok() {
            // SAFETY: `shutdown_shared` is an `extern "C" fn()` that never unwinds (shutdown
            // ignores every error) and only touches the 'static SHARED.
            unsafe { libc::atexit(shutdown_shared) };
        }
        bench
    });
    started
        .as_ref()
        .map_err(|e| BenchError::SharedStartFailed(e.clone()))
}

/// The `atexit` handler: shuts the shared bench down.
extern "C" fn shutdown_shared() {
    if let Some(Ok(bench)) = SHARED.get() {
        bench.shutdown();
    }
}
