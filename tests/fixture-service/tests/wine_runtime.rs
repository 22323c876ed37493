//! The Windows backend under Wine's real service manager: hello-service and the fixture service
//! are installed from a path with spaces, started, controlled, stopped and removed, and every
//! state and exit code the SCM sees is checked.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, Control, ServiceStatus, State, WineBench, fresh_windows_exe};

/// `ERROR_SERVICE_SPECIFIC_ERROR`: the service-specific exit code holds the real code.
const ERROR_SERVICE_SPECIFIC_ERROR: u32 = 1066;
const DEADLINE: Duration = Duration::from_secs(30);

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// Copies a freshly built Windows binary of this workspace into the prefix under a path with
/// spaces and returns its Windows path.
fn install_binary(package: &str) -> Result<String, BenchError> {
    let exe = fresh_windows_exe(package, package)?;
    bench().copy_into_prefix(
        &exe,
        &format!(r"C:\Program Files\Steward Tests\{package}.exe"),
    )
}

/// Creates and starts a service running the fixture with `args`.
fn start_fixture(name: &str, args: &[&str]) -> Result<(), BenchError> {
    let exe = install_binary("fixture-service")?;
    bench().create_service(name, &exe, args)?;
    bench().start_service(name, &[])?;
    Ok(())
}

/// Waits for STOPPED and checks the exit codes the SCM recorded.
fn assert_stopped_with(name: &str, service_specific: u32) -> Result<ServiceStatus, BenchError> {
    let stopped = bench().wait_state(name, State::Stopped, DEADLINE)?;
    if service_specific == 0 {
        assert_eq!(stopped.win32_exit_code, 0, "{stopped:?}");
    } else {
        assert_eq!(
            stopped.win32_exit_code, ERROR_SERVICE_SPECIFIC_ERROR,
            "{stopped:?}"
        );
        assert_eq!(
            stopped.service_specific_exit_code, service_specific,
            "{stopped:?}"
        );
    }
    Ok(stopped)
}

#[test]
fn hello_service_runs_pauses_continues_and_stops_within_a_second() -> Result<(), BenchError> {
    let bench = bench();
    let name = "steward-hello";
    let exe = install_binary("hello-service")?;
    bench.create_service(name, &exe, &[])?;
    bench.start_service(name, &[])?;

    let running = bench.wait_state(name, State::Running, DEADLINE)?;
    assert_ne!(running.pid, 0, "{running:?}");
    for control in ["stop", "pause_continue", "shutdown", "preshutdown"] {
        assert!(running.accepts(control), "accepts {control}: {running:?}");
    }
    bench.control(name, Control::Interrogate)?;

    bench.control(name, Control::Pause)?;
    let paused = bench.wait_state(name, State::Paused, DEADLINE)?;
    assert!(paused.accepts("pause_continue"), "{paused:?}");
    bench.control(name, Control::Continue)?;
    bench.wait_state(name, State::Running, DEADLINE)?;

    let stop_sent = Instant::now();
    bench.control(name, Control::Stop)?;
    let stopped = bench.wait_state(name, State::Stopped, Duration::from_secs(1))?;
    let took = stop_sent.elapsed();
    println!("hello-service: stop control to STOPPED in {took:?} (incl. two probe runs)");
    assert_eq!(stopped.win32_exit_code, 0, "{stopped:?}");
    assert_eq!(stopped.service_specific_exit_code, 0, "{stopped:?}");
    assert!(took < Duration::from_secs(1), "stopped in {took:?}");

    // It can be started again after a clean stop, then removed.
    bench.start_service(name, &[])?;
    bench.wait_state(name, State::Running, DEADLINE)?;
    bench.control(name, Control::Stop)?;
    assert_stopped_with(name, 0)?;
    bench.delete_service(name)?;
    Ok(())
}

#[test]
fn an_error_from_run_ends_stopped_with_the_service_specific_code() -> Result<(), BenchError> {
    start_fixture("steward-fails", &["--fail", "7"])?;
    assert_stopped_with("steward-fails", 7)?;
    bench().delete_service("steward-fails")
}

