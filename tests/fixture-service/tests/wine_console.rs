//! Console mode under Wine, for real: the same executable started outside the service manager
//! runs in the foreground (its service dispatcher fails with error 1063, so steward falls back
//! to console mode) and Ctrl-C and Ctrl-Break stop it gracefully.
//!
//! Each program is started by `wine-probe console-run` on a new console (`CREATE_NEW_CONSOLE`);
//! once it is ready the probe sends the event the way WinSW does (`AttachConsole` to the
//! child's console, `GenerateConsoleCtrlEvent(event, 0)`) and reports the exit code.
//!
//! Wine 8 cannot generate Ctrl-Break on a console: its server implements only Ctrl-C
//! (`propagate_console_signal` answers STATUS_NOT_IMPLEMENTED for anything else, which
//! kernelbase turns into ERROR_INVALID_HANDLE). `wine_8_console_refuses_ctrl_break` pins that
//! down; the Ctrl-Break stop is proven by running `kernelbase!CtrlRoutine(CTRL_BREAK_EVENT)` on
//! a thread in the child, which is what a console event runs in its target process. The same
//! delivery is checked against the console one with Ctrl-C.
//!
//! Under Wine 8 a program started outside the SCM needs about 10 s to learn it is not a service:
//! `StartServiceCtrlDispatcherW` opens `\\.\pipe\net\NtControlPipe<ServiceCurrent>`, the
//! control pipe of the last service services.exe started, finds it busy, and waits the pipe's
//! default timeout (10 000 ms, set by services.exe) before failing with error 1063. Real Windows
//! fails at once. So the tests without `--console` report `ready_ms` near 10 s; with
//! `--console` it is tens of milliseconds.
#![cfg(target_os = "linux")]

use std::time::Duration;
use steward_wine_bench::{
    BenchError, ConsoleCtrl, ConsoleRun, CtrlDelivery, Readiness, WineBench, fresh_windows_exe,
    shared,
};

/// Deadline for each wait (readiness, then exit); generous for a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The documented exit code when the code ignores a stop past its grace period.
const GRACE_EXPIRED: u32 = 124;

fn bench() -> &'static WineBench {
    match shared() {
        Ok(b) => b,
        Err(e) => panic!("Wine bench did not start: {e}"),
    }
}

/// Copies a fresh Windows build of `package`'s `bin` into `C:\steward-console\<test>\`.
fn install(bench: &WineBench, package: &str, bin: &str, test: &str) -> Result<String, BenchError> {
    let exe = fresh_windows_exe(package, bin)?;
    bench.copy_into_prefix(&exe, &format!(r"C:\steward-console\{test}\{bin}.exe"))
}

/// The Windows and Unix paths of a test's events file (the fixture creates it when it records
/// `ready`).
fn events_file(bench: &WineBench, test: &str) -> Result<(String, std::path::PathBuf), BenchError> {
    let windows = format!(r"C:\steward-console\{test}\events.txt");
    let unix = bench.to_unix(&windows)?;
    Ok((windows, unix))
}

/// The lines of the fixture's events file.
fn events(unix: &std::path::Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(unix).unwrap_or_else(|e| panic!("read {}: {e}", unix.display()));
    text.lines().map(str::to_string).collect()
}

/// Runs the fixture (without `--console`) with an events file plus `extra` flags, sends `ctrl`
/// through its console once it recorded `ready`, and returns the run and the recorded events.
fn fixture_stopped_by(
    test: &str,
    ctrl: ConsoleCtrl,
    extra: &[&str],
) -> Result<(ConsoleRun, Vec<String>), BenchError> {
    fixture_stopped_via(CtrlDelivery::Console, test, ctrl, extra)
}

/// [`fixture_stopped_by`] with a choice of delivery.
fn fixture_stopped_via(
    via: CtrlDelivery,
    test: &str,
    ctrl: ConsoleCtrl,
    extra: &[&str],
) -> Result<(ConsoleRun, Vec<String>), BenchError> {
    let bench = bench();
    let exe = install(bench, "fixture-service", "fixture-service", test)?;
    let (events_win, events_unix) = events_file(bench, test)?;
    let mut args = vec!["--events", events_win.as_str()];
    args.extend_from_slice(extra);
    let run = bench.console_run_via(
        via,
        &exe,
        &args,
        ctrl,
        &Readiness::FileNotEmpty(events_win.clone()),
        TIMEOUT,
    )?;
    println!("{test}: {run:?}");
    Ok((run, events(&events_unix)))
}

