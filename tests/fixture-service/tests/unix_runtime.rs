//! The Unix backend driven through a real child process: signals, sd_notify on a real datagram
//! socket, the watchdog cadence and the grace period.
#![cfg(unix)]

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const FIXTURE: &str = env!("CARGO_BIN_EXE_fixture-service");
const DEADLINE: Duration = Duration::from_secs(20);

/// A notification socket the test owns, recording every datagram with its arrival time.
struct NotifyListener {
    address: String,
    messages: Arc<Mutex<Vec<(Instant, String)>>>,
    _dir: TempDir,
}

impl NotifyListener {
    fn bind_path(dir: TempDir) -> Self {
        let path = dir.0.join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        Self::start(socket, path.to_str().unwrap().to_owned(), dir)
    }

    fn bind_abstract(dir: TempDir) -> Self {
        let name = format!("steward-test-{}-{}", std::process::id(), unique());
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&address).unwrap();
        Self::start(socket, format!("@{name}"), dir)
    }

    fn start(socket: UnixDatagram, address: String, dir: TempDir) -> Self {
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&messages);
        thread::spawn(move || {
            let mut buffer = vec![0u8; 4096];
            while let Ok(n) = socket.recv(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                sink.lock().unwrap().push((Instant::now(), text));
            }
        });
        NotifyListener {
            address,
            messages,
            _dir: dir,
        }
    }

    /// Every `KEY=value` line received so far, with its arrival time.
    fn lines(&self) -> Vec<(Instant, String)> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(at, text)| {
                text.lines()
                    .map(|l| (*at, l.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn first(&self, line: &str) -> Option<Instant> {
        self.lines()
            .iter()
            .find(|(_, l)| l == line)
            .map(|(at, _)| *at)
    }

    fn wait_for(&self, line: &str) -> Instant {
        wait_until(|| self.first(line))
            .unwrap_or_else(|| panic!("'{line}' never arrived; got {:?}", self.lines()))
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "steward-fixture-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn wait_until<T>(mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    wait_until(|| child.try_wait().unwrap()).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("fixture did not exit within {DEADLINE:?}")
    })
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: kill(2) with the PID of a child we have not yet reaped, so it cannot be reused.
    let rc = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(rc, 0, "kill failed");
}

fn events(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn wait_event(path: &std::path::Path, event: &str) {
    wait_until(|| events(path).iter().any(|e| e == event).then_some(()))
        .unwrap_or_else(|| panic!("event '{event}' never recorded; got {:?}", events(path)));
}

fn spawn(args: &[&str], notify: Option<&NotifyListener>, envs: &[(&str, String)]) -> Child {
    let mut command = Command::new(FIXTURE);
    command.args(args).env_remove("NOTIFY_SOCKET");
    if let Some(listener) = notify {
        command.env("NOTIFY_SOCKET", &listener.address);
    }
    for (key, value) in envs {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

fn stops_gracefully_on(sig: i32) {
    let dir = TempDir::new();
    let events_file = dir.0.join("events");
    let mut child = spawn(&["--events", events_file.to_str().unwrap()], None, &[]);
    wait_event(&events_file, "ready");
    signal(&child, sig);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0));
    assert_eq!(events(&events_file), ["ready", "shutdown", "exiting"]);
}

#[test]
fn sigterm_stops_gracefully() {
    stops_gracefully_on(libc::SIGTERM);
}

#[test]
fn sigint_stops_gracefully() {
    stops_gracefully_on(libc::SIGINT);
}

#[test]
fn sighup_reaches_the_code_as_reload_and_does_not_stop() {
    let dir = TempDir::new();
    let events_file = dir.0.join("events");
    let mut child = spawn(&["--events", events_file.to_str().unwrap()], None, &[]);
    wait_event(&events_file, "ready");
    signal(&child, libc::SIGHUP);
    wait_event(&events_file, "reload");
    signal(&child, libc::SIGHUP);
    wait_until(|| {
        (events(&events_file)
            .iter()
            .filter(|e| *e == "reload")
            .count()
            == 2)
            .then_some(())
    })
    .expect("second reload");
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP must not stop the service"
    );
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}

#[test]
fn sd_notify_reports_start_progress_status_ready_stopping_and_stop_progress() {
    let listener = NotifyListener::bind_path(TempDir::new());
    let spawned = Instant::now();
    let mut child = spawn(
        &[
            "--init",
            "1200ms",
            "--progress",
            "200ms",
            "--status",
            "warming caches",
            "--stop-delay",
            "800ms",
        ],
        Some(&listener),
        &[],
    );
    let ready = listener.wait_for("READY=1");
    assert!(
        ready - spawned >= Duration::from_millis(1200),
        "READY=1 only after initialisation"
    );
    let lines = listener.lines();
    let extends_before_ready = lines
        .iter()
        .filter(|(at, l)| *at < ready && l.starts_with("EXTEND_TIMEOUT_USEC="))
        .count();
    assert!(extends_before_ready >= 3, "start progress: {lines:?}");
    assert!(
        lines
            .iter()
            .any(|(_, l)| l == "EXTEND_TIMEOUT_USEC=1000000"),
        "hint is 5 x progress: {lines:?}"
    );
    assert!(
        listener.first("STATUS=warming caches").is_some(),
        "{lines:?}"
    );

    signal(&child, libc::SIGTERM);
    let stopping = listener.wait_for("STOPPING=1");
    assert_eq!(wait_exit(&mut child).code(), Some(0));
    let extends_while_stopping = listener
        .lines()
        .iter()
        .filter(|(at, l)| *at >= stopping && l.starts_with("EXTEND_TIMEOUT_USEC="))
        .count();
    assert!(
        extends_while_stopping >= 3,
        "stop progress: {:?}",
        listener.lines()
    );
}

#[test]
fn sd_notify_works_on_an_abstract_socket() {
    let listener = NotifyListener::bind_abstract(TempDir::new());
    let mut child = spawn(&[], Some(&listener), &[]);
    listener.wait_for("READY=1");
    signal(&child, libc::SIGTERM);
    listener.wait_for("STOPPING=1");
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}

#[test]
fn watchdog_pings_at_half_the_period_while_the_heartbeat_is_fresh() {
    let listener = NotifyListener::bind_path(TempDir::new());
    // 400 ms period: pings every 200 ms; heartbeats for 1.5 s, then the main loop "hangs".
    let spawned = Instant::now();
    let mut child = spawn(
        &["--heartbeat-for", "1500ms"],
        Some(&listener),
        &[("WATCHDOG_USEC", "400000".into())],
    );
    listener.wait_for("READY=1");
    // Wait well past the last heartbeat plus one period.
    wait_until(|| (spawned.elapsed() > Duration::from_millis(3000)).then_some(())).unwrap();
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child).code(), Some(0));

    let pings: Vec<Duration> = listener
        .lines()
        .iter()
        .filter(|(_, l)| l == "WATCHDOG=1")
        .map(|(at, _)| *at - spawned)
        .collect();
    let while_fresh = pings
        .iter()
        .filter(|t| **t < Duration::from_millis(1500))
        .count();
    assert!(
        (4..=9).contains(&while_fresh),
        "about one ping per 200 ms while fresh: {pings:?}"
    );
    // Heartbeats end at ~1.5 s; the last fresh ping can come up to one period later.
    let late = pings
        .iter()
        .filter(|t| **t > Duration::from_millis(2400))
        .count();
    assert_eq!(late, 0, "no pings once the heartbeat is stale: {pings:?}");
}