#[test]
fn an_error_during_start_never_leaves_start_pending() -> Result<(), BenchError> {
    start_fixture(
        "steward-fails-early",
        &["--init", "500ms", "--fail-at-start", "9"],
    )?;
    assert_stopped_with("steward-fails-early", 9)?;
    bench().delete_service("steward-fails-early")
}

#[test]
fn a_panic_ends_stopped_with_the_panic_code() -> Result<(), BenchError> {
    start_fixture("steward-panics", &["--panic"])?;
    assert_stopped_with("steward-panics", steward::exit_code::PANICKED)?;
    bench().delete_service("steward-panics")
}

#[test]
fn a_slow_initialisation_shows_advancing_checkpoints_then_running() -> Result<(), BenchError> {
    let name = "steward-slow-start";
    start_fixture(name, &["--init", "5s"])?;
    let samples = bench().watch(
        name,
        Duration::from_millis(200),
        Duration::from_secs(20),
        Some(State::Running),
    )?;
    let pending: Vec<&ServiceStatus> = samples
        .iter()
        .filter(|s| s.state == State::StartPending && s.checkpoint > 0)
        .collect();
    assert_eq!(
        samples.last().map(|s| s.state),
        Some(State::Running),
        "{samples:?}"
    );
    let checkpoints: Vec<u32> = pending.iter().map(|s| s.checkpoint).collect();
    assert!(
        checkpoints.windows(2).all(|w| w[0] <= w[1]),
        "checkpoints never go back: {checkpoints:?}"
    );
    let distinct = {
        let mut c = checkpoints.clone();
        c.dedup();
        c.len()
    };
    assert!(
        distinct >= 4,
        "checkpoints advance during 5 s: {checkpoints:?}"
    );
    // Every checkpoint advanced within its wait hint.
    let hint = pending[0].wait_hint_ms;
    assert!(hint > 0, "{:?}", pending[0]);
    let mut last_change = pending[0].t_ms.unwrap_or(0);
    for pair in pending.windows(2) {
        let t = pair[1].t_ms.unwrap_or(0);
        if pair[1].checkpoint != pair[0].checkpoint {
            last_change = t;
        }
        assert!(
            t - last_change < u64::from(hint),
            "checkpoint stalled past its wait hint at {t} ms"
        );
    }
    bench().control(name, Control::Stop)?;
    assert_stopped_with(name, 0)?;
    bench().delete_service(name)
}

#[test]
fn a_stop_during_a_slow_start_ends_cleanly() -> Result<(), BenchError> {
    let name = "steward-stop-while-starting";
    start_fixture(name, &["--init", "2s"])?;
    let starting = bench().wait_state(name, State::StartPending, DEADLINE)?;
    assert!(
        starting.accepts("stop"),
        "an admin can abort a long start: {starting:?}"
    );
    bench().control(name, Control::Stop)?;
    assert_stopped_with(name, 0)?;
    bench().delete_service(name)
}

#[test]
fn a_stop_past_the_grace_period_ends_with_the_grace_code() -> Result<(), BenchError> {
    let name = "steward-ignores-stop";
    start_fixture(name, &["--ignore-stop", "--grace", "1s"])?;
    bench().wait_state(name, State::Running, DEADLINE)?;
    bench().control(name, Control::Stop)?;
    let stopping = bench().query(name)?;
    assert!(
        matches!(stopping.state, State::StopPending | State::Stopped),
        "{stopping:?}"
    );
    assert_stopped_with(name, steward::exit_code::GRACE_EXPIRED)?;
    bench().delete_service(name)
}

#[test]
fn a_pause_is_refused_by_a_service_that_did_not_opt_in() -> Result<(), BenchError> {
    let name = "steward-not-pausable";
    start_fixture(name, &[])?;
    let running = bench().wait_state(name, State::Running, DEADLINE)?;
    assert!(!running.accepts("pause_continue"), "{running:?}");
    let refused = bench().control(name, Control::Pause);
    assert!(refused.is_err(), "pause must be refused: {refused:?}");
    assert_eq!(bench().query(name)?.state, State::Running);
    bench().control(name, Control::Stop)?;
    assert_stopped_with(name, 0)?;
    bench().delete_service(name)
}