#[test]
fn ctrl_c_stops_the_fixture_gracefully_outside_the_scm() -> Result<(), BenchError> {
    let (run, events) = fixture_stopped_by("ctrl-c", ConsoleCtrl::C, &[])?;
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(events, ["ready", "shutdown", "exiting"]);
    Ok(())
}

#[test]
fn ctrl_break_stops_the_fixture_gracefully_outside_the_scm() -> Result<(), BenchError> {
    let (run, events) = fixture_stopped_via(
        CtrlDelivery::CtrlRoutine,
        "ctrl-break",
        ConsoleCtrl::Break,
        &[],
    )?;
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(events, ["ready", "shutdown", "exiting"]);
    Ok(())
}

#[test]
fn ctrl_routine_delivery_of_ctrl_c_matches_the_console_delivery() -> Result<(), BenchError> {
    let (run, events) = fixture_stopped_via(
        CtrlDelivery::CtrlRoutine,
        "ctrl-c-routine",
        ConsoleCtrl::C,
        &[],
    )?;
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(events, ["ready", "shutdown", "exiting"]);
    Ok(())
}

/// Pins the Wine 8 limitation described in the module docs. If this fails because Ctrl-Break
/// now arrives, Wine learned it: switch the Ctrl-Break test to `CtrlDelivery::Console`.
#[test]
fn wine_8_console_refuses_ctrl_break() -> Result<(), BenchError> {
    match fixture_stopped_by("ctrl-break-console", ConsoleCtrl::Break, &[]) {
        Err(BenchError::Win32 {
            operation, code, ..
        }) => {
            assert_eq!(code, 6, "{operation}");
            assert!(
                operation.starts_with("GenerateConsoleCtrlEvent(1, 0)"),
                "{operation}"
            );
            Ok(())
        }
        other => panic!("expected Wine 8 to refuse CTRL_BREAK_EVENT with error 6, got {other:?}"),
    }
}

#[test]
fn ctrl_c_on_code_that_ignores_the_stop_ends_with_grace_expired() -> Result<(), BenchError> {
    let (run, events) = fixture_stopped_by(
        "ignore-stop",
        ConsoleCtrl::C,
        &["--ignore-stop", "--grace", "500ms"],
    )?;
    assert_eq!(run.exit_code, GRACE_EXPIRED, "{run:?}");
    assert_eq!(events, ["ready", "shutdown"]);
    // The grace period is 500 ms: the process must not end before it, nor long after.
    assert!(run.elapsed_ms >= 500, "{run:?}");
    Ok(())
}

#[test]
fn hello_service_without_arguments_runs_in_the_foreground_until_ctrl_c() -> Result<(), BenchError> {
    let bench = bench();
    let exe = install(bench, "hello-service", "hello-service", "hello")?;
    let output_win = r"C:\steward-console\hello\output.txt".to_string();
    // hello-service has no events file; its log line "Service started" is printed once its
    // code runs, i.e. after the dispatcher failed and console mode took over.
    let ready = Readiness::OutputContains {
        output_file: output_win.clone(),
        text: "Service started".into(),
    };
    let run = bench.console_run(&exe, &[], ConsoleCtrl::C, &ready, TIMEOUT)?;
    println!("hello: {run:?}");
    let output_unix = bench.to_unix(&output_win)?;
    let output = std::fs::read_to_string(&output_unix)
        .unwrap_or_else(|e| panic!("read {}: {e}", output_unix.display()));
    println!("hello-service output:\n{output}");
    assert_eq!(run.exit_code, 0, "{run:?}\n{output}");
    assert!(output.contains("Service stopping"), "{output}");
    assert!(!output.contains("1063"), "{output}");
    Ok(())
}

#[test]
fn ctrl_c_stops_the_fixture_in_forced_console_mode() -> Result<(), BenchError> {
    let (run, events) = fixture_stopped_by("forced-console", ConsoleCtrl::C, &["--console"])?;
    assert_eq!(run.exit_code, 0, "{run:?}");
    assert_eq!(events, ["ready", "shutdown", "exiting"]);
    Ok(())
}
