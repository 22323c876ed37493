//! Helpers for the Linux integration tests: the harness and fixture binaries, temporary
//! directories, polling with deadlines, and /proc inspection.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest any wait in these tests may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// `target/<profile>/examples/<name>`, built by `cargo test` next to this test.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory named after the test.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("steward-sup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// A path inside.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the `supervise` harness with `args`, then `--`, the fixture and `child_args`.
pub fn supervise(args: &[&str], child_args: &[&str]) -> Command {
    let mut command = Command::new(example("supervise"));
    command
        .args(args)
        .arg("--")
        .arg(example("fixture-child"))
        .args(child_args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs to completion (bounded by [`DEADLINE`]); returns the status and stderr.
pub fn finish(mut child: Child) -> (ExitStatus, String) {
    let status = wait_deadline(&mut child, DEADLINE).expect("the supervisor should end");
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    (status, stderr)
}

/// Waits for the child to exit, polling until `limit`; kills it and returns `None` after.
pub fn wait_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    wait_until(deadline, || child.try_wait().expect("try_wait")).or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        None
    })
}

/// Polls `check` (with a growing pause) until it returns `Some` or the deadline passes.
pub fn wait_until<T>(deadline: Instant, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Reads a PID written by the fixture, waiting for it to appear.
pub fn read_pid(path: &Path) -> u32 {
    wait_until(Instant::now() + DEADLINE, || {
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    })
    .unwrap_or_else(|| panic!("no pid in {}", path.display()))
}

/// The `(pid, monotonic ns)` lines the fixture appended with `--record`.
pub fn records(path: &Path) -> Vec<(u32, u128)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (pid, ns) = line.split_once(' ')?;
            Some((pid.parse().ok()?, ns.parse().ok()?))
        })
        .collect()
}

/// Whether `/proc/<pid>` exists (a zombie counts as existing).
pub fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until none of `pids` exists; returns the survivors after the deadline.
pub fn all_gone(pids: &[u32], limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    wait_until(deadline, || pids.iter().all(|&p| !exists(p)).then_some(()));
    pids.iter().copied().filter(|&p| exists(p)).collect()
}

/// Our own zombie children.
pub fn zombie_children() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut zombies = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str()) {
            zombies.extend(
                entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok()),
            );
        }
    }
    zombies
}

/// Sends a signal to a process we spawned and have not reaped (so its PID is still ours).
pub fn signal(child: &Child, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("kill");
}

/// Reads the supervisor's state file once it exists and parses.
pub fn state(path: &Path) -> steward_supervise::StateRecord {
    wait_until(Instant::now() + DEADLINE, || {
        steward_supervise::read_state_file(path).ok()
    })
    .expect("a readable state file")
}

/// Waits until the state file shows a running program; returns its PID.
pub fn wait_running(path: &Path) -> u32 {
    wait_until(Instant::now() + DEADLINE, || {
        let record = steward_supervise::read_state_file(path).ok()?;
        (record.state == steward_supervise::StateName::Running)
            .then_some(record.pid)
            .flatten()
    })
    .expect("the program should be running")
}
