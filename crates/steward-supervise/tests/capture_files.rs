//! The log files under change: deleted or renamed under the capture, pruned to `keep`, rotated
//! while the capture stops; and the `drop` policy's accounting.
#![cfg(target_os = "linux")]

mod common;

use std::io::{PipeWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{DEADLINE, TempDir, wait_until};
use steward_supervise::capture::{Capture, CaptureConfig, Format, Policy, Stream, read_logs};

fn start(dir: &Path, setup: impl FnOnce(&mut CaptureConfig)) -> (Capture, PipeWriter) {
    let mut config = CaptureConfig::new(dir, "svc");
    setup(&mut config);
    let mut capture = Capture::start(config).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    capture.attach(Stream::Stdout, reader).unwrap();
    (capture, writer)
}

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(needle))
}

/// Writes numbered lines with `tag` every 50 ms until `done` holds (or the deadline passes).
fn write_until(writer: &mut PipeWriter, tag: &str, mut done: impl FnMut(&str) -> bool) -> bool {
    let deadline = Instant::now() + DEADLINE;
    for i in 0.. {
        let line = format!("{tag} {i}");
        writeln!(writer, "{line}").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        if done(&line) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
    }
    unreachable!()
}

#[test]
fn a_deleted_log_file_is_recreated_and_later_lines_land_in_it() {
    let dir = TempDir::new("capture-deleted");
    let current = dir.path("svc.stdout.log");
    let (capture, mut writer) = start(&dir.0, |_| {});
    assert!(write_until(&mut writer, "before", |line| contains(
        &current, line
    )));
    std::fs::remove_file(&current).unwrap();
    assert!(
        write_until(&mut writer, "after", |line| contains(&current, line)),
        "the file was not recreated"
    );
    writeln!(writer, "last").unwrap();
    drop(writer);
    let stats = capture.finish(DEADLINE);
    assert_eq!(stats.bytes_dropped, 0);
    let text = std::fs::read_to_string(&current).unwrap();
    assert!(!text.contains("before"), "{text}");
    assert!(text.ends_with("last\n"), "{text}");
}

#[test]
fn a_renamed_log_file_keeps_its_lines_and_a_new_one_takes_the_rest() {
    let dir = TempDir::new("capture-renamed");
    let current = dir.path("svc.stdout.log");
    let moved = dir.path("moved-away.log");
    let (capture, mut writer) = start(&dir.0, |_| {});
    assert!(write_until(&mut writer, "before", |line| contains(
        &current, line
    )));
    std::fs::rename(&current, &moved).unwrap();
    assert!(write_until(&mut writer, "after", |line| contains(
        &current, line
    )));
    drop(writer);
    capture.finish(DEADLINE);
    let old = std::fs::read_to_string(&moved).unwrap();
    let new = std::fs::read_to_string(&current).unwrap();
    assert!(old.starts_with("before 0\n"), "{old}");
    assert!(new.contains("after"), "{new}");
    assert!(!new.contains("before 0\n"), "{new}");
}

#[test]
fn only_keep_rotated_files_remain() {
    let dir = TempDir::new("capture-keep");
    let (capture, mut writer) = start(&dir.0, |c| {
        c.max_size = Some(10_000);
        c.keep = 2;
    });
    for i in 0..20_000 {
        writeln!(writer, "line {i}").unwrap();
    }
    drop(writer);
    capture.finish(DEADLINE);
    let rotated = || {
        std::fs::read_dir(&dir.0)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("svc.stdout.20")
            })
            .count()
    };
    let pruned = wait_until(Instant::now() + DEADLINE, || (rotated() == 2).then_some(()));
    assert!(pruned.is_some(), "{} rotated files remain", rotated());
    let mut out = Vec::new();
    read_logs(&dir.0, "svc", false, &mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().ends_with("line 19999\n"));
}

#[test]
fn rotation_and_compression_while_stopping_do_not_delay_the_stop() {
    let dir = TempDir::new("capture-stop");
    let (capture, mut writer) = start(&dir.0, |c| {
        c.max_size = Some(1_000_000);
        c.keep = 1000;
        c.compress = true;
    });
    // 40 MB: about 40 rotations and compressions, most of them still pending at the stop.
    let block: Vec<u8> = (0..100_000)
        .flat_map(|i: u32| format!("{i:09}\n").into_bytes())
        .collect();
    let feeder = std::thread::spawn(move || {
        for _ in 0..40 {
            writer.write_all(&block).unwrap();
        }
    });
    feeder.join().unwrap();
    let stopping = Instant::now();
    let stats = capture.finish(DEADLINE);
    let stop_took = stopping.elapsed();
    assert!(stop_took < DEADLINE, "the stop took {stop_took:?}");
    assert_eq!(stats.bytes_written, 40_000_000);
    // Everything read is in the files when finish returns (compressed or not).
    let mut out = Vec::new();
    read_logs(&dir.0, "svc", false, &mut out).unwrap();
    assert_eq!(out.len(), 40_000_000);
    println!("stop with pending rotations/compressions took {stop_took:?}");
}