#[test]
fn watchdog_pid_of_another_process_disables_pings() {
    let listener = NotifyListener::bind_path(TempDir::new());
    let mut child = spawn(
        &[],
        Some(&listener),
        &[
            ("WATCHDOG_USEC", "100000".into()),
            ("WATCHDOG_PID", "1".into()),
        ],
    );
    listener.wait_for("READY=1");
    thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGTERM);
    wait_exit(&mut child);
    assert!(
        listener.first("WATCHDOG=1").is_none(),
        "{:?}",
        listener.lines()
    );
}

#[test]
fn grace_period_expiry_exits_with_the_documented_code() {
    let dir = TempDir::new();
    let events_file = dir.0.join("events");
    let mut child = spawn(
        &[
            "--ignore-stop",
            "--grace",
            "500ms",
            "--events",
            events_file.to_str().unwrap(),
        ],
        None,
        &[],
    );
    wait_event(&events_file, "ready");
    let stop_sent = Instant::now();
    signal(&child, libc::SIGTERM);
    let status = wait_exit(&mut child);
    assert_eq!(
        status.code(),
        Some(steward::exit_code::GRACE_EXPIRED as i32)
    );
    assert!(
        stop_sent.elapsed() >= Duration::from_millis(500),
        "not before the grace period"
    );
}

#[test]
fn failing_and_panicking_code_exit_with_their_codes() {
    let mut fail = spawn(&["--fail", "7"], None, &[]);
    assert_eq!(wait_exit(&mut fail).code(), Some(7));
    let mut fail_at_start = spawn(&["--init", "200ms", "--fail-at-start", "9"], None, &[]);
    assert_eq!(wait_exit(&mut fail_at_start).code(), Some(9));
    let mut panic = spawn(&["--panic"], None, &[]);
    assert_eq!(
        wait_exit(&mut panic).code(),
        Some(steward::exit_code::PANICKED as i32)
    );
}
