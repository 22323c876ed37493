//! Unix: signals, sessions and the monotonic clock.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Makes SIGTERM and SIGINT do nothing (a handler that only sets a flag).
pub fn ignore_stop() {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&flag)).expect("registering a handler");
    }
}

/// Starts the command in a new session: it leaves the parent's process group.
pub fn detach(command: &mut Command) {
    // SAFETY: setsid is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            Ok(())
        });
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
pub fn monotonic_ns() -> u128 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128
}

/// Whether a process with this PID exists (a zombie counts).
pub fn pid_alive(pid: u32) -> bool {
    rustix::process::Pid::from_raw(pid as i32)
        .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
}

/// Sends SIGKILL to PID.
pub fn kill(pid: u32) -> std::io::Result<()> {
    let pid =
        rustix::process::Pid::from_raw(pid as i32).ok_or_else(|| std::io::Error::other("pid 0"))?;
    rustix::process::kill_process(pid, rustix::process::Signal::KILL)?;
    Ok(())
}

/// Sends one sd_notify datagram to `address`; errors are printed, not fatal.
pub fn notify(address: &std::ffi::OsStr, message: &str) {
    if let Err(e) = notify_once(address, message) {
        eprintln!("fixture-child: notify: {e}");
    }
}

/// Sends one sd_notify datagram to `address`, once.
pub fn notify_once(address: &std::ffi::OsStr, message: &str) -> std::io::Result<()> {
    let socket = std::os::unix::net::UnixDatagram::unbound()?;
    socket.send_to(message.as_bytes(), address)?;
    Ok(())
}
