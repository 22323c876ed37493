//! Capture throughput against a baseline measured in the same run.
//!
//! The fixture child writes 1,000,000 numbered lines (`--spew`) as fast as it can:
//!
//! * **baseline**: its stdout is a file (what it would do without steward);
//! * **captured**: its stdout is a pipe read by the capture engine (default settings: lossless,
//!   plain, rotation at 10 MB), then with timestamps, then as JSON lines.
//!
//! Printed per mode, medians of the rounds: throughput ratio = baseline time / time until every
//! byte is in the files (target at least 0.8), and the child's slowdown = the child's run time
//! under capture / its run time writing to the file.
//!
//! A second workload writes in large blocks instead of a line at a time (`yes | head`, about
//! 100 MB), where the pipe and the capture, not the child's system calls, set the pace.
//!
//! `cargo bench -p steward-supervise --bench capture` (builds the release fixture first).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use steward_supervise::capture::{Capture, CaptureConfig, Format, Stream};

const LINES: &str = "1000000";
const ROUNDS: usize = 7;

/// Changes the default capture config for one mode.
type Setup = fn(&mut CaptureConfig);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let fixture = fixture();
    let dir = std::env::temp_dir().join(format!("steward-capture-bench-{}", std::process::id()));
    let modes: [(&str, Setup); 3] = [
        ("plain", |_| {}),
        ("timestamps", |c| c.timestamps = true),
        ("json", |c| c.format = Format::Json),
    ];
    let mut baseline = Vec::new();
    let mut captured: Vec<Vec<(Duration, Duration)>> = vec![Vec::new(); modes.len()];
    for round in 0..ROUNDS {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        baseline.push(direct(&fixture, &dir.join(format!("direct-{round}.log"))));
        for (i, (_, setup)) in modes.iter().enumerate() {
            captured[i].push(through_capture(
                &fixture,
                &dir.join(format!("cap-{i}")),
                *setup,
            ));
        }
    }
    let base = median(baseline.clone());
    println!("child writing {LINES} lines straight to a file: {base:?} (median of {ROUNDS})");
    for (i, (name, _)) in modes.iter().enumerate() {
        let total = median(captured[i].iter().map(|r| r.1).collect());
        let child = median(captured[i].iter().map(|r| r.0).collect());
        println!(
            "capture {name:<10}: all written in {total:?}, throughput ratio {:.2} (target >= 0.8); \
             child ran {child:?}, slowdown {:.2}x",
            base.as_secs_f64() / total.as_secs_f64(),
            child.as_secs_f64() / base.as_secs_f64(),
        );
    }
    std::fs::create_dir_all(&dir).expect("bench dir");
    block_workload(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Block writes: baseline and plain capture, medians; prints the ratios.
fn block_workload(dir: &Path) {
    let program = Path::new("/bin/sh");
    let args = [
        "-c",
        "yes 'a log line of moderate length, written in blocks' | head -n 2000000",
    ];
    let (mut base, mut total, mut child) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let file = dir.join(format!("block-{round}.log"));
        base.push(run_direct(program, &args, &file));
        let (c, t) = run_captured(
            program,
            &args,
            &dir.join(format!("block-cap-{round}")),
            |_| {},
        );
        child.push(c);
        total.push(t);
    }
    let (base, total, child) = (median(base), median(total), median(child));
    println!(
        "block writer (100 MB, `yes | head`): file {base:?}, captured {total:?}, throughput ratio {:.2}; \
         child slowdown {:.2}x",
        base.as_secs_f64() / total.as_secs_f64(),
        child.as_secs_f64() / base.as_secs_f64(),
    )
}

/// The child's run time with its stdout on a file.
fn direct(fixture: &Path, file: &Path) -> Duration {
    run_direct(fixture, &["--spew", LINES], file)
}

fn run_direct(program: &Path, args: &[&str], file: &Path) -> Duration {
    let out = std::fs::File::create(file).expect("baseline file");
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::from(out))
        .status()
        .expect("fixture");
    assert!(status.success());
    start.elapsed()
}

/// (the child's run time, the time until the capture has written everything).
fn through_capture(fixture: &Path, dir: &Path, setup: Setup) -> (Duration, Duration) {
    run_captured(fixture, &["--spew", LINES], dir, setup)
}

fn run_captured(program: &Path, args: &[&str], dir: &Path, setup: Setup) -> (Duration, Duration) {
    let mut config = CaptureConfig::new(dir, "bench");
    config.keep = 100;
    setup(&mut config);
    let mut capture = Capture::start(config).expect("capture");
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("fixture");
    capture
        .attach(Stream::Stdout, child.stdout.take().unwrap())
        .expect("attach");
    assert!(child.wait().expect("wait").success());
    let child_time = start.elapsed();
    let stats = capture.finish(Duration::from_secs(60));
    let total = start.elapsed();
    assert_eq!(stats.bytes_dropped, 0);
    (child_time, total)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `target/release/examples/fixture-child`, built by this bench if needed.
fn fixture() -> PathBuf {
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
            "--example",
            "fixture-child",
        ])
        .status()
        .expect("cargo");
    assert!(status.success(), "building the fixture failed");
    profile.join("examples").join("fixture-child")
}
