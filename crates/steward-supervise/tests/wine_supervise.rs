//! The Windows supervisor under Wine's real service manager: `steward.exe run --config ...`
//! installed as a service, supervising `fixture-child.exe`. Crash loop to the start limit with
//! the child's exit code reaching the SCM; a stubborn child and its detached grandchild killed
//! at `stop_timeout`; the tree dying with a killed supervisor (Job Object kill-on-close); a
//! graceful Ctrl-C stop that never restarts; and `.bat` programs through an explicit `cmd.exe`,
//! with an unsafe argument refused (CVE-2024-24576).
//!
//! Process liveness is checked from inside Wine with `fixture-child pid-alive PID`.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use steward_wine_bench::{
    BenchError, Control, ServiceStatus, State, WineBench, fresh_windows_exe, io_error, poll,
};

/// `ERROR_SERVICE_SPECIFIC_ERROR`: the service-specific exit code holds the real code.
const ERROR_SERVICE_SPECIFIC_ERROR: u32 = 1066;
/// The longest any single wait may take (Wine on a loaded 2-core machine is slow).
const DEADLINE: Duration = Duration::from_secs(60);
/// Where the binaries go.
const BIN: &str = r"C:\steward-sup\bin";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// Fresh Windows builds of steward.exe and fixture-child.exe in the prefix: their Windows paths.
fn binaries() -> Result<(String, String), BenchError> {
    let steward = fresh_windows_exe("steward-cli", "steward")?;
    let fixture = fresh_windows_exe("fixture-child", "fixture-child")?;
    Ok((
        bench().copy_into_prefix(&steward, &format!(r"{BIN}\steward.exe"))?,
        bench().copy_into_prefix(&fixture, &format!(r"{BIN}\fixture-child.exe"))?,
    ))
}

/// One test's directory `C:\steward-sup\<name>` and its service, deleted on drop.
struct Case {
    name: String,
    dir: String,
    steward: String,
    fixture: String,
}

impl Case {
    /// A fresh directory for the service `sup-<name>`.
    fn new(name: &str) -> Result<Case, BenchError> {
        let (steward, fixture) = binaries()?;
        let case = Case {
            name: format!("sup-{name}"),
            dir: format!(r"C:\steward-sup\{name}"),
            steward,
            fixture,
        };
        let unix = bench().to_unix(&case.dir)?;
        let _ = std::fs::remove_dir_all(&unix);
        std::fs::create_dir_all(&unix).map_err(io_error(format!("mkdir {unix:?}")))?;
        Ok(case)
    }

    /// `dir\file` as a Windows path.
    fn win(&self, file: &str) -> String {
        format!(r"{}\{file}", self.dir)
    }

    /// `dir\file` as a Unix path.
    fn unix(&self, file: &str) -> PathBuf {
        bench().to_unix(&self.win(file)).expect("a path on drive C")
    }

    /// Writes `steward.toml` (`[service]` is added) and starts the service with it.
    fn start(&self, config: &str) -> Result<ServiceStatus, BenchError> {
        let text = format!("[service]\nname = \"{}\"\n{config}", self.name);
        let path = self.unix("steward.toml");
        std::fs::write(&path, text).map_err(io_error(format!("write {path:?}")))?;
        let config = self.win("steward.toml");
        bench().create_service(&self.name, &self.steward, &["run", "--config", &config])?;
        bench().start_service(&self.name, &[])
    }

    /// A PID the fixture wrote to `dir\file`, waiting for it to appear.
    fn pid(&self, file: &str) -> u32 {
        let path = self.unix(file);
        poll(DEADLINE, || {
            std::fs::read_to_string(&path).ok()?.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("no pid in {path:?}"))
    }

    /// Whether PID runs, asked inside Wine.
    fn alive(&self, pid: u32) -> bool {
        let out = bench()
            .run(
                &self.fixture,
                &["pid-alive", &pid.to_string()],
                "-all",
                DEADLINE,
            )
            .expect("fixture-child pid-alive");
        match out.stdout.trim() {
            "alive" => true,
            "gone" => false,
            other => panic!("pid-alive {pid}: {other:?} {}", out.stderr),
        }
    }

    /// Polls until none of `pids` runs; returns the survivors after `limit`.
    fn survivors(&self, pids: &[u32], limit: Duration) -> Vec<u32> {
        let gone = poll(limit, || pids.iter().all(|&p| !self.alive(p)).then_some(()));
        if gone.is_some() {
            return Vec::new();
        }
        pids.iter().copied().filter(|&p| self.alive(p)).collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        // After steward.exe was killed Wine's SCM keeps saying RUNNING (real Windows says
        // STOPPED, 1067): then there is nobody to stop, and a short wait is enough.
        if bench()
            .query(&self.name)
            .is_ok_and(|s| s.state != State::Stopped)
        {
            let _ = bench().control(&self.name, Control::Stop);
            let _ = bench().wait_state(&self.name, State::Stopped, Duration::from_secs(5));
        }
        let _ = bench().delete_service(&self.name);
    }
}

/// The `(pid, ns)` lines of a fixture `--record` file.
fn records(path: &std::path::Path) -> Vec<(u32, u128)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (pid, ns) = line.split_once(' ')?;
            Some((pid.parse().ok()?, ns.parse().ok()?))
        })
        .collect()
}

