//! `[health]` and `[admin]` end to end on Linux with the `steward` binary: the readiness gate
//! holds `READY=1` until the program serves, a program that stops answering its HTTP check and
//! one that stops pinging its watchdog are restarted with the reason recorded, and the admin
//! endpoint started by `steward run` answers `/status`, which `steward status --json` shows.
//!
//! The wrapped programs are `python3 -m http.server` and a small Python sd_notify client; the
//! service manager for `steward status` is the bench's systemd user manager (needs root).
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `steward run --config CONFIG` with its state in `state_dir` and, if given, `NOTIFY_SOCKET`.
fn run(config: &Path, state_dir: &Path, notify: Option<&Path>) -> Killed {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    command
        .args(["run", "--config"])
        .arg(config)
        .env("STEWARD_STATE_DIR", state_dir)
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = notify {
        command.env("NOTIFY_SOCKET", path);
    }
    Killed(command.spawn().unwrap())
}

/// Stops `steward run` gracefully when dropped (even when a test fails).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn state(state_dir: &Path, name: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(state_dir.join(name).join("state.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn http_server(port: u16, delay: &str) -> String {
    sh_program(&format!(
        "{delay}exec python3 -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1"
    ))
}

fn setup(test: &str) -> (PathBuf, PathBuf, String) {
    let dir = bench().temp_dir(test).unwrap();
    let state_dir = dir.join("state");
    (dir, state_dir, bench().unique_name(test))
}

#[test]
fn readiness_holds_ready_until_the_program_serves_and_admin_reports_it() {
    let (dir, state_dir, name) = setup("health-ready");
    let (port, admin) = (free_port(), free_port());
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[health]\nhttp = \"http://127.0.0.1:{port}/\"\n\
             interval = \"200ms\"\ntimeout = \"1s\"\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n",
            http_server(port, "sleep 3; ")
        ),
    );
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let started = Instant::now();
    let _run = run(&config, &state_dir, Some(&socket_path));
    let mut extended = 0;
    let ready_at = wait_for("READY=1", || {
        let mut buf = [0u8; 4096];
        let Ok(n) = socket.recv(&mut buf) else {
            return (None, format!("{extended} EXTEND_TIMEOUT_USEC so far"));
        };
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        extended += usize::from(text.contains("EXTEND_TIMEOUT_USEC="));
        (text.contains("READY=1").then(|| started.elapsed()), text)
    });
    assert!(
        ready_at >= Duration::from_secs(3),
        "READY=1 came {ready_at:?} after the start, before the program served"
    );
    assert!(extended >= 1, "no EXTEND_TIMEOUT_USEC while starting");

    let addr = format!("127.0.0.1:{admin}").parse().unwrap();
    let status = steward_admin::fetch_status(addr, None).unwrap();
    assert_eq!(status["state"], "running", "{status}");
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["health"]["checks"][0]["name"], "http", "{status}");
    assert_eq!(status["health"]["checks"][0]["ok"], true, "{status}");

    let text = ok(steward()
        .env("STEWARD_STATE_DIR", &state_dir)
        .args(["status", &name, "--json", "--config"])
        .arg(&config));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["admin"]["state"], "running", "{json}");
    assert_eq!(json["admin"]["pid"], json["supervisor"]["pid"], "{json}");
}

#[test]
fn a_program_that_stops_answering_its_check_is_restarted() {
    let (dir, state_dir, name) = setup("health-hang");
    let (port, admin) = (free_port(), free_port());
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[restart]\ndelay = \"100ms\"\njitter = 0.0\n\
             [health]\nhttp = \"http://127.0.0.1:{port}/\"\ninterval = \"200ms\"\ntimeout = \"500ms\"\n\
             failure_threshold = 2\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n",
            http_server(port, "")
        ),
    );
    let _run = run(&config, &state_dir, None);
    let addr = format!("127.0.0.1:{admin}").parse().unwrap();
    let pid = wait_for("the program to be ready", || {
        let status = steward_admin::fetch_status(addr, None).ok();
        let ready = status.as_ref().filter(|s| s["ready"] == true);
        (ready.and_then(|s| s["pid"].as_u64()), format!("{status:?}"))
    });
    let stop = Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    let record = wait_for("a restart for the failed check", || {
        let s = state(&state_dir, &name);
        let restarted = s
            .as_ref()
            .is_some_and(|s| s["restarts"].as_u64() >= Some(1));
        (s.clone().filter(|_| restarted), format!("{s:?}"))
    });
    let reason = record["last_restart_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("health check") || reason.contains("http"),
        "{record}"
    );
    assert_ne!(record["pid"].as_u64(), Some(pid), "{record}");
}

