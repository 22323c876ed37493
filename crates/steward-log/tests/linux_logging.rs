//! Linux destinations against sockets the tests bind:
//!
//! - `SyslogLayer` against a unix datagram socket: one RFC 3164 message per event, the right
//!   PRI for each level (facility daemon) and the service name as tag.
//! - `init` choosing journald: the probe runs in a private mount namespace where
//!   `/run/systemd` is a directory holding the test's `journal/socket`, so the real
//!   tracing-journald layer (whose socket path is fixed) sends its native-protocol records to
//!   the test, which decodes them.
//! - `init` choosing syslog when journald's socket does not exist (same namespace trick, with
//!   an empty `/run/systemd`) and the syslog socket is the test's.
//!
//! The namespace tests need root and `unshare` (util-linux), as the systemd tests do.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tracing_subscriber::layer::SubscriberExt;

const DEADLINE: Duration = Duration::from_secs(10);

/// A datagram socket bound at `path`, reads time out after the deadline.
fn listen(path: &Path) -> UnixDatagram {
    let socket =
        UnixDatagram::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket
}

/// Reads `n` datagrams; panics with what arrived if they do not come before the deadline.
fn receive(socket: &UnixDatagram, n: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} datagrams: {got:?}",
            got.len()
        );
        match socket.recv(&mut buf) {
            Ok(len) => got.push(buf[..len].to_vec()),
            Err(e) => panic!("after {} datagrams: {e}", got.len()),
        }
    }
    got
}

#[test]
fn syslog_messages_carry_the_level_priority_and_the_service_tag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let socket = listen(&path);
    let layer = steward_log::SyslogLayer::new("steward-syslog-test", &path).unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::error!(event_id = 1002, "it failed");
        tracing::warn!(disk = "full", "degraded");
        tracing::info!("running");
        tracing::debug!("details");
    });
    let got: Vec<String> = receive(&socket, 4)
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    let pid = std::process::id();
    let expect = [
        ("<27>", "it failed event_id=1002"),
        ("<28>", r#"degraded disk="full""#),
        ("<30>", "running"),
        ("<31>", "details"),
    ];
    for (line, (pri, text)) in got.iter().zip(expect) {
        assert!(line.starts_with(pri), "{line:?} starts with {pri}");
        let tag = format!(" steward-syslog-test[{pid}]: ");
        assert!(line.contains(&tag), "{line:?} has tag {tag:?}");
        assert!(line.ends_with(text), "{line:?} ends with {text:?}");
    }
}

/// Runs the probe's `emit` in a private mount namespace where `/run/systemd` is `run_systemd`.
fn emit_in_namespace(run_systemd: &Path, args: &[&str]) -> std::process::Output {
    emit_in_namespace_with(run_systemd, args, |_| {})
}

