//! The announce hook and the fence request, in process, with real programs: the order of the
//! hook's calls on a service stop (and that `stopping` comes before the program's stop signal),
//! on a crash, on a readiness dip and a liveness kill; a fence that kills a program ignoring
//! SIGTERM long before its stop timeout, and a fence during the restart delay.
//!
//! A supervisor reaps every child of its process outside the process's group, so the tests of
//! this file run one at a time (`SERIAL`).
#![cfg(target_os = "linux")]

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{DEADLINE, TempDir, all_gone, example, read_pid, wait_until};
use steward_supervise::observe::Request;
use steward_supervise::steward_health::{CheckRole, CheckSpec, MonitorConfig};
use steward_supervise::{
    Announce, HealthSetup, Hook, Hooks, Observer, Outcome, ProgramSpec, RestartMode, RestartPolicy,
    StateName, Supervisor,
};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the hook heard.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Serving(u32),
    /// The reason, and whether the last serving PID was still running (not a zombie) then.
    NotServing(String, bool),
    /// Whether the marker file existed when `stopping` was called.
    Stopping {
        marker: bool,
    },
}

/// A recording [`Announce`]; `stopping` notes whether `marker` exists yet.
struct Recorder {
    heard: Mutex<Vec<Heard>>,
    changed: Condvar,
    marker: Option<PathBuf>,
}

impl Recorder {
    fn new(marker: Option<PathBuf>) -> Arc<Self> {
        Arc::new(Recorder {
            heard: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            marker,
        })
    }

    fn push(&self, heard: Heard) {
        self.heard.lock().unwrap().push(heard);
        self.changed.notify_all();
    }

    fn heard(&self) -> Vec<Heard> {
        self.heard.lock().unwrap().clone()
    }

    /// Waits (bounded by [`DEADLINE`]) until `count` calls were heard; returns them.
    fn wait_for(&self, count: usize) -> Vec<Heard> {
        let deadline = Instant::now() + DEADLINE;
        let mut heard = self.heard.lock().unwrap();
        while heard.len() < count {
            let now = Instant::now();
            assert!(now < deadline, "only heard {heard:?}, waiting for {count}");
            heard = self.changed.wait_timeout(heard, deadline - now).unwrap().0;
        }
        heard.clone()
    }
}

impl Announce for Recorder {
    fn serving(&self, pid: u32) {
        self.push(Heard::Serving(pid));
    }

    fn not_serving(&self, reason: &str) {
        let last = self.heard().iter().rev().find_map(|h| match h {
            Heard::Serving(pid) => Some(*pid),
            _ => None,
        });
        self.push(Heard::NotServing(
            reason.to_owned(),
            last.is_some_and(running),
        ));
    }

    fn stopping(&self) {
        let marker = self.marker.as_ref().is_some_and(|m| m.exists());
        self.push(Heard::Stopping { marker });
    }
}

/// Whether `pid` exists and is not a zombie.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// Runs `supervisor` as a console service on its own thread; its outcome arrives on the channel.
fn start(supervisor: Supervisor) -> Receiver<Outcome> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let exit = steward::run_with(
            steward::ServiceSpec::new("announce-test"),
            steward::Mode::Console,
            move |ctx| {
                let outcome = supervisor.run(&ctx).expect("supervising");
                let _ = tx.send(outcome);
                Ok(())
            },
        );
        drop(exit);
    });
    rx
}

fn outcome(rx: &Receiver<Outcome>) -> Outcome {
    rx.recv_timeout(DEADLINE)
        .expect("the supervisor should end")
}

fn shell(script: &str) -> ProgramSpec {
    ProgramSpec::new("/bin/sh").args(["-c", script])
}

fn policy(mode: RestartMode, delay: Duration) -> RestartPolicy {
    RestartPolicy {
        mode,
        delay,
        jitter: 0.0,
        ..RestartPolicy::default()
    }
}

fn wait_file(path: &Path) {
    wait_until(Instant::now() + DEADLINE, || path.exists().then_some(()))
        .unwrap_or_else(|| panic!("{} never appeared", path.display()));
}

/// A service stop: `serving`, then `stopping` before the program got its SIGTERM.
#[test]
fn a_service_stop_announces_stopping_before_the_stop_signal() {
    let _serial = serial();
    let dir = TempDir::new("announce-stop");
    let (marker, pid_file) = (dir.path("got-term"), dir.path("pid"));
    // The trap is set before the PID is written; `wait` lets the trap run at once.
    let script = format!(
        "trap 'touch {marker}; exit 0' TERM; echo $$ > {pid}.tmp; mv {pid}.tmp {pid}; \
         while :; do sleep 1 & wait $! 2>/dev/null; done",
        marker = marker.display(),
        pid = pid_file.display(),
    );
    let recorder = Recorder::new(Some(marker.clone()));
    let supervisor = Supervisor::new(shell(&script).stop_timeout(Duration::from_secs(30)))
        .restart(policy(RestartMode::Always, Duration::ZERO))
        .announce(recorder.clone());
    let rx = start(supervisor);
    let pid = read_pid(&pid_file);
    assert_eq!(recorder.wait_for(1), [Heard::Serving(pid)]);
    // The runtime's signal handler is installed (the service runs): a service stop.
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TERM)
        .expect("SIGTERM to ourselves");
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert_eq!(
        recorder.heard(),
        [Heard::Serving(pid), Heard::Stopping { marker: false }]
    );
    assert!(marker.exists(), "the program never got its SIGTERM");
}