const PINGER: &str = r#"
import os, socket, sys, time
addr = os.environ["NOTIFY_SOCKET"]
if os.environ.get("WATCHDOG_USEC") != "500000":
    sys.exit(3)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", addr)
for _ in range(5):
    s.sendto(b"WATCHDOG=1", addr)
    time.sleep(0.1)
time.sleep(3600)
"#;

#[test]
fn a_program_that_stops_pinging_its_watchdog_is_restarted() {
    let (dir, state_dir, name) = setup("health-watchdog");
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n[program]\ncommand = \"python3\"\nargs = [\"-c\", {}]\n\
             [restart]\ndelay = \"100ms\"\njitter = 0.0\n\
             [health]\nnotify = true\nnotify_ready = true\nwatchdog = \"500ms\"\n",
            toml_string(PINGER)
        ),
    );
    let _run = run(&config, &state_dir, None);
    let record = wait_for("a restart for the missed watchdog", || {
        let s = state(&state_dir, &name);
        let restarted = s
            .as_ref()
            .is_some_and(|s| s["restarts"].as_u64() >= Some(1));
        (s.clone().filter(|_| restarted), format!("{s:?}"))
    });
    assert_eq!(record["last_restart_reason"], "watchdog missed", "{record}");
    assert_ne!(
        record["last_exit_code"], 3,
        "the program lacked WATCHDOG_USEC: {record}"
    );
}

/// `POST path` with a bearer token; the status code.
fn post(port: u16, path: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"))
}

#[test]
fn admin_control_restarts_stops_and_starts_the_program() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, state_dir, name) = setup("admin-control");
    let admin = free_port();
    let token = "control-token-0123456789abcdef";
    let tokens = dir.join("admin.tokens");
    std::fs::write(&tokens, format!("control:{token}\n")).unwrap();
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[restart]\ndelay = \"100ms\"\njitter = 0.0\n\
             [admin]\nlisten = \"127.0.0.1:{admin}\"\ntokens_file = \"admin.tokens\"\n",
            sh_program("exec sleep 3600")
        ),
    );
    let _run = run(&config, &state_dir, None);
    let addr = format!("127.0.0.1:{admin}").parse().unwrap();
    let status = |what: &str, want: &str| {
        wait_for(what, || {
            let s = steward_admin::fetch_status(addr, Some(token)).ok();
            let found = s.as_ref().filter(|s| s["state"] == want).cloned();
            (found, format!("{s:?}"))
        })
    };
    let first = status("running", "running")["pid"].clone();
    assert_eq!(post(admin, "/start", token), 409);
    assert_eq!(post(admin, "/restart", token), 202);
    let record = wait_for("the restart", || {
        let s = state(&state_dir, &name);
        let done = s
            .as_ref()
            .is_some_and(|s| s["restarts"] == 1 && s["state"] == "running");
        (s.clone().filter(|_| done), format!("{s:?}"))
    });
    assert_eq!(
        record["last_restart_reason"],
        "restart requested over the admin endpoint"
    );
    assert_ne!(record["pid"], first, "{record}");
    assert_eq!(post(admin, "/stop", token), 202);
    let stopped = status("stopped", "stopped");
    assert!(stopped["pid"].is_null(), "{stopped}");
    assert_eq!(post(admin, "/stop", token), 409);
    assert_eq!(post(admin, "/start", token), 202);
    let again = status("running again", "running");
    assert!(again["pid"].as_u64().is_some(), "{again}");
}
