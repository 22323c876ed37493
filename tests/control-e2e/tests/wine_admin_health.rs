//! The admin endpoint, liveness restarts and the named-pipe watchdog of a wrapped program, with
//! steward.exe installed in Wine's service manager (`steward install --config`, `start --wait`)
//! wrapping `fixture-child.exe`:
//!
//! - `[admin]` with a tokens file: from this (Linux) process — Wine programs share the host's
//!   loopback — `GET /status` needs a token (`401` without), shows `running` and the child's
//!   PID (the one `steward status --json` shows too); `POST /restart` with a `read` token is
//!   `403`, with a `control` token it kills the child, which the supervisor starts again: a new
//!   PID, `restarts` 1, the service itself RUNNING throughout (same service PID), and
//!   `last_restart_reason` recorded.
//! - `[health]` HTTP liveness: the child serves `/` but answers only a few requests, then hangs
//!   (`--answers`); the supervisor restarts it (a new PID in the fixture's `--record` file,
//!   the hung run gone, the service RUNNING throughout) and `steward status --json` names the
//!   check in `last_restart_reason`; the next run binds the port again, gets ready and is
//!   restarted in turn. (That the service stays START_PENDING until the check passes is
//!   `steward-supervise`'s `wine_health.rs`.)
//! - `[health] notify = true`, `notify_ready = true`, `watchdog`: the child gets
//!   `NOTIFY_SOCKET` = `\\.\pipe\steward-<name>-notify` and `WATCHDOG_USEC`, opens the pipe
//!   as a file and sends `READY=1` (the service reaches RUNNING only then) and a few
//!   `WATCHDOG=1`, then stops pinging but keeps running: it is restarted with
//!   `watchdog missed`, and so is the next run (the pipe serves again after its client was
//!   killed); no message is lost (the fixture retries a busy pipe, as the docs ask).
//!
//! Each test has its own service and directory, and uninstalls its service at the end (a guard
//! does it when a test fails). Waits poll with a deadline; no assertion depends on timing.
#![cfg(target_os = "linux")]

mod common;

use common::{
    DEADLINE, Installed, eventually, free_port, http, pid_alive, place, read, status_json, steward,
    write,
};
use serde_json::Value;
use steward_wine_bench::{BenchError, io_error};

/// The parent of every test's directory (with spaces, like a real install).
const ROOT: &str = r"C:\Program Files\Steward Admin Health";
/// The tokens of the admin test.
const READ: &str = "read-token-0123456789abcdef";
const CONTROL: &str = "control-token-fedcba9876543210";

/// steward.exe and fixture-child.exe placed in `dir`: their Windows paths.
fn binaries(dir: &str) -> Result<(String, String), BenchError> {
    let exe = place(dir, "steward-cli", "steward", "steward.exe")?;
    let fixture = place(dir, "fixture-child", "fixture-child", "fixture-child.exe")?;
    Ok((exe, fixture))
}

/// A fresh, empty `dir` in the prefix (a previous run's record and logs removed).
fn fresh_dir(dir: &str) -> Result<(), BenchError> {
    let unix = bench_dir(dir)?;
    let _ = std::fs::remove_dir_all(&unix);
    std::fs::create_dir_all(&unix).map_err(io_error(format!("mkdir {}", unix.display())))
}

fn bench_dir(dir: &str) -> Result<std::path::PathBuf, BenchError> {
    common::bench().to_unix(dir)
}

/// `GET /status` with the read token, parsed (the status must be 200).
fn admin_status(port: u16) -> Result<Value, BenchError> {
    let answer = http(port, "GET", "/status", Some(READ)).map_err(io_error("GET /status"))?;
    assert_eq!(answer.status, 200, "{answer:?}");
    Ok(answer.json())
}

/// The PIDs in the fixture's `--record` file, one per run, oldest first.
fn recorded_pids(record: &str) -> Result<Vec<u64>, BenchError> {
    let text = read(record)?.unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|line| line.split(' ').next()?.parse().ok())
        .collect())
}

/// Waits until the supervisor of service `name` restarted its program `restarts` times: the
/// record file holds that many runs more than one, and the state file (through `steward status
/// --json`) counts them and gives the last one's reason. Returns the status and the recorded
/// PIDs.
fn wait_for_restarts(
    exe: &str,
    name: &str,
    record: &str,
    restarts: u64,
) -> Result<(Value, Vec<u64>), BenchError> {
    let (mut json, mut pids) = (Value::Null, Vec::new());
    let restarted = eventually(2 * DEADLINE, || {
        pids = recorded_pids(record)?;
        if (pids.len() as u64) <= restarts {
            return Ok(false);
        }
        json = status_json(exe, name)?;
        let supervisor = &json["supervisor"];
        Ok(supervisor["restarts"].as_u64() >= Some(restarts)
            && supervisor["last_restart_reason"].is_string())
    })?;
    assert!(
        restarted,
        "not {restarts} restarts: runs {pids:?}, status {json}"
    );
    Ok((json, pids))
}