/// A serving run that crashes: `not_serving` with its exit code, then `serving` for the next
/// run; a `Request::Stop` then `stopping`.
#[test]
fn a_crash_is_not_serving_then_the_restart_serves_again() {
    let _serial = serial();
    let dir = TempDir::new("announce-crash");
    let (crashed, second) = (dir.path("crashed"), dir.path("second"));
    let script = format!(
        "if [ -e {crashed} ]; then echo $$ > {second}.tmp; mv {second}.tmp {second}; \
         exec sleep 1000; fi; touch {crashed}; exit 3",
        crashed = crashed.display(),
        second = second.display(),
    );
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(shell(&script))
        .restart(policy(RestartMode::OnFailure, Duration::from_millis(10)))
        .observer(observer.clone())
        .announce(recorder.clone());
    let rx = start(supervisor);
    let second_pid = read_pid(&second);
    let heard = recorder.wait_for(3);
    let Heard::Serving(first_pid) = heard[0] else {
        panic!("{heard:?}")
    };
    assert_ne!(first_pid, second_pid);
    assert_eq!(
        heard[1..],
        [
            Heard::NotServing("the program exited with code 3".into(), false),
            Heard::Serving(second_pid)
        ]
    );
    assert!(observer.request(Request::Stop));
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert_eq!(recorder.heard()[3..], [Heard::Stopping { marker: false }]);
}

fn listen(addr: SocketAddr) -> TcpListener {
    wait_until(Instant::now() + DEADLINE, || TcpListener::bind(addr).ok())
        .unwrap_or_else(|| panic!("cannot listen on {addr} again"))
}

fn tcp_health(addr: SocketAddr, role: CheckRole) -> HealthSetup {
    let check = CheckSpec::tcp("port", &addr.to_string())
        .role(role)
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(2))
        .failure_threshold(1);
    HealthSetup {
        monitor: MonitorConfig {
            checks: vec![check],
            notify: None,
        },
        start_timeout: Duration::from_secs(60),
    }
}

/// A readiness check whose target goes away and comes back: `not_serving` naming the check,
/// then `serving` again for the same run: no restart.
#[test]
fn a_readiness_dip_is_not_serving_then_serving_without_a_restart() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(shell("exec sleep 1000"))
        .restart(policy(RestartMode::Always, Duration::ZERO))
        .health(tcp_health(addr, CheckRole::Readiness))
        .observer(observer.clone())
        .announce(recorder.clone());
    let rx = start(supervisor);
    let [Heard::Serving(pid)] = recorder.wait_for(1)[..] else {
        panic!("{:?}", recorder.heard())
    };
    drop(listener);
    let heard = recorder.wait_for(2);
    let Heard::NotServing(reason, true) = &heard[1] else {
        panic!("{heard:?}")
    };
    assert!(
        reason.starts_with("not ready: health check \"port\" failed: "),
        "{reason}"
    );
    let listener = listen(addr);
    assert_eq!(recorder.wait_for(3)[2], Heard::Serving(pid));
    let snapshot = observer.snapshot();
    assert_eq!(
        (snapshot.state, snapshot.pid, snapshot.restarts),
        (Some(StateName::Running), Some(pid), 0)
    );
    assert!(observer.request(Request::Stop));
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert_eq!(recorder.heard().len(), 4, "{:?}", recorder.heard());
    assert_eq!(recorder.heard()[3], Heard::Stopping { marker: false });
    drop(listener);
}

/// A liveness failure: one `not_serving` naming the check while the run still runs (before
/// the supervisor kills it), then `serving` for the next run once the check passes again.
#[test]
fn a_liveness_kill_is_announced_before_the_kill() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(shell("exec sleep 1000"))
        .restart(policy(RestartMode::Always, Duration::ZERO))
        .health(tcp_health(addr, CheckRole::Both))
        .observer(observer.clone())
        .announce(recorder.clone());
    let rx = start(supervisor);
    let [Heard::Serving(first)] = recorder.wait_for(1)[..] else {
        panic!("{:?}", recorder.heard())
    };
    drop(listener);
    let heard = recorder.wait_for(2);
    assert!(
        matches!(&heard[1], Heard::NotServing(reason, true)
            if reason.starts_with("health check \"port\" failed: ")),
        "{heard:?}"
    );
    // The next run is not ready while the port is closed; it is once it listens again.
    wait_until(Instant::now() + DEADLINE, || {
        (observer.snapshot().restarts >= 1).then_some(())
    })
    .expect("a restart");
    let listener = listen(addr);
    let Heard::Serving(second) = recorder.wait_for(3)[2] else {
        panic!("{:?}", recorder.heard())
    };
    assert_ne!(first, second);
    assert!(observer.request(Request::Stop));
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert_eq!(recorder.heard()[3..], [Heard::Stopping { marker: false }]);
    drop(listener);
}

