//! Supervisor benchmarks, each printed against a baseline measured in the same run:
//!
//! * restart latency with zero delay: the gap between consecutive starts of a child that exits
//!   at once (child exit → next child running, plus the child's own exec and exit), against the
//!   same gap in a bare spawn/wait loop;
//! * stop latency of a well-behaved child: SIGTERM to the supervisor → supervisor gone, against
//!   SIGTERM to a bare child → child reaped;
//! * idle RSS of a supervising process, against the RSS of the idle fixture itself.
//!
//! Needs the release examples: `cargo bench -p steward-supervise` builds them first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RESTARTS: usize = 300;
const STOPS: usize = 20;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("steward-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let examples = examples();
    let fixture = examples.join("fixture-child");
    let supervise = examples.join("supervise");

    let bare = bare_restart_gaps(&fixture, &dir.join("bare"));
    let supervised = supervised_restart_gaps(&supervise, &fixture, &dir.join("sup"));
    report(
        "restart gap (exit -> next child running)",
        &supervised,
        &bare,
    );

    let bare = bare_stops(&fixture);
    let supervised = supervised_stops(&supervise, &fixture, &dir.join("state.json"));
    report("stop latency (SIGTERM -> all gone)", &supervised, &bare);

    let (sup_rss, child_rss) = idle_rss(&supervise, &fixture, &dir.join("idle.json"));
    println!(
        "idle RSS: supervisor {sup_rss} kB, bare fixture {child_rss} kB, ratio {:.2} (target < 5120 kB)",
        sup_rss as f64 / child_rss as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `target/release/examples`, built by this bench if needed.
fn examples() -> PathBuf {
    let exe = std::env::current_exe().expect("bench executable");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-p",
            "steward-supervise",
            "--examples",
        ])
        .status()
        .expect("cargo");
    assert!(status.success(), "building the examples failed");
    profile.join("examples")
}

fn records(path: &Path) -> Vec<u128> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(' ')?.1.parse().ok())
        .collect()
}

fn gaps(starts: &[u128]) -> Vec<Duration> {
    starts
        .windows(2)
        .map(|w| Duration::from_nanos((w[1] - w[0]) as u64))
        .collect()
}

fn bare_restart_gaps(fixture: &Path, record: &Path) -> Vec<Duration> {
    for _ in 0..=RESTARTS {
        let status = Command::new(fixture)
            .args(["--record", record.to_str().unwrap(), "--exit", "0"])
            .status()
            .expect("fixture");
        assert!(status.success());
    }
    gaps(&records(record))
}

fn supervised_restart_gaps(supervise: &Path, fixture: &Path, record: &Path) -> Vec<Duration> {
    let child = Command::new(supervise)
        .args([
            "--policy",
            "always",
            "--delay",
            "0",
            "--no-limit",
            "true",
            "--",
        ])
        .arg(fixture)
        .args(["--record", record.to_str().unwrap(), "--exit", "0"])
        .stderr(Stdio::null())
        .spawn()
        .expect("supervise");
    poll(|| records(record).len() > RESTARTS);
    stop(child);
    let mut starts = records(record);
    starts.truncate(RESTARTS + 1);
    gaps(&starts)
}

fn bare_stops(fixture: &Path) -> Vec<Duration> {
    (0..STOPS)
        .map(|i| {
            let pid_file = std::env::temp_dir().join(format!("steward-bench-pid-{i}"));
            let mut child = Command::new(fixture)
                .args(["--pid-file", pid_file.to_str().unwrap(), "--hang"])
                .spawn()
                .expect("fixture");
            poll(|| pid_file.exists());
            let _ = std::fs::remove_file(&pid_file);
            let start = Instant::now();
            term(&child);
            child.wait().expect("wait");
            start.elapsed()
        })
        .collect()
}

fn supervised_stops(supervise: &Path, fixture: &Path, state: &Path) -> Vec<Duration> {
    (0..STOPS)
        .map(|_| {
            let _ = std::fs::remove_file(state);
            let child = Command::new(supervise)
                .args(["--state-file", state.to_str().unwrap(), "--"])
                .arg(fixture)
                .arg("--hang")
                .stderr(Stdio::null())
                .spawn()
                .expect("supervise");
            poll(|| running(state));
            let start = Instant::now();
            stop(child);
            start.elapsed()
        })
        .collect()
}

fn idle_rss(supervise: &Path, fixture: &Path, state: &Path) -> (u64, u64) {
    let _ = std::fs::remove_file(state);
    let child = Command::new(supervise)
        .args(["--state-file", state.to_str().unwrap(), "--"])
        .arg(fixture)
        .arg("--hang")
        .stderr(Stdio::null())
        .spawn()
        .expect("supervise");
    poll(|| running(state));
    let record = steward_supervise::read_state_file(state).expect("state");
    let sup_rss = vm_rss(child.id());
    let child_rss = vm_rss(record.pid.expect("a pid"));
    stop(child);
    (sup_rss, child_rss)
}

fn running(state: &Path) -> bool {
    steward_supervise::read_state_file(state)
        .is_ok_and(|r| r.state == steward_supervise::StateName::Running)
}

fn vm_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn term(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn stop(mut child: Child) {
    term(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("try_wait").is_none() {
        assert!(Instant::now() < deadline, "the supervisor did not stop");
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn poll(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn report(what: &str, measured: &[Duration], baseline: &[Duration]) {
    let (m, b) = (median(measured), median(baseline));
    println!(
        "{what}: supervised median {:.3} ms (n={}), bare baseline median {:.3} ms, ratio {:.2}",
        m.as_secs_f64() * 1e3,
        measured.len(),
        b.as_secs_f64() * 1e3,
        m.as_secs_f64() / b.as_secs_f64()
    );
}