/// Waits for restart number `restarts` recorded with a reason `reason_ok` accepts, then checks
/// that it started a new process and that the run before it is gone. Returns the status.
fn restarted_for(
    exe: &str,
    fixture: &str,
    name: &str,
    record: &str,
    restarts: u64,
    reason_ok: impl Fn(&str) -> bool,
) -> Result<Value, BenchError> {
    let (json, pids) = wait_for_restarts(exe, name, record, restarts)?;
    println!("runs {pids:?}; status: {json}");
    let reason = json["supervisor"]["last_restart_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason_ok(reason), "unexpected restart reason: {json}");
    let (old, new) = (restarts as usize - 1, restarts as usize);
    assert_ne!(
        pids[old], pids[new],
        "the restart did not start a new process"
    );
    assert!(
        eventually(DEADLINE, || Ok(!pid_alive(fixture, pids[old])?))?,
        "run {} survived its restart",
        pids[old]
    );
    Ok(json)
}

/// Stops the service, checks every run of the program is gone (`pids`, plus those of the record
/// file, read after the stop), and uninstalls it.
fn stop_and_uninstall(
    exe: &str,
    fixture: &str,
    name: &str,
    pids: &[u64],
    record: Option<&str>,
) -> Result<(), BenchError> {
    let line = steward(exe, &["stop", name, "--wait"])?;
    assert!(line.contains("stopped"), "{line}");
    let mut pids = pids.to_vec();
    if let Some(record) = record {
        pids.extend(recorded_pids(record)?);
    }
    for pid in pids {
        assert!(
            eventually(DEADLINE, || Ok(!pid_alive(fixture, pid)?))?,
            "run {pid} survived the stop"
        );
    }
    steward(exe, &["uninstall", name])?;
    Ok(())
}

/// Prints the program's captured output (for the record; the logs sit beside the config).
fn print_logs(dir: &str, name: &str) -> Result<(), BenchError> {
    for stream in ["stdout", "stderr"] {
        let text = read(&format!(r"{dir}\logs\{name}.{stream}.log"))?.unwrap_or_default();
        println!("{name} {stream}:\n{text}");
    }
    Ok(())
}

#[test]
fn the_admin_endpoint_reports_and_restarts_the_program_under_wine() -> Result<(), BenchError> {
    let name = "adm-e2e-admin";
    let dir = &format!(r"{ROOT}\admin");
    fresh_dir(dir)?;
    let (exe, fixture) = binaries(dir)?;
    let port = free_port();
    write(
        &format!(r"{dir}\admin.tokens"),
        &format!("# role:token\nread:{READ}\ncontrol:{CONTROL}\n"),
    )?;
    let config = format!(r"{dir}\steward.toml");
    write(
        &config,
        &format!(
            "[service]\nname = \"{name}\"\n\
             [program]\ncommand = '{fixture}'\nargs = [\"--hang\"]\nstop_timeout = \"10s\"\n\
             [restart]\ndelay = \"100ms\"\njitter = 0.0\n\
             [admin]\nlisten = \"127.0.0.1:{port}\"\ntokens_file = \"admin.tokens\"\n"
        ),
    )?;
    steward(&exe, &["install", "--config", &config])?;
    let _guard = Installed::new(&exe, name);
    let line = steward(&exe, &["start", name, "--wait"])?;
    assert!(line.contains("running"), "{line}");
    let service_pid = status_json(&exe, name)?["pid"].as_u64();
    assert!(service_pid.is_some(), "no service pid");

    // No token: 401 with the Bearer challenge.
    let mut anonymous = None;
    eventually(DEADLINE, || {
        anonymous = http(port, "GET", "/status", None).ok();
        Ok(anonymous.is_some())
    })?;
    let anonymous = anonymous.unwrap_or_else(|| panic!("nothing answers on 127.0.0.1:{port}"));
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some(r#"Bearer realm="steward""#),
        "{anonymous:?}"
    );

    // The probes are open.
    for path in ["/healthz", "/readyz"] {
        let open = http(port, "GET", path, None).map_err(io_error(format!("GET {path}")))?;
        assert_eq!(open.status, 200, "{path}: {open:?}");
    }

    // The read token: running, with the child's PID.
    let mut status = Value::Null;
    let running = eventually(DEADLINE, || {
        status = admin_status(port)?;
        Ok(status["state"] == "running" && status["pid"].is_u64())
    })?;
    assert!(running, "{status}");
    println!("GET /status: {status}");
    assert_eq!(status["name"], name, "{status}");
    assert_eq!(status["restarts"], 0, "{status}");
    assert_eq!(status["live"], true, "{status}");
    assert_eq!(status["ready"], true, "{status}");
    let child = status["pid"].as_u64().unwrap_or_default();
    assert!(pid_alive(&fixture, child)?, "child {child} runs");
    // `steward status` agrees: the state file, and the endpoint it asks with the tokens file.
    let mut json = Value::Null;
    let agrees = eventually(DEADLINE, || {
        json = status_json(&exe, name)?;
        Ok(json["supervisor"]["pid"].as_u64() == Some(child))
    })?;
    assert!(agrees, "state file's pid is not {child}: {json}");
    assert_eq!(json["admin"]["pid"].as_u64(), Some(child), "{json}");
    assert_eq!(json["admin"]["state"], "running", "{json}");

    // Control actions: no token 401, a read token 403, and nothing happens.
    let anonymous = http(port, "POST", "/restart", None).map_err(io_error("POST /restart"))?;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    let denied = http(port, "POST", "/restart", Some(READ)).map_err(io_error("POST /restart"))?;
    assert_eq!(denied.status, 403, "{denied:?}");
    assert!(denied.json()["error"].is_string(), "{denied:?}");
    let status = admin_status(port)?;
    assert_eq!(status["pid"].as_u64(), Some(child), "{status}");
    assert_eq!(status["restarts"], 0, "{status}");

    // The control token restarts the program: a new PID, one restart, the old child gone.
    let accepted =
        http(port, "POST", "/restart", Some(CONTROL)).map_err(io_error("POST /restart"))?;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    assert_eq!(
        accepted.json(),
        serde_json::json!({"accepted": "restart"}),
        "{accepted:?}"
    );
    let mut status = Value::Null;
    let restarted = eventually(DEADLINE, || {
        status = admin_status(port)?;
        Ok(status["state"] == "running" && status["pid"].as_u64().is_some_and(|pid| pid != child))
    })?;
    assert!(restarted, "no new child after the restart: {status}");
    println!("GET /status after POST /restart: {status}");
    assert_eq!(status["restarts"], 1, "{status}");
    let new_child = status["pid"].as_u64().unwrap_or_default();
    assert!(
        pid_alive(&fixture, new_child)?,
        "new child {new_child} runs"
    );
    assert!(
        eventually(DEADLINE, || Ok(!pid_alive(&fixture, child)?))?,
        "old child {child} survived the restart"
    );
    // The service itself never stopped, and the reason is recorded.
    let mut json = Value::Null;
    let recorded = eventually(DEADLINE, || {
        json = status_json(&exe, name)?;
        Ok(json["supervisor"]["pid"].as_u64() == Some(new_child))
    })?;
    assert!(recorded, "state file's pid is not {new_child}: {json}");
    assert_eq!(json["state"], "running", "{json}");
    assert_eq!(json["pid"].as_u64(), service_pid, "{json}");
    assert_eq!(json["supervisor"]["restarts"], 1, "{json}");
    assert_eq!(
        json["supervisor"]["last_restart_reason"], "restart requested over the admin endpoint",
        "{json}"
    );

    stop_and_uninstall(&exe, &fixture, name, &[child, new_child], None)
}

#[test]
fn a_program_that_stops_answering_its_http_check_is_restarted_under_wine() -> Result<(), BenchError>
{
    let name = "adm-e2e-liveness";
    let dir = &format!(r"{ROOT}\liveness");
    fresh_dir(dir)?;
    let (exe, fixture) = binaries(dir)?;
    let port = free_port();
    let record = format!(r"{dir}\runs.txt");
    let config = format!(r"{dir}\steward.toml");
    write(
        &config,
        &format!(
            "[service]\nname = \"{name}\"\n\
             [program]\ncommand = '{fixture}'\nstop_timeout = \"10s\"\n\
             args = ['--record', '{record}', '--answers', '5', '--http', '{port}', '--hang']\n\
             [restart]\ndelay = \"100ms\"\nmultiplier = 1.0\njitter = 0.0\n\
             start_limit = {{ burst = 100, interval = \"60s\" }}\n\
             [health]\nhttp = \"http://127.0.0.1:{port}/\"\ninterval = \"200ms\"\n\
             timeout = \"1s\"\nfailure_threshold = 2\n"
        ),
    )?;
    steward(&exe, &["install", "--config", &config])?;
    let _guard = Installed::new(&exe, name);
    let line = steward(&exe, &["start", name, "--wait"])?;
    assert!(line.contains("running"), "{line}");
    let service_pid = status_json(&exe, name)?["pid"].as_u64();
    assert!(service_pid.is_some(), "no service pid");

    // The first run answered the readiness probes, then hung: killed, started again.
    let http_failed = |reason: &str| reason.starts_with(r#"health check "http" failed: "#);
    restarted_for(&exe, &fixture, name, &record, 1, http_failed)?;
    // The second run bound the port again, became ready (a liveness failure kills only a run
    // that was ready) and hung in turn: restarted for the same reason, not for `not ready`.
    let json = restarted_for(&exe, &fixture, name, &record, 2, http_failed)?;
    // The service stayed RUNNING: same process, the program restarted inside it.
    assert_eq!(json["state"], "running", "{json}");
    assert_eq!(json["pid"].as_u64(), service_pid, "{json}");

    print_logs(dir, name)?;
    stop_and_uninstall(&exe, &fixture, name, &[], Some(&record))
}

#[test]
fn a_program_that_stops_pinging_the_pipe_watchdog_is_restarted_under_wine() -> Result<(), BenchError>
{
    let name = "adm-e2e-watchdog";
    let dir = &format!(r"{ROOT}\watchdog");
    fresh_dir(dir)?;
    let (exe, fixture) = binaries(dir)?;
    let record = format!(r"{dir}\runs.txt");
    let config = format!(r"{dir}\steward.toml");
    write(
        &config,
        &format!(
            "[service]\nname = \"{name}\"\n\
             [program]\ncommand = '{fixture}'\nstop_timeout = \"10s\"\n\
             args = ['--record', '{record}', '--print-env', 'NOTIFY_SOCKET', \
             '--print-env', 'WATCHDOG_USEC', '--notify-pings', '5', '--hang']\n\
             [restart]\ndelay = \"100ms\"\nmultiplier = 1.0\njitter = 0.0\n\
             start_limit = {{ burst = 100, interval = \"60s\" }}\n\
             [health]\nnotify = true\nnotify_ready = true\nwatchdog = \"1s\"\n"
        ),
    )?;
    steward(&exe, &["install", "--config", &config])?;
    let _guard = Installed::new(&exe, name);
    // With notify_ready and no checks, RUNNING means READY=1 came through the pipe.
    let line = steward(&exe, &["start", name, "--wait"])?;
    assert!(line.contains("running"), "{line}");
    let service_pid = status_json(&exe, name)?["pid"].as_u64();
    assert!(service_pid.is_some(), "no service pid");

    let watchdog = |reason: &str| reason == "watchdog missed";
    restarted_for(&exe, &fixture, name, &record, 1, watchdog)?;
    // The pipe serves the next run too (its first client was killed): READY=1, pings, silence,
    // restarted again for the same reason.
    let json = restarted_for(&exe, &fixture, name, &record, 2, watchdog)?;
    assert_eq!(json["state"], "running", "{json}");
    assert_eq!(json["pid"].as_u64(), service_pid, "{json}");

    // What the program was given (it printed it on stdout, captured to the log).
    let stdout_log = format!(r"{dir}\logs\{name}.stdout.log");
    let pipe = format!(r"NOTIFY_SOCKET=\\.\pipe\steward-{name}-notify");
    let mut text = String::new();
    let printed = eventually(DEADLINE, || {
        text = read(&stdout_log)?.unwrap_or_default();
        Ok(text.contains(&pipe) && text.contains("WATCHDOG_USEC=1000000"))
    })?;
    assert!(
        printed,
        "{stdout_log} lacks {pipe:?} or WATCHDOG_USEC:\n{text}"
    );

    print_logs(dir, name)?;
    // Every message got through: the fixture reports each failed open or write on stderr.
    let stderr_log = format!(r"{dir}\logs\{name}.stderr.log");
    let errors = read(&stderr_log)?.unwrap_or_default();
    assert!(
        !errors.contains("fixture-child: notify"),
        "notify messages were lost:\n{errors}"
    );
    stop_and_uninstall(&exe, &fixture, name, &[], Some(&record))
}