/// A fence on a program that ignores SIGTERM, with a 60 s stop timeout: its tree (with a
/// grandchild in its own session) is killed at the fence's 500 ms, `run` returns `Stopped`.
#[test]
fn a_fence_kills_a_stubborn_tree_long_before_the_stop_timeout() {
    let _serial = serial();
    let dir = TempDir::new("announce-fence");
    let (pid_file, grandchild) = (dir.path("pid"), dir.path("gc"));
    let program = ProgramSpec::new(example("fixture-child"))
        .args([
            "--ignore-stop",
            "--spawn-grandchild",
            grandchild.to_str().unwrap(),
        ])
        .args(["--pid-file", pid_file.to_str().unwrap(), "--hang"])
        .stop_timeout(Duration::from_secs(60));
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(program)
        .restart(policy(RestartMode::Always, Duration::ZERO))
        .observer(observer.clone())
        .announce(recorder.clone());
    let rx = start(supervisor);
    // The fixture takes its flags in order: its PID file is written once SIGTERM is ignored
    // and the intermediate process of the double fork (which does not ignore it) is gone.
    let pids = [read_pid(&pid_file), read_pid(&grandchild)];
    assert_eq!(recorder.wait_for(1), [Heard::Serving(pids[0])]);
    let within = Duration::from_millis(500);
    let asked = Instant::now();
    assert!(observer.request(Request::Fence { within }));
    assert_eq!(outcome(&rx), Outcome::Stopped);
    let took = asked.elapsed();
    let snapshot = observer.snapshot();
    assert!(
        took >= within,
        "killed before the fence's deadline: {took:?}, heard {:?}, {snapshot:?}",
        recorder.heard()
    );
    assert!(took < Duration::from_secs(30), "not fenced: {took:?}");
    assert_eq!(all_gone(&pids, DEADLINE), Vec::<u32>::new(), "left behind");
    assert_eq!(
        recorder.heard(),
        [Heard::Serving(pids[0]), Heard::Stopping { marker: false }]
    );
}

/// A fence while the program waits for its restart (60 s away): `run` returns `Stopped` at
/// once and the program is not started again.
#[test]
fn a_fence_during_the_restart_delay_stops_without_spawning() {
    let _serial = serial();
    let dir = TempDir::new("announce-fence-backoff");
    let runs = dir.path("runs");
    let script = format!("echo $$ >> {}; exit 1", runs.display());
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(shell(&script))
        .restart(policy(RestartMode::OnFailure, Duration::from_secs(60)))
        .observer(observer.clone())
        .announce(recorder.clone());
    let rx = start(supervisor);
    wait_until(Instant::now() + DEADLINE, || {
        (observer.snapshot().state == Some(StateName::Backoff)).then_some(())
    })
    .expect("the restart delay");
    let asked = Instant::now();
    assert!(observer.request(Request::Fence {
        within: Duration::from_millis(500)
    }));
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert!(
        asked.elapsed() < Duration::from_secs(30),
        "waited for the restart"
    );
    wait_file(&runs);
    let started = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(started.lines().count(), 1, "started again: {started}");
    let heard = recorder.heard();
    assert!(matches!(heard[0], Heard::Serving(_)), "{heard:?}");
    assert_eq!(
        heard[1..],
        [
            Heard::NotServing("the program exited with code 1".into(), false),
            Heard::Stopping { marker: false }
        ]
    );
}

/// A fence while the pre-start hook runs (the loop is not listening): the program is not
/// started at all.
#[test]
fn a_fence_during_the_pre_start_hook_stops_without_spawning() {
    let _serial = serial();
    let dir = TempDir::new("announce-fence-prestart");
    let (started, go, runs) = (dir.path("started"), dir.path("go"), dir.path("runs"));
    let hook = format!(
        "touch {started}; while [ ! -e {go} ]; do sleep 0.01; done",
        started = started.display(),
        go = go.display(),
    );
    let recorder = Recorder::new(None);
    let observer = Observer::new();
    let supervisor = Supervisor::new(shell(&format!(
        "echo $$ >> {}; exec sleep 1000",
        runs.display()
    )))
    .hooks(Hooks {
        pre_start: Some(Hook::new("/bin/sh").args(["-c", &hook]).timeout(DEADLINE)),
        post_stop: None,
    })
    .observer(observer.clone())
    .announce(recorder.clone());
    let rx = start(supervisor);
    wait_file(&started);
    assert!(observer.request(Request::Fence {
        within: Duration::from_millis(500)
    }));
    std::fs::write(&go, "").unwrap();
    assert_eq!(outcome(&rx), Outcome::Stopped);
    assert!(!runs.exists(), "the program was started");
    assert_eq!(recorder.heard(), [Heard::Stopping { marker: false }]);
}
