//! A full disk (a 1 MiB tmpfs): the child keeps running, the capture reports itself degraded
//! with the bytes it buffers and the bytes it drops (marked in the file), and resumes writing
//! when space returns. Needs root (to mount the tmpfs), as the Linux test suite does.
#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{DEADLINE, TempDir, example, wait_until};
use steward_supervise::capture::{Capture, CaptureConfig, CaptureStats, Stream};

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct SmallDisk {
    mount: PathBuf,
    _parent: TempDir,
}

impl SmallDisk {
    fn new(name: &str, size: &str) -> Self {
        let parent = TempDir::new(name);
        let mount = parent.path("disk");
        std::fs::create_dir(&mount).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status()
            .expect("mount");
        assert!(
            status.success(),
            "cannot mount a tmpfs (the test needs root)"
        );
        SmallDisk {
            mount,
            _parent: parent,
        }
    }

    /// Fills the disk with a file; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.mount.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

/// Runs the fixture child spewing `lines` numbered lines into the capture; it must exit on its
/// own (it is never blocked by the full disk).
fn run_child(capture: &mut Capture, lines: u64) {
    let mut child = Command::new(example("fixture-child"))
        .args(["--spew", &lines.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("fixture-child");
    capture
        .attach(Stream::Stdout, child.stdout.take().unwrap())
        .unwrap();
    let status = common::wait_deadline(&mut child, DEADLINE).expect("the child was blocked");
    assert!(status.success());
}

fn wait_stats(capture: &Capture, mut check: impl FnMut(&CaptureStats) -> bool) -> CaptureStats {
    let found = wait_until(Instant::now() + DEADLINE, || {
        let stats = capture.stats();
        check(&stats).then_some(stats)
    });
    found.unwrap_or_else(|| panic!("stats never matched: {:?}", capture.stats()))
}

/// Records the `event_id` and message of every tracing event, from every thread.
struct Events(std::sync::Mutex<Vec<(u64, String)>>);

impl tracing::Subscriber for Events {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(u64, String);
        impl tracing::field::Visit for Fields {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "event_id" {
                    self.0 = value;
                }
            }
            fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
                self.record_u64(field, value as u64);
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.1 = format!("{value:?}");
                }
            }
        }
        let mut fields = Fields(0, String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push((fields.0, fields.1));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

static EVENTS: std::sync::OnceLock<std::sync::Arc<Events>> = std::sync::OnceLock::new();

/// The events with `id` whose message mentions `needle`.
fn events(id: u64, needle: &str) -> usize {
    let events = EVENTS.get_or_init(|| {
        let events = std::sync::Arc::new(Events(Default::default()));
        tracing::subscriber::set_global_default(events.clone()).expect("one global subscriber");
        events
    });
    let list = events.0.lock().unwrap();
    list.iter()
        .filter(|(i, m)| *i == id && m.contains(needle))
        .count()
}

fn spew_bytes(lines: u64) -> u64 {
    (1..=lines)
        .map(|i| format!("line {i}\n").len() as u64)
        .sum()
}

#[test]
fn a_full_disk_degrades_buffers_counts_drops_and_recovers() {
    let disk = SmallDisk::new("capture-full", "1m");
    let dir = disk.mount.join("logs");
    events(0, ""); // installs the recording subscriber
    let mut config = CaptureConfig::new(&dir, "full");
    config.degraded_buffer = 256 * 1024;
    config.retry = Duration::from_millis(100);
    config.max_size = None;
    let mut capture = Capture::start(config).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let filler = disk.fill();

    // 1. Fits in the memory buffer: nothing dropped yet, degraded, bytes held.
    run_child(&mut capture, 5_000);
    let stats = wait_stats(&capture, |s| {
        s.bytes_read == spew_bytes(5_000) && s.degraded
    });
    assert_eq!(stats.bytes_dropped, 0, "{stats:?}");
    let error = stats.last_error.clone().unwrap();
    assert!(error.contains("full.stdout.log"), "{error}");

    // 2. Far more than the buffer: the child still runs to its end; the excess is counted.
    run_child(&mut capture, 100_000);
    let stats = wait_stats(&capture, |s| {
        s.bytes_read == spew_bytes(5_000) + spew_bytes(100_000)
    });
    assert!(stats.degraded && stats.bytes_dropped > 0, "{stats:?}");
    assert!(stats.bytes_buffered >= 256 * 1024, "{stats:?}");

    // 3. Space returns: the buffer is written, the drop is marked, writing resumes.
    std::fs::remove_file(&filler).unwrap();
    let recovered = wait_stats(&capture, |s| !s.degraded);
    assert_eq!(recovered.bytes_buffered, 0);
    run_child(&mut capture, 100);
    let stats = capture.finish(DEADLINE);
    assert!(!stats.degraded);

    let text = std::fs::read_to_string(dir.join("full.stdout.log")).unwrap();
    check_file(&text, &stats);
    // One error for the whole episode (not one per line or per retry), one recovery.
    assert_eq!(events(1300, "of full (stdout)"), 1);
    assert_eq!(events(1301, "of full (stdout)"), 1);
}

/// The first run is complete, the drop marker states exactly the dropped bytes, the last run is
/// complete after it, and every byte read is either in the file or dropped.
fn check_file(text: &str, stats: &CaptureStats) {
    let lines: Vec<&str> = text.lines().collect();
    let expected: Vec<String> = (1..=5_000).map(|i| format!("line {i}")).collect();
    assert_eq!(lines[..5_000], expected[..], "the first run is complete");
    let markers: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("[steward]"))
        .collect();
    assert_eq!(markers.len(), 1, "one drop marker");
    let marker = lines[markers[0]];
    assert_eq!(
        marker,
        format!(
            "[steward] {} bytes of stdout dropped: the log file cannot be written and the buffer is full",
            stats.bytes_dropped
        )
    );
    let tail: Vec<String> = (1..=100).map(|i| format!("line {i}")).collect();
    assert_eq!(
        lines[lines.len() - 100..],
        tail[..],
        "the run after recovery is complete"
    );
    let kept = text.len() as u64 - marker.len() as u64 - 1;
    let read = stats.bytes_read;
    assert!(
        (read..=read + 1).contains(&(kept + stats.bytes_dropped)),
        "read {read}, kept {kept}, dropped {}",
        stats.bytes_dropped
    );
}

#[test]
fn an_unwritable_directory_degrades_and_recovers() {
    let dir = TempDir::new("capture-unwritable");
    // A file where the log directory should be: it cannot be created.
    let logs = dir.path("logs");
    std::fs::write(&logs, "not a directory").unwrap();
    let mut config = CaptureConfig::new(&logs, "svc");
    config.retry = Duration::from_millis(100);
    let mut capture = Capture::start(config).unwrap();
    run_child(&mut capture, 1_000);
    let stats = wait_stats(&capture, |s| {
        s.degraded && s.bytes_read == spew_bytes(1_000)
    });
    assert!(
        stats
            .last_error
            .unwrap()
            .contains(&logs.display().to_string())
    );
    std::fs::remove_file(&logs).unwrap();
    wait_stats(&capture, |s| !s.degraded);
    let stats = capture.finish(DEADLINE);
    assert_eq!(stats.bytes_dropped, 0);
    let text = std::fs::read_to_string(Path::new(&logs).join("svc.stdout.log")).unwrap();
    assert_eq!(text.lines().count(), 1_000);
}
