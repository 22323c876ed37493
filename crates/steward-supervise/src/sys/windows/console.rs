//! Ctrl-C to the program's console, the one way that works for a caller without that console
//! (a service has none): leave our console, attach to the program's, ignore Ctrl-C ourselves,
//! `GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)` (group 0: every process on that console), leave
//! it again (WinSW's method). Wine 8 cannot generate Ctrl-Break, so Ctrl-C it is.
//!
//! Attaching to a console is process-wide, so [`CONSOLE`] serializes it, and also every spawn:
//! the "ignore Ctrl-C" flag is inherited by processes created while it is set.
//!
//! The event reaches this process too, asynchronously (a thread runs the control handlers a
//! moment later). Restoring default Ctrl-C handling right away could then let the default
//! handler end the supervisor in the middle of its stop, so a handler of ours, installed once
//! and called first, swallows Ctrl-C for [`SWALLOW_FOR`] after each send.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::Console::{
    ATTACH_PARENT_PROCESS, AttachConsole, CTRL_C_EVENT, FreeConsole, GenerateConsoleCtrlEvent,
    GetConsoleWindow, GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE, STD_INPUT_HANDLE,
    STD_OUTPUT_HANDLE, SetConsoleCtrlHandler, SetStdHandle,
};

use super::handle::check;

/// Serializes console attachment and process creation (see the module docs).
static CONSOLE: Mutex<()> = Mutex::new(());

/// How long after a send our handler swallows Ctrl-C.
const SWALLOW_FOR: Duration = Duration::from_secs(5);

/// Milliseconds since [`epoch`] until which Ctrl-C is swallowed (0: never).
static SWALLOW_UNTIL_MS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

/// Takes the console lock (poisoning is harmless: the guarded state is the OS's).
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    CONSOLE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Our console control handler: handles (swallows) Ctrl-C shortly after we sent one, passes
/// everything else on to the next handler.
unsafe extern "system" fn swallow_own_ctrl_c(ctrl: u32) -> i32 {
    let swallow = ctrl == CTRL_C_EVENT && now_ms() < SWALLOW_UNTIL_MS.load(Ordering::Acquire);
    i32::from(swallow)
}

/// Installs [`swallow_own_ctrl_c`] once per process. Handlers registered later (none in
/// steward: the runtime registers its own before the supervisor runs) would be called first.
pub(crate) fn install_handler() -> io::Result<()> {
    static INSTALLED: Once = Once::new();
    let mut result = Ok(());
    INSTALLED.call_once(|| {
        epoch();
        // SAFETY: the routine is a plain `extern "system"` function that lives forever and
        // only reads atomics.
        result = check(unsafe { SetConsoleCtrlHandler(Some(swallow_own_ctrl_c), 1) });
    });
    result
}

/// The standard handles, put back on drop (attaching to a console replaces them), and our own
/// console, re-attached on drop when we had one.
struct Restore {
    saved: [(STD_HANDLE, HANDLE); 3],
    had_console: bool,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: FreeConsole takes no arguments; failing means we were attached to nothing.
        unsafe { FreeConsole() };
        if self.had_console {
            // SAFETY: a plain constant argument; failure leaves us without a console, which
            // the supervisor does not need.
            unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
        }
        for (which, handle) in self.saved {
            // SAFETY: restores a value this process had before; no handle is closed.
            unsafe { SetStdHandle(which, handle) };
        }
        // SAFETY: a null routine with FALSE restores normal Ctrl-C processing (our own
        // handler still swallows the event we just sent).
        unsafe { SetConsoleCtrlHandler(None, 0) };
    }
}

/// Sends Ctrl-C to every process on the console of `pid` (a process we created with
/// `CREATE_NEW_CONSOLE` and still hold).
pub(crate) fn send_ctrl_c(pid: u32) -> io::Result<()> {
    let _lock = lock();
    SWALLOW_UNTIL_MS.store(now_ms() + SWALLOW_FOR.as_millis() as u64, Ordering::Release);
    let _restore = Restore {
        // SAFETY: GetStdHandle only reads this process's parameters.
        saved: [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE]
            .map(|which| (which, unsafe { GetStdHandle(which) })),
        // SAFETY: no arguments; null means no console window (or no console).
        had_console: !unsafe { GetConsoleWindow() }.is_null(),
    };
    // SAFETY: no arguments; failing only means we had no console to leave.
    unsafe { FreeConsole() };
    // SAFETY: a plain process id.
    check(unsafe { AttachConsole(pid) })?;
    // SAFETY: a null routine with TRUE makes this process ignore Ctrl-C; `_restore` undoes it.
    check(unsafe { SetConsoleCtrlHandler(None, 1) })?;
    // SAFETY: group 0 addresses every process on the console we just attached to: the
    // program's tree (it is the program's own console).
    check(unsafe { GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) })
}
