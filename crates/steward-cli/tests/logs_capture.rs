//! The program's output captured by `steward run --config` (default `[log]` directory beside the
//! config): a flood of 100,000 numbered lines rotated at 100 kB is all there, once each, in
//! order, and `steward logs` prints it; a program restarted three times appends to the same log
//! without losing a line; `steward status --json` shows the capture's counters.
//!
//! The fixture is `fixture-child` (built here with a nested `cargo build`, so it is never stale).
//! The service manager is the bench's systemd user manager, where the service is not installed.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use common::*;

/// The Linux `fixture-child`, freshly built.
fn fixture_child() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(&root)
                .args(["build", "--quiet", "-p", "fixture-child"])
                .status()
                .expect("running cargo build -p fixture-child");
            assert!(status.success(), "cargo build -p fixture-child failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .map(|dir| {
                    if dir.is_absolute() {
                        dir
                    } else {
                        root.join(dir)
                    }
                })
                .unwrap_or_else(|| root.join("target"));
            target.join("debug").join("fixture-child")
        })
        .clone()
}

/// `steward run --config CONFIG` to its end (bounded by [`WAIT`] ×4), state files in `state`.
fn run_to_end(config: &Path, state: &Path) -> ExitStatus {
    let mut run = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["run", "--config"])
        .arg(config)
        .env("STEWARD_STATE_DIR", state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT * 4;
    loop {
        if let Some(status) = run.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = run.kill();
            let _ = run.wait();
            panic!("steward run did not end in {:?}", WAIT * 4);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The captured stdout files of `name` in `dir`: rotated ones oldest first (by their
/// `<stamp>[.<seq>].log` name), then the current.
fn stdout_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!("{name}.stdout.");
    let current = dir.join(format!("{name}.stdout.log"));
    let mut rotated: Vec<((String, u32), PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| *path != current)
        .filter_map(|path| {
            let file = path.file_name()?.to_str()?;
            let middle = file.strip_prefix(&prefix)?.strip_suffix(".log")?;
            let key = match middle.split_once('.') {
                Some((stamp, seq)) => (stamp.to_owned(), seq.parse().ok()?),
                None => (middle.to_owned(), 0),
            };
            Some((key, path))
        })
        .collect();
    rotated.sort();
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|(_, path)| path).collect();
    files.push(current);
    files
}

/// Asserts that `text` is `line 1` .. `line n`, `runs` times over, each line once, in order.
fn assert_runs_of_lines(text: &[u8], n: u64, runs: u64) {
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(lines.len() as u64, n * runs, "lines present");
    for (index, line) in lines.iter().enumerate() {
        let want = format!("line {}", index as u64 % n + 1);
        assert_eq!(
            *line,
            want.as_bytes(),
            "line {index} of the log is wrong: {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

/// The bytes of `line 1\n` .. `line n\n`.
fn spew_bytes(n: u64) -> u64 {
    (1..=n).map(|i| format!("line {i}\n").len() as u64).sum()
}

/// `steward status NAME --json` with state files in `state`.
fn status(name: &str, state: &Path) -> serde_json::Value {
    let mut command = steward();
    command.env("STEWARD_STATE_DIR", state);
    let text = ok(command.args(["status", name, "--json"]));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn a_flood_is_captured_whole_rotated_and_printed_by_logs() {
    const LINES: u64 = 100_000;
    let dir = bench().temp_dir("logs-flood").unwrap();
    let state = dir.join("state");
    let name = bench().unique_name("flood");
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n[program]\ncommand = {}\nargs = [\"--spew\", \"{LINES}\"]\n\
             [restart]\npolicy = \"never\"\n[log]\nmax_size = \"100kB\"\nkeep = 1000\n",
            toml_string(fixture_child().to_str().unwrap())
        ),
    );
    let started = Instant::now();
    let status_code = run_to_end(&config, &state);
    eprintln!(
        "steward run: {LINES} lines through the capture in {:?}",
        started.elapsed()
    );
    assert_eq!(status_code.code(), Some(0));

    let logs = dir.join("logs");
    let files = stdout_files(&logs, &name);
    assert!(files.len() > 5, "rotated at 100 kB: {files:?}");
    let mut all = Vec::new();
    for file in &files {
        all.extend(std::fs::read(file).unwrap());
    }
    assert_runs_of_lines(&all, LINES, 1);
    assert_eq!(
        std::fs::read(logs.join(format!("{name}.stderr.log"))).unwrap_or_default(),
        b""
    );

    let printed = steward()
        .args(["logs", &name, "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", describe(&printed));
    assert_runs_of_lines(&printed.stdout, LINES, 1);

    let json = status(&name, &state);
    let capture = &json["supervisor"]["capture"];
    assert_eq!(capture["bytes_written"], spew_bytes(LINES), "{json}");
    assert_eq!(capture["bytes_read"], spew_bytes(LINES), "{json}");
    assert_eq!(capture["bytes_dropped"], 0, "{json}");
    assert_eq!(capture["degraded"], false, "{json}");
    let mut text = steward();
    text.env("STEWARD_STATE_DIR", &state);
    let text = ok(text.args(["status", &name]));
    assert!(
        text.contains(&format!(
            "logs        {} bytes written, 0 dropped",
            spew_bytes(LINES)
        )),
        "{text}"
    );
}

#[test]
fn a_restarted_program_appends_to_the_same_log() {
    const LINES: u64 = 1000;
    let dir = bench().temp_dir("logs-restart").unwrap();
    let state = dir.join("state");
    let name = bench().unique_name("restarts");
    // Four starts (three restarts), each printing 1000 lines and failing with 3; then the start
    // limit fails the service with that code.
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n[program]\ncommand = {}\n\
             args = [\"--spew\", \"{LINES}\", \"--exit\", \"3\"]\n\
             [restart]\npolicy = \"on-failure\"\ndelay = \"10ms\"\njitter = 0.0\n\
             start_limit = {{ burst = 4, interval = \"10m\" }}\n",
            toml_string(fixture_child().to_str().unwrap())
        ),
    );
    assert_eq!(run_to_end(&config, &state).code(), Some(3));
    let log = std::fs::read(dir.join("logs").join(format!("{name}.stdout.log"))).unwrap();
    assert_runs_of_lines(&log, LINES, 4);

    let json = status(&name, &state);
    let supervisor = &json["supervisor"];
    assert_eq!(supervisor["state"], "failed", "{json}");
    assert_eq!(supervisor["restarts"], 3, "{json}");
    assert_eq!(
        supervisor["capture"]["bytes_written"],
        4 * spew_bytes(LINES),
        "{json}"
    );

    let printed = steward()
        .args(["logs", &name, "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", describe(&printed));
    assert_runs_of_lines(&printed.stdout, LINES, 4);
}

#[test]
fn logs_refuses_a_config_of_another_service() {
    let dir = bench().temp_dir("logs-other").unwrap();
    let config = write_config(
        &dir,
        "[service]\nname = \"one\"\n[program]\ncommand = \"/bin/true\"\n",
    );
    let output = steward()
        .args(["logs", "two", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("describes service 'one', not 'two'"),
        "{stderr}"
    );
}

#[test]
fn logs_follow_prints_output_as_it_arrives() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    let dir = bench().temp_dir("logs-follow").unwrap();
    let state = dir.join("state");
    let name = bench().unique_name("follow");
    // The first run prints 100 lines and fails; the second prints 100 more and hangs.
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[restart]\npolicy = \"on-failure\"\ndelay = \"300ms\"\njitter = 0.0\n",
            sh_program(
                "if [ -e ran ]; then seq 101 200; exec sleep 600; else touch ran; seq 1 100; exit 1; fi"
            )
        ),
    );
    let mut run = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["run", "--config"])
        .arg(&config)
        .env("STEWARD_STATE_DIR", &state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut follow = steward()
        .args(["logs", &name, "--follow", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while seen.len() < 200 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let kill = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(run.wait().unwrap().code(), Some(0), "a graceful stop");
    let expected: Vec<String> = (1..=200).map(|i| i.to_string()).collect();
    assert_eq!(seen, expected, "followed across the restart, in order");
}
