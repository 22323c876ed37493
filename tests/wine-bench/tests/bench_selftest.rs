//! Self-test of the Wine bench: a real service from a path with spaces, through its whole life.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};
use steward_wine_bench::{
    BenchError, Control, RegValue, State, WineBench, fresh_windows_exe, service_key, shared,
    windows_exe,
};

/// Records how long each step takes and prints the table at the end.
struct Stopwatch {
    started: Instant,
    last: Instant,
    steps: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    fn new() -> Self {
        let now = Instant::now();
        Stopwatch {
            started: now,
            last: now,
            steps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.steps.push((step, now - self.last));
        self.last = now;
    }

    fn print(&self, title: &str) {
        println!("{title}:");
        for (step, d) in &self.steps {
            println!("  {step:<28} {:>8.3} s", d.as_secs_f64());
        }
        println!(
            "  {:<28} {:>8.3} s",
            "total",
            self.started.elapsed().as_secs_f64()
        );
    }
}

fn bench() -> &'static WineBench {
    match shared() {
        Ok(b) => b,
        Err(e) => panic!("Wine bench did not start: {e}"),
    }
}

#[test]
fn service_lifecycle_from_path_with_spaces() -> Result<(), BenchError> {
    let mut sw = Stopwatch::new();
    let bench = bench();
    sw.lap("shared bench (first use)");
    let t = bench.timings();
    println!(
        "bench start-up: build {:.3} s, prefix {:.3} s, shim {:.3} s, holder {:.3} s",
        t.build.as_secs_f64(),
        t.prefix.as_secs_f64(),
        t.shim.as_secs_f64(),
        t.holder.as_secs_f64()
    );

    let name = "bench-selftest";
    let exe = bench.copy_into_prefix(
        &fresh_windows_exe("wine-probe", "wine-probe")?,
        r"C:\Program Files\Steward Test\wine-probe.exe",
    )?;
    sw.lap("copy into prefix");

    let created = bench.create_service(name, &exe, &["serve", name])?;
    assert_eq!(created.state, State::Stopped);
    sw.lap("create");

    bench.start_service(name, &[])?;
    sw.lap("start");
    let running = bench.wait_state(name, State::Running, Duration::from_secs(20))?;
    assert_ne!(
        running.pid, 0,
        "a running service has a process: {running:?}"
    );
    assert!(running.accepts("stop"), "{running:?}");
    sw.lap("wait running");
    let queried = bench.query(name)?;
    assert_eq!(queried.pid, running.pid);
    sw.lap("query pid");

    bench.control(name, Control::Pause)?;
    bench.wait_state(name, State::Paused, Duration::from_secs(10))?;
    bench.control(name, Control::Continue)?;
    bench.wait_state(name, State::Running, Duration::from_secs(10))?;
    sw.lap("pause + continue");

    bench.control(name, Control::Stop)?;
    sw.lap("stop");
    let stopped = bench.wait_state(name, State::Stopped, Duration::from_secs(20))?;
    assert_eq!(stopped.win32_exit_code, 0, "{stopped:?}");
    assert_eq!(stopped.service_specific_exit_code, 0, "{stopped:?}");
    sw.lap("wait stopped");

    let values = bench.reg_query(&service_key(name), Some("ImagePath"))?;
    assert_eq!(
        values.get("ImagePath"),
        Some(&RegValue::String(format!(
            r#""C:\Program Files\Steward Test\wine-probe.exe" serve {name}"#
        )))
    );
    sw.lap("registry ImagePath");

    bench.delete_service(name)?;
    sw.lap("delete");
    match bench.query(name) {
        Err(e @ BenchError::ServiceNotFound { .. }) => assert_eq!(e.win32_code(), Some(1060)),
        other => panic!("expected ServiceNotFound after delete, got {other:?}"),
    }
    sw.lap("query after delete");
    sw.print("bench self-test");
    Ok(())
}

