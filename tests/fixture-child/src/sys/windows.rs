//! Windows: console control events, detached processes and the tick count.

use std::os::windows::process::CommandExt;
use std::process::Command;

use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;

/// Makes Ctrl-C and Ctrl-Break do nothing.
pub fn ignore_stop() {
    // SAFETY: a null handler with TRUE only sets the process's "ignore Ctrl-C" flag.
    unsafe {
        SetConsoleCtrlHandler(None, 1);
    }
}

/// Starts the command detached from the parent's console.
pub fn detach(command: &mut Command) {
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    command.creation_flags(DETACHED_PROCESS);
}

/// A monotonic time in nanoseconds (since an arbitrary start).
pub fn monotonic_ns() -> u128 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos()
}