/// Asserts STOPPED with `ERROR_SERVICE_SPECIFIC_ERROR` and `code`.
fn assert_failed_with(status: &ServiceStatus, code: u32) {
    assert_eq!(status.state, State::Stopped, "{status:?}");
    assert_eq!(
        (status.win32_exit_code, status.service_specific_exit_code),
        (ERROR_SERVICE_SPECIFIC_ERROR, code),
        "{status:?}"
    );
}

/// `--exit 7` under on-failure with 100 ms doubling to 400 ms and a start limit of 5: five
/// starts with growing gaps, then the service ends STOPPED with 1066 and code 7.
#[test]
fn crash_loop_backs_off_then_fails_with_the_childs_exit_code() -> Result<(), BenchError> {
    let case = Case::new("crash")?;
    let record = case.win("rec");
    case.start(&format!(
        r#"[program]
command = '{}'
args = ["--record", '{record}', "--exit", "7"]
[restart]
policy = "on-failure"
delay = "100ms"
max_delay = "400ms"
jitter = 0.0
start_limit = {{ burst = 5, interval = "60s" }}
"#,
        case.fixture
    ))?;
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    assert_failed_with(&stopped, 7);
    let starts = records(&case.unix("rec"));
    assert_eq!(starts.len(), 5, "{starts:?}");
    let gaps: Vec<u128> = starts
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) / 1_000_000)
        .collect();
    println!("crash loop: start-to-start gaps {gaps:?} ms (delays 100, 200, 400, 400)");
    for (gap, delay) in gaps.iter().zip([100, 200, 400, 400]) {
        assert!(*gap >= delay && *gap < delay + 3000, "gaps {gaps:?}");
    }
    let mut pids: Vec<u32> = starts.iter().map(|s| s.0).collect();
    pids.dedup();
    assert_eq!(pids.len(), 5, "five distinct processes: {starts:?}");
    Ok(())
}

/// A child ignoring Ctrl-C, with a detached grandchild, under `stop_timeout = "1s"`: the stop
/// waits the timeout, then the job kills both; the service ends STOPPED with code 0.
#[test]
fn stubborn_child_and_grandchild_are_killed_at_stop_timeout() -> Result<(), BenchError> {
    let case = Case::new("stubborn")?;
    case.start(&format!(
        r#"[program]
command = '{}'
args = ["--pid-file", '{}', "--ignore-stop", "--spawn-grandchild", '{}', "--hang"]
stop_timeout = "1s"
"#,
        case.fixture,
        case.win("pid"),
        case.win("gc"),
    ))?;
    bench().wait_state(&case.name, State::Running, DEADLINE)?;
    let (child, grandchild) = (case.pid("pid"), case.pid("gc"));
    assert!(case.alive(child) && case.alive(grandchild));
    let sent = Instant::now();
    bench().control(&case.name, Control::Stop)?;
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    let took = sent.elapsed();
    println!("stubborn child: stop control to STOPPED in {took:?} (stop_timeout 1 s)");
    assert_eq!(stopped.win32_exit_code, 0, "{stopped:?}");
    assert!(
        took >= Duration::from_millis(900),
        "the timeout was not waited: {took:?}"
    );
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(
        case.survivors(&[child, grandchild], DEADLINE),
        Vec::<u32>::new()
    );
    Ok(())
}

/// TerminateProcess of steward.exe: the job handle closes with it and the kernel kills the
/// child and its detached grandchild.
#[test]
fn killing_the_supervisor_kills_the_whole_tree() -> Result<(), BenchError> {
    let case = Case::new("killed")?;
    case.start(&format!(
        r#"[program]
command = '{}'
args = ["--pid-file", '{}', "--spawn-grandchild", '{}', "--hang"]
"#,
        case.fixture,
        case.win("pid"),
        case.win("gc"),
    ))?;
    let running = bench().wait_state(&case.name, State::Running, DEADLINE)?;
    let (child, grandchild) = (case.pid("pid"), case.pid("gc"));
    assert!(case.alive(running.pid) && case.alive(child) && case.alive(grandchild));
    let out = bench().run(
        &case.fixture,
        &["kill", &running.pid.to_string()],
        "-all",
        DEADLINE,
    )?;
    assert!(out.status.success(), "kill {}: {}", running.pid, out.stderr);
    let killed = Instant::now();
    assert_eq!(
        case.survivors(&[running.pid, child, grandchild], DEADLINE),
        Vec::<u32>::new()
    );
    println!(
        "killed supervisor: child and grandchild gone within {:?} (incl. probe runs); SCM says {:?}",
        killed.elapsed(),
        bench().query(&case.name)?.state
    );
    Ok(())
}

