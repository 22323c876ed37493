//! Windows: console control events, detached processes, process handles and the performance
//! counter.

use std::os::windows::process::CommandExt;
use std::process::Command;

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_PIPE_BUSY, HANDLE, WAIT_TIMEOUT};
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::Win32::System::Performance::{QueryPerformanceCounter, QueryPerformanceFrequency};
use windows_sys::Win32::System::Threading::{
    DETACHED_PROCESS, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE,
    PROCESS_TERMINATE, TerminateProcess, WaitForSingleObject,
};

/// Makes Ctrl-C do nothing: a null handler with TRUE sets the process's "ignore Ctrl-C" flag
/// (Ctrl-Break, which Wine 8 cannot generate anyway, still ends the process).
pub fn ignore_stop() {
    // SAFETY: a null handler with TRUE only sets the process's "ignore Ctrl-C" flag.
    let ok = unsafe { SetConsoleCtrlHandler(None, 1) };
    assert!(ok != 0, "SetConsoleCtrlHandler(NULL, TRUE) failed");
}

/// Starts the command detached from the parent's console (it still inherits the parent's job:
/// that is what the supervisor relies on).
pub fn detach(command: &mut Command) {
    command.creation_flags(DETACHED_PROCESS);
}

/// The performance counter in nanoseconds: monotonic and the same clock in every process, so
/// records of successive runs can be compared.
pub fn monotonic_ns() -> u128 {
    let (mut count, mut frequency) = (0i64, 0i64);
    // SAFETY: both out-pointers are live i64s; these calls cannot fail on XP and later.
    unsafe {
        QueryPerformanceCounter(&mut count);
        QueryPerformanceFrequency(&mut frequency);
    }
    count as u128 * 1_000_000_000 / frequency.max(1) as u128
}

/// A process handle, closed on drop.
struct Process(HANDLE);

impl Process {
    fn open(pid: u32, access: u32) -> std::io::Result<Process> {
        // SAFETY: a plain access mask and process id; the handle is not inheritable.
        let handle = unsafe { OpenProcess(access, 0, pid) };
        if handle.is_null() {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(Process(handle))
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenProcess and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// Whether PID names a running process (it can be opened and is not signalled).
pub fn pid_alive(pid: u32) -> bool {
    match Process::open(pid, PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION) {
        Ok(p) => {
            // SAFETY: the handle is open; a zero timeout only polls.
            let state = unsafe { WaitForSingleObject(p.0, 0) };
            state == WAIT_TIMEOUT
        }
        Err(_) => false,
    }
}

/// Ends PID at once (`TerminateProcess`, exit code 1).
pub fn kill(pid: u32) -> std::io::Result<()> {
    let process = Process::open(pid, PROCESS_TERMINATE)?;
    // SAFETY: the handle is open with PROCESS_TERMINATE access.
    if unsafe { TerminateProcess(process.0, 1) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Writes one sd_notify message to the pipe `address` (open, write, close: sd_notify style);
/// errors are printed, not fatal. A busy pipe (every instance serving another client) is
/// retried for up to 2 s.
pub fn notify(address: &std::ffi::OsStr, message: &str) {
    use std::io::Write;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let pipe = loop {
        match std::fs::OpenOptions::new().write(true).open(address) {
            Err(e)
                if e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => break other,
        }
    };
    if let Err(e) = pipe.and_then(|mut pipe| pipe.write_all(message.as_bytes())) {
        eprintln!("fixture-child: notify: {e}");
    }
}

/// Writes one sd_notify message to the pipe `address` (open, write, close), once: a busy pipe
/// is an error (`ERROR_PIPE_BUSY`), not retried.
pub fn notify_once(address: &std::ffi::OsStr, message: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .open(address)?
        .write_all(message.as_bytes())
}