/// As [`emit_in_namespace`], letting the test adjust the command first (stderr, environment).
fn emit_in_namespace_with(
    run_systemd: &Path,
    args: &[&str],
    adjust: impl FnOnce(&mut Command),
) -> std::process::Output {
    let mut command = Command::new("unshare");
    command
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$1" /run/systemd && shift && exec "$@""#)
        .arg("sh")
        .arg(run_systemd)
        .arg(env!("CARGO_BIN_EXE_steward-log-probe"))
        .arg("emit")
        .args(args);
    adjust(&mut command);
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run unshare (util-linux, as root): {e}"));
    assert!(
        out.status.success(),
        "probe in a namespace: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Decodes one journald native-protocol datagram: `KEY=value\n`, or `KEY\n` + 64-bit LE
/// length + value + `\n` for values with newlines or binary data.
fn decode_journal_record(mut d: &[u8]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    while !d.is_empty() {
        let end = d
            .iter()
            .position(|b| *b == b'\n')
            .expect("newline-terminated field");
        let head = &d[..end];
        if let Some(eq) = head.iter().position(|b| *b == b'=') {
            let key = String::from_utf8_lossy(&head[..eq]).into_owned();
            fields.insert(key, String::from_utf8_lossy(&head[eq + 1..]).into_owned());
            d = &d[end + 1..];
        } else {
            let key = String::from_utf8_lossy(head).into_owned();
            let len = u64::from_le_bytes(d[end + 1..end + 9].try_into().unwrap()) as usize;
            let value = &d[end + 9..end + 9 + len];
            fields.insert(key, String::from_utf8_lossy(value).into_owned());
            d = &d[end + 9 + len + 1..];
        }
    }
    fields
}

#[test]
fn init_sends_structured_records_to_journald_when_its_socket_exists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("journal")).unwrap();
    let socket = listen(&dir.path().join("journal/socket"));
    let out = emit_in_namespace(dir.path(), &["steward-journald-test"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "destinations: journald, stderr",
        "stderr is a pipe here, not the journal: it keeps its copy"
    );
    // tracing-journald checks the socket with one empty datagram when it is created.
    let ping = receive(&socket, 1);
    assert_eq!(ping, [Vec::<u8>::new()]);
    let records: Vec<_> = receive(&socket, 4)
        .iter()
        .map(|d| decode_journal_record(d))
        .collect();
    let expect = [
        ("3", "probe error event", Some("1002")),
        ("4", "probe warning event", Some("1200")),
        ("6", "probe info event", Some("1000")),
        ("6", "probe generic info", None),
    ];
    for (record, (priority, message, event_id)) in records.iter().zip(expect) {
        let field = |k: &str| record.get(k).map(String::as_str);
        assert_eq!(field("PRIORITY"), Some(priority), "{record:?}");
        assert_eq!(field("MESSAGE"), Some(message), "{record:?}");
        assert_eq!(field("F_EVENT_ID"), event_id, "{record:?}");
        assert_eq!(
            field("SYSLOG_IDENTIFIER"),
            Some("steward-journald-test"),
            "{record:?}"
        );
    }
    assert_eq!(records[0].get("F_CODE").map(String::as_str), Some("7"));
    // The debug event is filtered out: nothing more arrives.
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(socket.recv(&mut [0u8; 16]).is_err(), "no fifth record");
}

#[test]
fn init_falls_back_to_syslog_when_journald_is_absent() {
    let run_systemd = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let socket = listen(&path);
    let out = emit_in_namespace(
        run_systemd.path(),
        &["steward-fallback-test", path.to_str().unwrap()],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "destinations: syslog, stderr"
    );
    let got: Vec<String> = receive(&socket, 4)
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    for (line, pri) in got.iter().zip(["<27>", "<28>", "<30>", "<30>"]) {
        assert!(line.starts_with(pri), "{line:?} starts with {pri}");
        assert!(line.contains(" steward-fallback-test["), "{line:?}");
    }
    assert!(
        got[0].ends_with("probe error event code=7 event_id=1002"),
        "{got:?}"
    );
}

#[test]
fn init_writes_to_stderr_when_neither_journald_nor_syslog_exists() {
    let run_systemd = tempfile::tempdir().unwrap();
    let out = emit_in_namespace(
        run_systemd.path(),
        &["steward-stderr-test", "/nonexistent/steward-log"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "destinations: stderr"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ERROR") && stderr.contains("probe error event"),
        "{stderr}"
    );
    assert!(!stderr.contains("probe debug event"), "{stderr}");
}

#[test]
fn init_writes_no_stderr_copy_when_stderr_is_the_journal_stream() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("journal")).unwrap();
    let _socket = listen(&dir.path().join("journal/socket"));
    // Stand-in for systemd's journal stream: stderr goes to a file whose device and inode
    // JOURNAL_STREAM names, exactly as systemd sets it for StandardError=journal.
    let stream_path = dir.path().join("stream");
    let stream = std::fs::File::create(&stream_path).unwrap();
    let meta = stream.metadata().unwrap();
    let out = emit_in_namespace_with(dir.path(), &["steward-stream-test"], |command| {
        command
            .stderr(stream)
            .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()));
    });
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "destinations: journald"
    );
}
