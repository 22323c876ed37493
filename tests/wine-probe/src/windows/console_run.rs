//! `console-run`: a program on a new console, stopped with Ctrl-C or Ctrl-Break.
//!
//! The child gets its own console (`CREATE_NEW_CONSOLE`), as when a user starts it from a
//! terminal. It is deliberately *not* given `CREATE_NEW_PROCESS_GROUP`: that flag starts the
//! child with Ctrl-C disabled (an implicit `SetConsoleCtrlHandler(NULL, TRUE)`), and its own
//! console already keeps the event away from everybody else.
//!
//! The control is sent the way WinSW does it, the one way that works under Wine for a caller
//! without the child's console: leave our console, attach to the child's, ignore Ctrl-C
//! ourselves, `GenerateConsoleCtrlEvent(event, 0)` (group 0: every process on that console),
//! leave it again. We keep ignoring console controls until the child has exited, since the event
//! reaches us asynchronously too.
//!
//! `--via remote-thread` instead starts a thread in the child at `kernelbase!CtrlRoutine` with
//! the event as its parameter. That is the routine Windows runs in the target of a console event
//! (and Wine's ntdll runs on the SIGINT its server sends for Ctrl-C): it calls the process's
//! handlers in order. It exists because Wine 8's server refuses `CTRL_BREAK_EVENT` (its
//! `propagate_console_signal` returns STATUS_NOT_IMPLEMENTED for everything but Ctrl-C, which
//! kernelbase reports as ERROR_INVALID_HANDLE). It assumes kernelbase.dll is mapped at the same
//! address in both processes, as system DLLs are; were it not, the child would crash with an
//! access violation, which the exit code shows.

use super::{last_error, wide};
use crate::console::{ConsoleRun, CtrlKind, Delivery};
use crate::failure::{EXIT_CHILD_EXITED, Failure};
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};
use windows_sys::Win32::Foundation::{
    CloseHandle, FALSE, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE, TRUE, WAIT_OBJECT_0,
    WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_ALWAYS, CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE,
};
use windows_sys::Win32::System::Console::{
    AttachConsole, CTRL_BREAK_EVENT, CTRL_C_EVENT, FreeConsole, GenerateConsoleCtrlEvent,
    GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
    SetConsoleCtrlHandler, SetStdHandle,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Threading::{
    CREATE_NEW_CONSOLE, CreateProcessW, CreateRemoteThread, GetExitCodeProcess,
    PROCESS_INFORMATION, STARTF_USESTDHANDLES, STARTUPINFOW, TerminateProcess, WaitForSingleObject,
};

/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(20);

/// A kernel handle, closed on drop.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle was returned open by CreateProcessW/CreateFileW and is closed
        // exactly once, here.
        unsafe { CloseHandle(self.0) };
    }
}

/// The started child: its process handle (the thread handle is closed at once) and id.
struct Child {
    /// Process handle with full access.
    process: OwnedHandle,
    /// Process id.
    pid: u32,
}

impl Child {
    /// Waits up to `timeout` for the child to end; its exit code if it did.
    fn wait(&self, timeout: Duration) -> Result<Option<u32>, Failure> {
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: the process handle is open for the life of `self`.
        match unsafe { WaitForSingleObject(self.process.0, ms) } {
            WAIT_OBJECT_0 => {}
            WAIT_TIMEOUT => return Ok(None),
            _ => return Err(Failure::win32("WaitForSingleObject(child)", last_error())),
        }
        let mut code = 0u32;
        // SAFETY: the handle is open and `code` is a live u32 for the call.
        if unsafe { GetExitCodeProcess(self.process.0, &mut code) } == 0 {
            return Err(Failure::win32("GetExitCodeProcess", last_error()));
        }
        Ok(Some(code))
    }
}

impl Drop for Child {
    /// A child still running when the probe gives up on it (timeout, failed delivery) is ended,
    /// so no test leaves a process behind in the prefix.
    fn drop(&mut self) {
        if let Ok(None) = self.wait(Duration::ZERO) {
            // SAFETY: the process handle is open and has PROCESS_TERMINATE access.
            unsafe { TerminateProcess(self.process.0, 1) };
            let _ = self.wait(Duration::from_secs(5));
        }
    }
}

/// Runs the whole command and prints `{"pid","exit_code","ready_ms","elapsed_ms"}`.
pub fn console_run(run: &ConsoleRun) -> Result<(), Failure> {
    let output = run.output_file.as_deref().map(open_output).transpose()?;
    let started = Instant::now();
    let child = spawn(run, output.as_ref())?;
    // Our copy of the output handle is not needed once the child has its own.
    drop(output);
    let timeout = Duration::from_millis(run.timeout_ms);
    // On every early return below, dropping `child` ends it.
    wait_ready(&child, run, started + timeout)?;
    let ready_ms = started.elapsed().as_millis() as u64;
    std::thread::sleep(Duration::from_millis(run.after_ms));
    let sent = Instant::now();
    let exit = deliver_and_wait(&child, run, timeout)?;
    let elapsed_ms = sent.elapsed().as_millis() as u64;
    let line = serde_json::json!({
        "pid": child.pid,
        "exit_code": exit,
        "ready_ms": ready_ms,
        "elapsed_ms": elapsed_ms,
    });
    println!("{line}");
    if exit.is_none() {
        return Err(Failure::not_reached(
            format!(
                "pid {} still running {} ms after the console control",
                child.pid, run.timeout_ms
            ),
            None,
        ));
    }
    Ok(())
}