#[test]
fn services_write_wine_debug_output_to_the_debug_log() -> Result<(), BenchError> {
    let bench = bench();
    let name = "bench-debuglog";
    let exe = bench.copy_into_prefix(
        &windows_exe("wine-probe")?,
        r"C:\Program Files\Steward Test\wine-probe.exe",
    )?;
    bench.create_service(name, &exe, &["serve", name])?;
    bench.start_service(name, &[])?;
    let running = bench.wait_state(name, State::Running, Duration::from_secs(20))?;
    // `watch` samples in one process and stops at the requested state.
    let samples = bench.watch(
        name,
        Duration::from_millis(20),
        Duration::from_secs(5),
        Some(State::Running),
    )?;
    assert_eq!(samples.last().map(|s| s.state), Some(State::Running));
    assert!(samples.iter().all(|s| s.t_ms.is_some()));
    bench.control(name, Control::Stop)?;
    bench.wait_state(name, State::Stopped, Duration::from_secs(20))?;
    bench.delete_service(name)?;
    // The service process inherited services.exe's stderr and WINEDEBUG (`+eventlog`), so
    // its ReportEventW string is in the holder's log.
    let line = format!("wine-probe serve {name} running as pid {}", running.pid);
    let log = bench.wait_for_debug_log(&line, Duration::from_secs(10))?;
    assert!(
        log.lines()
            .any(|l| l.contains(":trace:eventlog:") && l.contains(&line)),
        "no trace:eventlog line with {line:?}"
    );
    Ok(())
}

#[test]
fn registry_misses_are_typed() {
    let bench = bench();
    match bench.reg_query(r"SYSTEM\CurrentControlSet\Services\no-such-service", None) {
        Err(BenchError::RegistryNotFound { what }) => assert!(what.contains("not found"), "{what}"),
        other => panic!("expected RegistryNotFound, got {other:?}"),
    }
}

#[test]
fn run_captures_stdout_stderr_and_exit_code() -> Result<(), BenchError> {
    let bench = bench();
    let probe = windows_exe("wine-probe")?;
    let out = bench.run(
        &probe,
        &["query", "no-such-service"],
        "-all",
        Duration::from_secs(60),
    )?;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stderr.contains("\"win32_error\":1060"), "{out:?}");
    Ok(())
}

#[test]
fn watch_sees_start_pending_checkpoints_advance() -> Result<(), BenchError> {
    let bench = bench();
    let name = "bench-pending";
    let exe = bench.copy_into_prefix(
        &windows_exe("wine-probe")?,
        r"C:\Program Files\Steward Test\wine-probe.exe",
    )?;
    bench.create_service(name, &exe, &["serve", name, "--pending-ms", "1000"])?;
    // Watch from another thread while this one starts the service.
    let samples = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            bench.watch(
                name,
                Duration::from_millis(20),
                Duration::from_secs(15),
                Some(State::Running),
            )
        });
        let t = Instant::now();
        let started = bench.start_service(name, &[]);
        println!(
            "StartServiceW returned after {:.3} s in state {:?}",
            t.elapsed().as_secs_f64(),
            started.as_ref().map(|s| s.state)
        );
        started.map(|_| watcher.join())
    })?;
    let samples = match samples {
        Ok(samples) => samples?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let checkpoints: Vec<u32> = samples
        .iter()
        .filter(|s| s.state == State::StartPending)
        .map(|s| s.checkpoint)
        .collect();
    println!("START_PENDING checkpoints seen: {checkpoints:?}");
    assert!(
        checkpoints.windows(2).all(|w| w[0] <= w[1]),
        "checkpoints go backwards: {checkpoints:?}"
    );
    assert!(
        checkpoints.first() < checkpoints.last(),
        "checkpoints did not advance: {checkpoints:?}"
    );
    assert_eq!(samples.last().map(|s| s.state), Some(State::Running));
    bench.control(name, Control::Stop)?;
    bench.wait_state(name, State::Stopped, Duration::from_secs(20))?;
    bench.delete_service(name)?;
    Ok(())
}
