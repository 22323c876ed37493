//! The flood: a real child writes 1,000,000 numbered lines as fast as it can through a pipe
//! into the capture, which rotates at 1 MB (and gzips, and keeps everything): every line is
//! present exactly once, in order, across the rotated files.
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{DEADLINE, TempDir, example, wait_until};
use steward_supervise::capture::{Capture, CaptureConfig, Stream, read_logs};

const LINES: u64 = 1_000_000;

fn flood(dir: &Path, compress: bool) -> steward_supervise::capture::CaptureStats {
    let mut config = CaptureConfig::new(dir, "flood");
    config.max_size = Some(1_000_000);
    config.keep = 1000;
    config.compress = compress;
    let mut capture = Capture::start(config).expect("capture");
    let mut child = Command::new(example("fixture-child"))
        .args(["--spew", &LINES.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("fixture-child");
    capture
        .attach(Stream::Stdout, child.stdout.take().unwrap())
        .unwrap();
    let status = common::wait_deadline(&mut child, Duration::from_secs(60)).expect("child exits");
    assert!(status.success());
    capture.finish(DEADLINE)
}

/// Checks that `text` is exactly `line 1` .. `line N`, each once, in order.
fn assert_all_lines(text: &[u8]) {
    let mut expected = 1u64;
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let want = format!("line {expected}");
        assert_eq!(
            line,
            want.as_bytes(),
            "line {expected} is missing or out of order (found {:?})",
            String::from_utf8_lossy(line)
        );
        expected += 1;
    }
    assert_eq!(expected - 1, LINES, "lines present");
}

fn rotated(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("flood.stdout.20") && name.ends_with(suffix)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_million_lines_with_rotation_at_1mb_are_all_there_once_in_order() {
    let dir = TempDir::new("capture-flood");
    let stats = flood(&dir.0, false);
    assert_eq!(stats.bytes_dropped, 0);
    assert!(!stats.degraded);
    assert_eq!(stats.bytes_read, stats.bytes_written);
    let files = rotated(&dir.0, ".log");
    assert!(files.len() >= 10, "rotated {} times", files.len());
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        // Rotation happens at a line end, at the size limit.
        assert!(
            bytes.len() as u64 <= 1_000_000,
            "{} is {} bytes",
            file.display(),
            bytes.len()
        );
        assert_eq!(
            bytes.last(),
            Some(&b'\n'),
            "{} ends mid-line",
            file.display()
        );
    }
    let mut all = Vec::new();
    read_logs(&dir.0, "flood", false, &mut all).unwrap();
    assert_all_lines(&all);
}

#[test]
fn a_flood_with_gzip_of_rotated_files_loses_nothing() {
    let dir = TempDir::new("capture-flood-gz");
    let stats = flood(&dir.0, true);
    assert_eq!(stats.bytes_dropped, 0);
    // Read at once, while the janitor may still be compressing.
    let mut all = Vec::new();
    read_logs(&dir.0, "flood", false, &mut all).unwrap();
    assert_all_lines(&all);
    // Then once every rotated file is compressed.
    let done = wait_until(Instant::now() + DEADLINE, || {
        rotated(&dir.0, ".log").is_empty().then_some(())
    });
    assert!(done.is_some(), "rotated files left uncompressed");
    assert!(rotated(&dir.0, ".log.gz").len() >= 10);
    let mut all = Vec::new();
    read_logs(&dir.0, "flood", false, &mut all).unwrap();
    assert_all_lines(&all);
}