/// Delivers `run.ctrl` as `run.via` says and waits up to `timeout` for the exit code.
fn deliver_and_wait(
    child: &Child,
    run: &ConsoleRun,
    timeout: Duration,
) -> Result<Option<u32>, Failure> {
    // A child that already ended did not "run until the control": say so instead of sending.
    if let Some(code) = child.wait(Duration::ZERO)? {
        return Err(exited_early(child, code, "before the control was sent"));
    }
    match run.via {
        Delivery::Console => {
            let _ignoring = send_ctrl(child.pid, run.ctrl)?;
            child.wait(timeout)
        }
        Delivery::RemoteThread => {
            start_ctrl_routine(child, run.ctrl)?;
            child.wait(timeout)
        }
    }
}

/// The Win32 value of an event.
fn event_code(ctrl: CtrlKind) -> u32 {
    match ctrl {
        CtrlKind::C => CTRL_C_EVENT,
        CtrlKind::Break => CTRL_BREAK_EVENT,
    }
}

/// Creates (truncating) the file that receives the child's output, inheritable.
fn open_output(path: &str) -> Result<OwnedHandle, Failure> {
    let name = wide(path);
    let inherit = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: null_mut(),
        bInheritHandle: TRUE,
    };
    // SAFETY: `name` is NUL-terminated and `inherit` is a live, correctly sized structure.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &inherit,
            CREATE_ALWAYS,
            FILE_ATTRIBUTE_NORMAL,
            null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE {
        return Err(Failure::win32(format!("CreateFileW({path})"), last_error()));
    }
    Ok(OwnedHandle(h))
}

/// Starts the child on a new console, its stdout and stderr on `output` when given.
fn spawn(run: &ConsoleRun, output: Option<&OwnedHandle>) -> Result<Child, Failure> {
    let mut command_line = wide(&crate::console::command_line(&run.program, &run.args));
    let mut startup = STARTUPINFOW {
        cb: size_of::<STARTUPINFOW>() as u32,
        ..STARTUPINFOW::default()
    };
    if let Some(out) = output {
        startup.dwFlags = STARTF_USESTDHANDLES;
        startup.hStdInput = null_mut();
        startup.hStdOutput = out.0;
        startup.hStdError = out.0;
    }
    let mut info = PROCESS_INFORMATION::default();
    // SAFETY: `command_line` is a mutable NUL-terminated buffer, as CreateProcessW requires;
    // `startup` and `info` are live and correctly sized; the only inherited handle we pass is
    // the open output file.
    let ok = unsafe {
        CreateProcessW(
            null(),
            command_line.as_mut_ptr(),
            null(),
            null(),
            if output.is_some() { TRUE } else { FALSE },
            CREATE_NEW_CONSOLE,
            null(),
            null(),
            &startup,
            &mut info,
        )
    };
    if ok == 0 {
        return Err(Failure::win32(
            format!("CreateProcessW({})", run.program),
            last_error(),
        ));
    }
    drop(OwnedHandle(info.hThread));
    Ok(Child {
        process: OwnedHandle(info.hProcess),
        pid: info.dwProcessId,
    })
}

