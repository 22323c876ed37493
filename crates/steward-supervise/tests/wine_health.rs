//! The readiness gate under Wine's real service manager: `steward.exe run --config ...` as a
//! service whose program (`fixture-child.exe`) serves HTTP only after 3 s stays START_PENDING,
//! with advancing checkpoints, until its `[health]` check passes; RUNNING is reported only once
//! the program answers.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, Control, State, WineBench, fresh_windows_exe};

/// The longest any single wait may take (Wine on a loaded 2-core machine is slow).
const DEADLINE: Duration = Duration::from_secs(60);
/// Where the binaries go.
const BIN: &str = r"C:\steward-health\bin";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// Deletes the service when dropped (after stopping it).
struct Service(String);

impl Drop for Service {
    fn drop(&mut self) {
        if bench()
            .query(&self.0)
            .is_ok_and(|s| s.state != State::Stopped)
        {
            let _ = bench().control(&self.0, Control::Stop);
            let _ = bench().wait_state(&self.0, State::Stopped, Duration::from_secs(10));
        }
        let _ = bench().delete_service(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serves(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn a_program_ready_after_3s_keeps_the_service_start_pending() -> Result<(), BenchError> {
    let steward = fresh_windows_exe("steward-cli", "steward")?;
    let fixture = fresh_windows_exe("fixture-child", "fixture-child")?;
    let steward = bench().copy_into_prefix(&steward, &format!(r"{BIN}\steward.exe"))?;
    let fixture = bench().copy_into_prefix(&fixture, &format!(r"{BIN}\fixture-child.exe"))?;
    let name = "health-gate".to_owned();
    let dir = r"C:\steward-health\gate";
    let unix = bench().to_unix(dir)?;
    let _ = std::fs::remove_dir_all(&unix);
    std::fs::create_dir_all(&unix).expect("mkdir");
    let port = free_port();
    let config = format!(
        "[service]\nname = \"{name}\"\n[program]\ncommand = '{fixture}'\n\
         args = [\"--listen-after\", \"3s\", \"--http\", \"{port}\", \"--hang\"]\n\
         [health]\nhttp = \"http://127.0.0.1:{port}/\"\ninterval = \"200ms\"\ntimeout = \"1s\"\n"
    );
    std::fs::write(unix.join("steward.toml"), config).expect("write config");
    let config = format!(r"{dir}\steward.toml");
    bench().create_service(&name, &steward, &["run", "--config", &config])?;
    let _service = Service(name.clone());

    // StartServiceW may block until RUNNING under Wine: start from another thread and watch.
    let starter = std::thread::spawn({
        let name = name.clone();
        move || bench().start_service(&name, &[])
    });
    let started = Instant::now();
    let mut pending = Vec::new();
    let running = loop {
        let status = bench().query(&name)?;
        match status.state {
            // Samples taken before the program serves (between its first answer and the next
            // probe the service may still be START_PENDING: not counted).
            State::StartPending if !serves(port) => pending.push(status.checkpoint),
            State::StartPending => {}
            State::Running => break status,
            State::Stopped if pending.is_empty() => {}
            _ => panic!("unexpected state while starting: {status:?}"),
        }
        assert!(
            started.elapsed() < DEADLINE,
            "never RUNNING; checkpoints {pending:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("START_PENDING checkpoints before the program served: {pending:?}");
    let _ = starter.join().expect("start thread");
    assert!(
        serves(port),
        "RUNNING before the program served: {running:?}"
    );
    let mut distinct = pending.clone();
    distinct.dedup();
    assert!(
        distinct.len() >= 2 && distinct.windows(2).all(|w| w[0] < w[1]),
        "checkpoints did not advance while START_PENDING before the program served: {pending:?}"
    );
    Ok(())
}