/// A source that produces numbered lines as fast as memory allows.
struct Firehose {
    next: u64,
    end: u64,
}

impl Read for Firehose {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while self.next < self.end && n + 24 <= buf.len() {
            let line = format!("line {}\n", self.next);
            buf[n..n + line.len()].copy_from_slice(line.as_bytes());
            n += line.len();
            self.next += 1;
        }
        Ok(n)
    }
}

#[test]
fn the_drop_policy_never_blocks_and_accounts_for_every_lost_byte() {
    let dir = TempDir::new("capture-drop");
    let mut config = CaptureConfig::new(&dir.0, "svc");
    config.policy = Policy::Drop;
    config.format = Format::Json; // a slower writer than the reader
    config.queue_chunks = 1;
    config.max_size = None;
    let mut capture = Capture::start(config).unwrap();
    capture
        .attach(
            Stream::Stdout,
            Firehose {
                next: 0,
                end: 3_000_000,
            },
        )
        .unwrap();
    let stats = capture.finish(Duration::from_secs(60));
    assert!(stats.bytes_dropped > 0, "nothing was dropped: {stats:?}");
    let text = std::fs::read_to_string(dir.path("svc.stdout.log")).unwrap();
    let (mut marked, mut markers, mut kept, mut last) = (0u64, 0u64, 0u64, None);
    for record in text.lines() {
        let value: serde_json::Value = serde_json::from_str(record).unwrap();
        if let Some(dropped) = value.get("dropped") {
            marked += dropped.as_u64().unwrap();
            markers += 1;
            continue;
        }
        let line = value["line"].as_str().unwrap();
        kept += line.len() as u64 + 1;
        // Whole lines keep their order (a line cut by a drop is a fragment).
        if let Some(n) = line
            .strip_prefix("line ")
            .and_then(|n| n.parse::<u64>().ok())
        {
            assert!(last.is_none_or(|last| n > last), "line {n} after {last:?}");
            last = Some(n);
        }
    }
    assert_eq!(
        marked, stats.bytes_dropped,
        "every drop is marked in the file"
    );
    // What was read is either in the file or counted as dropped; a drop that cuts a line adds
    // at most one newline.
    let accounted = kept + marked;
    assert!(
        (stats.bytes_read..=stats.bytes_read + markers).contains(&accounted),
        "read {}, in the file {kept}, dropped {marked}, markers {markers}",
        stats.bytes_read
    );
    println!("drop policy: {stats:?}");
}

#[test]
fn follow_prints_everything_in_order_across_rotations() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = TempDir::new("capture-follow");
    let (capture, mut writer) = start(&dir.0, |c| {
        c.max_size = Some(2_000);
        c.keep = 1000;
    });
    for i in 0..100 {
        writeln!(writer, "early {i}").unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (dir, stop) = (dir.0.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut out = Vec::new();
            steward_supervise::capture::follow_logs(&dir, "svc", &mut out, || {
                !stop.load(Ordering::Relaxed)
            })
            .unwrap();
            out
        })
    };
    // Lines written while following, across many rotations.
    for i in 0..2_000 {
        writeln!(writer, "late {i}").unwrap();
        if i % 100 == 0 {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    drop(writer);
    capture.finish(DEADLINE);
    // Everything is written: the follower's last poll prints the rest.
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    read_logs(&dir.0, "svc", false, &mut all).unwrap();
    let followed = follower.join().unwrap();
    let expected: Vec<String> = (0..100)
        .map(|i| format!("early {i}"))
        .chain((0..2_000).map(|i| format!("late {i}")))
        .collect();
    let followed: Vec<&str> = std::str::from_utf8(&followed).unwrap().lines().collect();
    assert!(
        followed == expected,
        "followed {} lines, first {:?}",
        followed.len(),
        followed.first()
    );
    assert!(
        String::from_utf8(all)
            .unwrap()
            .lines()
            .eq(expected.iter().map(String::as_str))
    );
}
