//! `steward registry list|watch` against a real etcd on loopback (the harness of
//! steward-registry's tests: `apt-get install -y etcd-server etcd-client`).

#![cfg(unix)]

#[path = "../../steward-registry/tests/common/etcd.rs"]
mod etcd;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use etcd::Etcd;
use steward_registry::{Health, InstanceInfo, Registration, RegistryConfig};

const TTL: Duration = Duration::from_secs(3);
const WAIT: Duration = Duration::from_secs(30);

fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    command.stdin(Stdio::null());
    command
}

fn instance(service: &str, id: &str) -> InstanceInfo {
    let mut info = InstanceInfo::new(service);
    info.instance_id = id.into();
    info.address = "10.0.0.5:8080".into();
    info.version = "1.2.3".into();
    info
}

fn register(config: &RegistryConfig, service: &str, id: &str) -> Registration {
    let registration = Registration::start(config.clone(), instance(service, id)).unwrap();
    assert!(
        registration.wait_registered(WAIT),
        "{service}/{id} not registered: {:?}",
        registration.status()
    );
    registration
}

/// `steward ARGS` in `dir`, to completion.
fn run(dir: &Path, args: &[&str]) -> Output {
    steward()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run steward")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "steward failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A config with a `[registry]` table for `etcd`, written into `dir`.
fn config_file(dir: &Path, registry: &RegistryConfig, extra: &str) -> PathBuf {
    let mut text = format!(
        "[service]\nname = \"web\"\n\n[registry]\nendpoints = [{:?}]\n",
        registry.endpoints[0]
    );
    if let Some(tls) = &registry.tls {
        for (key, path) in [
            ("tls_ca", &tls.ca),
            ("tls_cert", &tls.cert),
            ("tls_key", &tls.key),
        ] {
            if let Some(path) = path {
                text.push_str(&format!("{key} = {:?}\n", path.display().to_string()));
            }
        }
    }
    text.push_str(extra);
    let path = dir.join("steward.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A running `steward registry watch`, its stdout and stderr read line by line.
struct Watch {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    seen_out: Vec<String>,
    seen_err: Vec<String>,
}

fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Watch {
    /// Starts `steward registry watch ARGS` in `dir` and waits until it watches.
    fn start(dir: &Path, args: &[&str]) -> Watch {
        let mut child = steward()
            .current_dir(dir)
            .args(["registry", "watch"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start steward registry watch");
        let out = lines(child.stdout.take().unwrap());
        let err = lines(child.stderr.take().unwrap());
        let mut watch = Watch {
            child,
            out,
            err,
            seen_out: Vec::new(),
            seen_err: Vec::new(),
        };
        watch.stderr_line(|l| l.starts_with("watching "));
        watch
    }

    /// The next stdout line matching `want`, within `WAIT`.
    fn stdout_line(&mut self, want: impl Fn(&str) -> bool) -> String {
        next_line(&self.out, &mut self.seen_out, want, "stdout")
    }

    fn stderr_line(&mut self, want: impl Fn(&str) -> bool) -> String {
        next_line(&self.err, &mut self.seen_err, want, "stderr")
    }

    /// SIGTERM, then the exit status within `WAIT`.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.seen_err.extend(self.err.try_iter());
                return (status, std::mem::take(&mut self.seen_err));
            }
            assert!(Instant::now() < deadline, "watch did not end on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next_line(
    rx: &Receiver<String>,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
    what: &str,
) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return line;
                }
            }
            Err(error) => panic!(
                "no matching {what} line ({error}); seen:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[test]
fn list_shows_the_instances_as_a_table_and_as_json() {
    let etcd = Etcd::start();
    let registry = etcd.config(TTL);
    let _web1 = register(&registry, "web", "host1-1");
    let _web2 = register(&registry, "web", "host2-2");
    let _db = register(&registry, "db", "host1-3");
    let dir = tempfile::tempdir().unwrap();
    config_file(dir.path(), &registry, "");

    // Every service, from the [registry] table of ./steward.toml.
    let table = stdout(&run(dir.path(), &["registry", "list"]));
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 4, "{table}");
    for column in [
        "SERVICE", "INSTANCE", "ADDRESS", "HEALTH", "HOST", "PID", "VERSION", "STARTED",
    ] {
        assert!(rows[0].contains(column), "{table}");
    }
    let pid = std::process::id().to_string();
    for (row, (service, id)) in
        rows[1..]
            .iter()
            .zip([("db", "host1-3"), ("web", "host1-1"), ("web", "host2-2")])
    {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells[..4],
            [service, id, "10.0.0.5:8080", "healthy"],
            "{table}"
        );
        assert_eq!(cells[5], pid, "{table}");
        assert_eq!(cells[6], "1.2.3", "{table}");
    }

    // One service, as JSON, with an explicit config elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    let json = stdout(&run(
        elsewhere.path(),
        &[
            "registry",
            "list",
            "web",
            "--json",
            "--config",
            config.to_str().unwrap(),
        ],
    ));
    assert_eq!(json.lines().count(), 1, "one line: {json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let instances = value.as_array().expect("a JSON array");
    assert_eq!(instances.len(), 2, "{json}");
    assert_eq!(instances[0]["service"], "web");
    assert_eq!(instances[0]["instance_id"], "host1-1");
    assert_eq!(instances[1]["instance_id"], "host2-2");
    assert_eq!(instances[0]["address"], "10.0.0.5:8080");
    assert_eq!(instances[0]["version"], "1.2.3");
    assert_eq!(instances[0]["pid"], std::process::id());
    assert_eq!(instances[0]["health"], "healthy");
    assert!(instances[0]["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(instances[0]["metadata"].is_object());

    // No config at all: --endpoints.
    let endpoint = etcd.endpoint();
    let db = stdout(&run(
        elsewhere.path(),
        &["registry", "list", "db", "--endpoints", &endpoint],
    ));
    assert_eq!(db.lines().count(), 2, "{db}");
    assert!(db.lines().nth(1).unwrap().starts_with("db "), "{db}");
    let none = stdout(&run(
        elsewhere.path(),
        &["registry", "list", "nothing", "--endpoints", &endpoint],
    ));
    assert_eq!(none, "no instances registered under /services/nothing/\n");
    let empty = stdout(&run(
        elsewhere.path(),
        &[
            "registry",
            "list",
            "nothing",
            "--json",
            "--endpoints",
            &endpoint,
        ],
    ));
    assert_eq!(empty, "[]\n");
    let other_prefix = stdout(&run(
        elsewhere.path(),
        &[
            "registry",
            "list",
            "--json",
            "--endpoints",
            &endpoint,
            "--prefix",
            "/apps/",
        ],
    ));
    assert_eq!(other_prefix, "[]\n");
}

#[test]
fn list_uses_the_configs_tls_and_credentials() {
    let etcd = Etcd::start_tls_auth();
    let mut registry = etcd.config(TTL);
    let credentials = etcd.credentials_file(etcd::USER, etcd::PASSWORD);
    registry.credentials_file = Some(credentials.clone());
    let _web = register(&registry, "web", "secure-1");
    let dir = tempfile::tempdir().unwrap();
    config_file(
        dir.path(),
        &registry,
        &format!(
            "credentials_file = {:?}\n",
            credentials.display().to_string()
        ),
    );
    let table = stdout(&run(dir.path(), &["registry", "list", "web"]));
    assert!(table.lines().nth(1).unwrap().starts_with("web "), "{table}");
    assert!(table.contains("secure-1"), "{table}");

    // Wrong credentials: refused, one line, and the password is not echoed.
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.credentials");
    let password = "wrong-password-Vb2";
    std::fs::write(&wrong, format!("{}:{password}\n", etcd::USER)).unwrap();
    config_file(
        dir.path(),
        &registry,
        &format!("credentials_file = {:?}\n", wrong.display().to_string()),
    );
    let output = run(dir.path(), &["registry", "list", "web"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains(password), "{stderr}");
}

#[test]
fn watch_prints_join_health_and_leave_as_they_happen() {
    let etcd = Etcd::start();
    let registry = etcd.config(TTL);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = etcd.endpoint();
    let mut text = Watch::start(dir.path(), &["web", "--endpoints", &endpoint]);
    let mut json = Watch::start(dir.path(), &["--json", "--endpoints", &endpoint]);

    let registration = register(&registry, "web", "host1-42");
    let _db = register(&registry, "db", "host1-43");
    text.stdout_line(|l| l == "join web/host1-42 10.0.0.5:8080 healthy");
    let join: serde_json::Value =
        serde_json::from_str(&json.stdout_line(|l| l.contains("host1-42"))).unwrap();
    assert_eq!(join["event"], "join");
    assert_eq!(join["service"], "web");
    assert_eq!(join["instance_id"], "host1-42");
    assert_eq!(join["instance"]["address"], "10.0.0.5:8080");
    assert_eq!(join["instance"]["health"], "healthy");
    // Watching every service, the other service's instance shows too.
    let db: serde_json::Value =
        serde_json::from_str(&json.stdout_line(|l| l.contains("host1-43"))).unwrap();
    assert_eq!(db["event"], "join");
    assert_eq!(db["service"], "db");

    registration.set_health(Health::Unhealthy);
    text.stdout_line(|l| l == "health web/host1-42 healthy -> unhealthy");
    let health: serde_json::Value =
        serde_json::from_str(&json.stdout_line(|l| l.contains(r#""event":"health""#))).unwrap();
    assert_eq!(health["previous_health"], "healthy");
    assert_eq!(health["instance"]["health"], "unhealthy");

    registration.deregister(WAIT).unwrap();
    text.stdout_line(|l| l == "leave web/host1-42");
    let leave: serde_json::Value =
        serde_json::from_str(&json.stdout_line(|l| l.contains(r#""event":"leave""#))).unwrap();
    assert_eq!(leave["instance_id"], "host1-42");
    assert_eq!(
        leave["instance"]["instance_id"], "host1-42",
        "the last value"
    );
    assert!(
        !text.seen_out.iter().any(|l| l.contains("host1-43")),
        "SERVICE filters: {:?}",
        text.seen_out
    );

    let (status, stderr) = text.terminate();
    assert!(status.success(), "{status:?}; stderr: {stderr:?}");
    let (status, _) = json.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn watch_resumes_after_an_etcd_restart_without_losing_events() {
    let mut etcd = Etcd::start();
    let registry = etcd.config(TTL);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = etcd.endpoint();
    let mut watch = Watch::start(dir.path(), &["web", "--endpoints", &endpoint]);
    let _first = register(&registry, "web", "before");
    watch.stdout_line(|l| l.starts_with("join web/before "));

    etcd.restart();
    // Registered while (or before) the watch reconnects: it resumes where it stopped, so the
    // join is printed either way.
    let second = register(&registry, "web", "after");
    watch.stdout_line(|l| l.starts_with("join web/after "));
    second.deregister(WAIT).unwrap();
    watch.stdout_line(|l| l == "leave web/after");
    watch.stderr_line(|l| l.starts_with("watch resumed at revision "));
    let (status, stderr) = watch.terminate();
    assert!(status.success());
    let warnings = stderr
        .iter()
        .filter(|l| l.starts_with("warning: watch interrupted"))
        .count();
    assert_eq!(warnings, 1, "the outage is logged once: {stderr:?}");
}

#[test]
fn unreachable_etcd_fails_fast_with_one_line_naming_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", etcd::free_port());
    for verb in ["list", "watch"] {
        let started = Instant::now();
        let output = run(dir.path(), &["registry", verb, "--endpoints", &endpoint]);
        let elapsed = started.elapsed();
        assert!(!output.status.success(), "{verb}");
        assert_eq!(output.status.code(), Some(1), "{verb}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{verb}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: cannot reach etcd at {endpoint}: ")),
            "{verb}: {stderr}"
        );
        assert!(elapsed < Duration::from_secs(10), "{verb} took {elapsed:?}");
        assert!(output.stdout.is_empty(), "{verb}");
    }
}

#[test]
fn an_etcd_that_never_answers_fails_within_a_third_of_the_ttl() {
    // Accepts connections (the kernel's backlog) and never answers a byte.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = run(dir.path(), &["registry", "list", "--endpoints", &endpoint]);
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: cannot reach etcd at {endpoint}: ")),
        "{stderr}"
    );
    // The default TTL is 10s: each request's deadline is 3.3s.
    assert!(
        elapsed < Duration::from_secs(8),
        "took {elapsed:?}: {stderr}"
    );
}

#[test]
fn without_a_config_or_endpoints_the_error_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["registry", "list"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: no steward.toml in the current directory: give --config FILE (with a \
         [registry] table) or --endpoints URL"
    );
    std::fs::write(
        dir.path().join("steward.toml"),
        "[service]\nname = \"web\"\n",
    )
    .unwrap();
    let output = run(dir.path(), &["registry", "watch"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: steward.toml has no [registry] table: add one or give --endpoints URL"
    );
    let output = run(
        dir.path(),
        &["registry", "list", "a/b", "--endpoints", "http://x:1"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid service name"));
}
