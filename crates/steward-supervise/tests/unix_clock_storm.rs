//! Wall-clock jumps (libfaketime) change no supervisor timing; a storm of stop signals against a
//! zero-delay crash loop always ends in a clean, consistent stop with nothing left behind.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use rustix::process::Signal;
use steward_supervise::StateName;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The supervisor runs under libfaketime with a wall clock that jumps a day back, then a year
/// ahead, in the middle of a crash loop; the backoff delays (measured on the real monotonic
/// clock by the child) are unchanged.
#[test]
fn wall_clock_jumps_change_no_timing() {
    assert!(
        Path::new(LIBFAKETIME).exists(),
        "install faketime: apt-get install -y faketime"
    );
    let dir = TempDir::new("faketime");
    let (record, stamp, state_file) = (dir.path("rec"), dir.path("stamp"), dir.path("state.json"));
    std::fs::write(&stamp, "+0\n").unwrap();
    let args = [
        "--delay",
        "150",
        "--max-delay",
        "300",
        "--jitter",
        "0",
        "--burst",
        "5",
        "--state-file",
        state_file.to_str().unwrap(),
        "--env",
        "LD_PRELOAD=",
    ];
    let child_args = ["--record", record.to_str().unwrap(), "--exit", "3"];
    let child = supervise(&args, &child_args)
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME_TIMESTAMP_FILE", &stamp)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    wait_until(deadline, || (!records(&record).is_empty()).then_some(()));
    std::fs::write(&stamp, "-1d\n").unwrap();
    wait_until(deadline, || (records(&record).len() >= 3).then_some(()));
    std::fs::write(&stamp, "+365d\n").unwrap();
    let (status, stderr) = finish(child);
    assert_eq!(status.code(), Some(3), "{stderr}");
    let starts = records(&record);
    let gaps: Vec<u128> = starts
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) / 1_000_000)
        .collect();
    assert_eq!(gaps.len(), 4, "{starts:?}");
    for (gap, expected) in gaps.iter().zip([150, 300, 300, 300]) {
        assert!(*gap >= expected && *gap < expected + 1000, "gaps {gaps:?}");
    }
    // The supervisor really saw the jump: its last state-file write is stamped a year ahead.
    let written = state(&state_file).updated_unix_ms;
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        written > real + 300 * 86_400_000,
        "faketime was not active: {written} vs {real}"
    );
}

/// 20 supervisors in a zero-delay crash loop (`always`, no start limit), each hit by 50 stop
/// signals at a different moment: 1000 signals interleaved with exits and respawns. Every run
/// ends `Stopped` and clean, the state file agrees, and no child (nor zombie) is left.
#[test]
fn storm_of_stop_signals_during_a_crash_loop() {
    let dir = TempDir::new("storm");
    for round in 0..20 {
        let (record, state_file) = (
            dir.path(&format!("rec{round}")),
            dir.path(&format!("st{round}")),
        );
        let args = [
            "--policy",
            "always",
            "--delay",
            "0",
            "--no-limit",
            "true",
            "--state-file",
            state_file.to_str().unwrap(),
        ];
        let child_args = ["--record", record.to_str().unwrap(), "--exit", "1"];
        let child = supervise(&args, &child_args).spawn().unwrap();
        let wanted = round % 5 + 1;
        wait_until(Instant::now() + DEADLINE, || {
            (records(&record).len() >= wanted).then_some(())
        })
        .expect("the crash loop runs");
        for _ in 0..50 {
            signal(&child, Signal::TERM);
        }
        let (status, stderr) = finish(child);
        assert!(status.success(), "round {round}: {stderr}");
        assert!(
            stderr.contains("outcome: Stopped"),
            "round {round}: {stderr}"
        );
        let record_state = state(&state_file);
        assert_eq!(record_state.state, StateName::Stopped, "round {round}");
        assert_eq!(record_state.pid, None, "round {round}");
        let pids: Vec<u32> = records(&record).iter().map(|r| r.0).collect();
        assert!(pids.len() >= wanted);
        assert_eq!(
            all_gone(&pids, Duration::ZERO),
            Vec::<u32>::new(),
            "round {round}"
        );
    }
    assert_eq!(zombie_children(), Vec::<u32>::new());
}
