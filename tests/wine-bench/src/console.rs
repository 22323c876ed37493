//! Console mode under Wine: a program on its own console, stopped with Ctrl-C or Ctrl-Break
//! through `wine-probe console-run`.

use crate::WineBench;
use crate::error::BenchError;
use serde::Deserialize;
use std::time::Duration;

/// The console control [`WineBench::console_run`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleCtrl {
    /// `CTRL_C_EVENT`.
    C,
    /// `CTRL_BREAK_EVENT`.
    Break,
}

impl ConsoleCtrl {
    /// The word wine-probe takes for this event.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleCtrl::C => "c",
            ConsoleCtrl::Break => "break",
        }
    }
}

/// How [`WineBench::console_run_via`] delivers the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtrlDelivery {
    /// Through the child's console, as a user's keystroke or WinSW would: `AttachConsole` to
    /// it, then `GenerateConsoleCtrlEvent(event, 0)`. Wine 8 supports only Ctrl-C this way: it
    /// fails Ctrl-Break with [`BenchError::Win32`] code 6 (its server answers
    /// STATUS_NOT_IMPLEMENTED, which kernelbase reports as ERROR_INVALID_HANDLE).
    Console,
    /// A thread started in the child at `kernelbase!CtrlRoutine(event)`, the routine a console
    /// event runs in its target process (it calls the registered handlers in order); the
    /// console itself is bypassed. Works for Ctrl-Break under Wine 8.
    CtrlRoutine,
}

impl CtrlDelivery {
    /// The word wine-probe takes for this delivery.
    pub fn as_str(self) -> &'static str {
        match self {
            CtrlDelivery::Console => "console",
            CtrlDelivery::CtrlRoutine => "remote-thread",
        }
    }
}

/// When the child counts as started, so the control can be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The Windows path of a file the child writes once ready (such as the fixture's
    /// `--events` file): ready when it exists and is not empty.
    FileNotEmpty(String),
    /// The child's stdout and stderr go to the Windows path `output_file`; ready once that
    /// output contains `text` (such as a log line printed once the service runs).
    OutputContains {
        /// Windows path of the file receiving the output (created or truncated).
        output_file: String,
        /// The text to wait for.
        text: String,
    },
}

/// What [`WineBench::console_run`] measured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConsoleRun {
    /// The child's process id.
    pub pid: u32,
    /// Its exit code.
    pub exit_code: u32,
    /// From process creation until it was ready.
    pub ready_ms: u64,
    /// From sending the control until the child had exited.
    pub elapsed_ms: u64,
}

impl WineBench {
    /// Starts `exe_windows_path args...` on a new console outside the service manager, waits
    /// until it is `ready`, sends `ctrl` through its console ([`CtrlDelivery::Console`]) and
    /// waits for it to exit; each wait up to `timeout`.
    ///
    /// A child still running after the control is killed and reported as
    /// [`BenchError::Timeout`]; one that exits before it is ready is a
    /// [`BenchError::CommandFailed`] whose stderr names its exit code. If the event cannot be
    /// sent the child is killed and the error is [`BenchError::Win32`].
    pub fn console_run(
        &self,
        exe_windows_path: &str,
        args: &[&str],
        ctrl: ConsoleCtrl,
        ready: &Readiness,
        timeout: Duration,
    ) -> Result<ConsoleRun, BenchError> {
        self.console_run_via(
            CtrlDelivery::Console,
            exe_windows_path,
            args,
            ctrl,
            ready,
            timeout,
        )
    }

    /// [`WineBench::console_run`] with a choice of how the event is delivered.
    pub fn console_run_via(
        &self,
        via: CtrlDelivery,
        exe_windows_path: &str,
        args: &[&str],
        ctrl: ConsoleCtrl,
        ready: &Readiness,
        timeout: Duration,
    ) -> Result<ConsoleRun, BenchError> {
        let ms = timeout.as_millis().to_string();
        let mut a = vec![
            "console-run",
            "--ctrl",
            ctrl.as_str(),
            "--via",
            via.as_str(),
            "--timeout-ms",
            &ms,
        ];
        match ready {
            Readiness::FileNotEmpty(file) => a.extend(["--after-file", file]),
            Readiness::OutputContains { output_file, text } => a.extend([
                "--output-file",
                output_file,
                "--after-file",
                output_file,
                "--after-text",
                text,
            ]),
        }
        a.push("--");
        a.push(exe_windows_path);
        a.extend_from_slice(args);
        // Two waits of `timeout` each: readiness, then the exit.
        let out = self.probe(&a, timeout * 2)?;
        crate::probe::parse(&a.join(" "), crate::probe::last_line(&out))
    }
}