/// Polls `after_file` until it is ready; fails when the child exits first or at `deadline`.
fn wait_ready(child: &Child, run: &ConsoleRun, deadline: Instant) -> Result<(), Failure> {
    let Some(path) = run.after_file.as_deref() else {
        return Ok(());
    };
    loop {
        if file_ready(path, run.after_text.as_deref()) {
            return Ok(());
        }
        if let Some(code) = child.wait(Duration::ZERO)? {
            return Err(exited_early(
                child,
                code,
                &format!("before {path} was ready"),
            ));
        }
        if Instant::now() >= deadline {
            return Err(Failure::not_reached(
                format!("{path} not ready within {} ms", run.timeout_ms),
                None,
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// The failure for a child that ended on its own too early; its exit code also goes to stdout.
fn exited_early(child: &Child, code: u32, when: &str) -> Failure {
    println!(
        "{}",
        serde_json::json!({ "pid": child.pid, "exit_code": code })
    );
    Failure {
        message: format!("pid {} exited with {code} {when}", child.pid),
        win32_error: None,
        exit_code: EXIT_CHILD_EXITED,
    }
}

/// Whether `path` is non-empty (and contains `text`, when given); unreadable counts as not yet.
fn file_ready(path: &str, text: Option<&str>) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => match text {
            Some(t) => String::from_utf8_lossy(&bytes).contains(t),
            None => !bytes.is_empty(),
        },
        Err(_) => false,
    }
}

/// While alive, this process ignores console controls and has its standard handles as they
/// were before attaching to the child's console; dropping restores normal Ctrl-C handling.
struct IgnoringCtrl {
    /// The standard handles to put back (AttachConsole may replace them).
    saved: [(STD_HANDLE, HANDLE); 3],
}

impl Drop for IgnoringCtrl {
    fn drop(&mut self) {
        for (which, handle) in self.saved {
            // SAFETY: restoring a handle value this process had before; no handle is closed.
            unsafe { SetStdHandle(which, handle) };
        }
        // SAFETY: a null routine with FALSE restores the default Ctrl-C processing.
        unsafe { SetConsoleCtrlHandler(None, FALSE) };
    }
}

/// Sends `ctrl` to every process on `pid`'s console: FreeConsole, AttachConsole(pid),
/// SetConsoleCtrlHandler(NULL, TRUE), GenerateConsoleCtrlEvent(ctrl, 0), FreeConsole.
fn send_ctrl(pid: u32, ctrl: CtrlKind) -> Result<IgnoringCtrl, Failure> {
    let guard = IgnoringCtrl {
        saved: [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE]
            // SAFETY: GetStdHandle only reads this process's parameters.
            .map(|which| (which, unsafe { GetStdHandle(which) })),
    };
    // Failing only means we had no console to leave.
    // SAFETY: FreeConsole takes no arguments; our standard handles are restored by `guard`.
    unsafe { FreeConsole() };
    // SAFETY: AttachConsole takes a plain process id.
    if unsafe { AttachConsole(pid) } == 0 {
        return Err(Failure::win32(
            format!("AttachConsole({pid})"),
            last_error(),
        ));
    }
    // SAFETY: a null routine with TRUE makes this process ignore Ctrl-C; `guard` undoes it.
    if unsafe { SetConsoleCtrlHandler(None, TRUE) } == 0 {
        let code = last_error();
        // SAFETY: leaving the console we attached to above.
        unsafe { FreeConsole() };
        return Err(Failure::win32("SetConsoleCtrlHandler(NULL, TRUE)", code));
    }
    let event = event_code(ctrl);
    // SAFETY: group 0 addresses every process attached to the console we just joined.
    let sent = unsafe { GenerateConsoleCtrlEvent(event, 0) };
    let code = last_error();
    // SAFETY: leaving the child's console again; its processes keep it.
    unsafe { FreeConsole() };
    if sent == 0 {
        return Err(Failure::win32(
            format!("GenerateConsoleCtrlEvent({event}, 0)"),
            code,
        ));
    }
    Ok(guard)
}

/// The signature of `kernelbase!CtrlRoutine`: `DWORD WINAPI CtrlRoutine(void *event)`.
type CtrlRoutine = unsafe extern "system" fn(*mut std::ffi::c_void) -> u32;

/// The address of `kernelbase!CtrlRoutine` in this process.
fn ctrl_routine() -> Result<CtrlRoutine, Failure> {
    let module = wide("kernelbase.dll");
    // SAFETY: `module` is NUL-terminated; kernelbase is loaded in every Win32 process.
    let kernelbase = unsafe { GetModuleHandleW(module.as_ptr()) };
    if kernelbase.is_null() {
        return Err(Failure::win32(
            "GetModuleHandleW(kernelbase.dll)",
            last_error(),
        ));
    }
    // SAFETY: the module handle is valid and the name is a NUL-terminated ANSI string.
    let routine = unsafe { GetProcAddress(kernelbase, c"CtrlRoutine".as_ptr().cast()) }
        .ok_or_else(|| Failure::win32("GetProcAddress(CtrlRoutine)", last_error()))?;
    // SAFETY: CtrlRoutine takes one pointer-sized argument and returns a DWORD, exactly a
    // thread start routine; only the pointer's type changes.
    Ok(
        unsafe {
            std::mem::transmute::<unsafe extern "system" fn() -> isize, CtrlRoutine>(routine)
        },
    )
}

/// Starts `CtrlRoutine(event)` on a new thread of the child (see the module docs).
fn start_ctrl_routine(child: &Child, ctrl: CtrlKind) -> Result<(), Failure> {
    let routine = ctrl_routine()?;
    let event = event_code(ctrl) as usize as *const std::ffi::c_void;
    // SAFETY: the process handle has full access; `routine` is CtrlRoutine's address, valid in
    // the child because kernelbase is mapped at the same base there; the event travels as the
    // pointer-sized parameter, as Windows passes it.
    let thread = unsafe {
        CreateRemoteThread(
            child.process.0,
            null(),
            0,
            Some(routine),
            event,
            0,
            null_mut(),
        )
    };
    if thread.is_null() {
        return Err(Failure::win32(
            format!("CreateRemoteThread({}, CtrlRoutine)", child.pid),
            last_error(),
        ));
    }
    drop(OwnedHandle(thread));
    Ok(())
}