/// A child that honours Ctrl-C stops at once, is never restarted, and the service ends
/// STOPPED with exit code 0.
#[test]
fn graceful_stop_never_restarts_and_ends_clean() -> Result<(), BenchError> {
    let case = Case::new("graceful")?;
    case.start(&format!(
        r#"[program]
command = '{}'
args = ["--pid-file", '{}', "--record", '{}', "--hang"]
stop_timeout = "30s"
[restart]
policy = "always"
delay = "0ms"
"#,
        case.fixture,
        case.win("pid"),
        case.win("rec"),
    ))?;
    bench().wait_state(&case.name, State::Running, DEADLINE)?;
    let child = case.pid("pid");
    let sent = Instant::now();
    bench().control(&case.name, Control::Stop)?;
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    let took = sent.elapsed();
    println!("graceful stop: stop control to STOPPED in {took:?} (stop_timeout 30 s)");
    assert_eq!(
        (stopped.win32_exit_code, stopped.service_specific_exit_code),
        (0, 0),
        "{stopped:?}"
    );
    // Well under stop_timeout: Ctrl-C ended the child, not the job.
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(!case.alive(child));
    std::thread::sleep(Duration::from_millis(500));
    let starts = records(&case.unix("rec"));
    assert_eq!(starts.len(), 1, "no restart after the stop: {starts:?}");
    Ok(())
}

/// A `.bat` program runs through `cmd.exe` with its (quoted) safe argument, in its configured
/// working directory and with its configured environment.
#[test]
fn a_batch_file_runs_with_a_safe_argument_cwd_and_env() -> Result<(), BenchError> {
    let case = Case::new("bat-ok")?;
    let out = case.win("out.txt");
    let script = format!("@echo off\r\necho %~1^|%CD%^|%STEWARD_TEST%> \"{out}\"\r\nexit /b 0\r\n");
    std::fs::write(case.unix("echo.bat"), script).map_err(io_error("write echo.bat"))?;
    std::fs::create_dir_all(case.unix("work")).map_err(io_error("mkdir work"))?;
    case.start(&format!(
        r#"[program]
command = '{}'
args = ["hello, batch world"]
cwd = '{}'
env = {{ STEWARD_TEST = "from the config" }}
[restart]
policy = "on-failure"
"#,
        case.win("echo.bat"),
        case.win("work"),
    ))?;
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    assert_eq!(stopped.win32_exit_code, 0, "{stopped:?}");
    let written = std::fs::read_to_string(case.unix("out.txt")).unwrap_or_default();
    assert_eq!(
        written.trim_end(),
        format!("hello, batch world|{}|from the config", case.win("work"))
    );
    Ok(())
}

/// A `.bat` program with `&calc` as an argument is refused before anything runs: the service
/// fails (1066, code 1) and says why.
#[test]
fn a_batch_file_with_an_unsafe_argument_is_refused() -> Result<(), BenchError> {
    let case = Case::new("bat-refused")?;
    let marker = case.win("ran.txt");
    let script = format!("@echo off\r\necho ran> \"{marker}\"\r\n");
    std::fs::write(case.unix("run.bat"), script).map_err(io_error("write run.bat"))?;
    let _ = case.start(&format!(
        r#"[program]
command = '{}'
args = ["&calc"]
"#,
        case.win("run.bat"),
    ));
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    assert_failed_with(&stopped, 1);
    // The same config in the foreground prints the refusal as its one-line cause. (Under Wine a
    // program outside the SCM needs about 10 s to learn it is not a service.)
    let config = case.win("steward.toml");
    let out = bench().run(
        &case.steward,
        &["run", "--config", &config],
        "-all",
        DEADLINE,
    )?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("argument 1 of a .bat/.cmd program contains '&'"))
        .unwrap_or_else(|| panic!("no refusal in stderr: {}", out.stderr));
    assert!(line.contains("CVE-2024-24576"), "{line}");
    println!("refusal: {line}");
    assert!(
        !case.unix("ran.txt").exists(),
        "the batch file must not run"
    );
    Ok(())
}
