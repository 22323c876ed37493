//! `[registry]` end to end on Linux: `steward run` against a real etcd on loopback.
//!
//! - the instance is registered only once the program passes its readiness check, with the
//!   announced JSON; the key is gone BEFORE the program receives its stop request (the program
//!   asks etcd itself, from its SIGTERM trap);
//! - a readiness check that fails marks the instance unhealthy (`on_unhealthy = "mark"`) or
//!   removes it (`"remove"`) without restarting the program, and its recovery makes it healthy;
//! - a SIGKILL of steward lets the lease expire within TTL + 1 s;
//! - etcd down at start: the program runs anyway, `/status` says `retrying`; etcd up → registered;
//! - etcd restarted mid-run, and the lease revoked by an operator → registered again;
//! - mutual TLS with credentials from a file (a second etcd with TLS and auth): registered, and
//!   the password never appears in steward's log;
//! - cold standby with two `steward run`: a monitor scanning `/proc` every few milliseconds never
//!   sees both programs at once; SIGKILL of the leader → the standby's program runs within
//!   TTL + 1 s; etcd gone → the leader fences its program within the TTL; graceful stop of the
//!   leader hands over at once; an operator deleting the leader key by hand moves the
//!   leadership without two programs ever running (the old one takes 0.8 s to stop).
//!
//! etcd comes from `apt-get install -y etcd-server etcd-client` (scripts/test-all.sh).
#![cfg(target_os = "linux")]

mod common;
#[path = "../../steward-registry/tests/common/etcd.rs"]
mod etcd;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::procs::running_programs;
use common::steward_run::StewardRun as Steward;
use common::{alive, sh_program, toml_string, wait_for};
use etcd::{Etcd, free_port};

/// The values under `<prefix><service>/` (key → JSON), leader key excluded.
fn instances(etcd: &Etcd, service: &str) -> Vec<(String, serde_json::Value)> {
    let out = etcd.etcdctl(&["get", "--prefix", &format!("/services/{service}/")], None);
    let lines: Vec<&str> = out.lines().collect();
    lines
        .chunks(2)
        .filter(|pair| pair.len() == 2 && !pair[0].ends_with("/leader"))
        .map(|pair| {
            let value =
                serde_json::from_str(pair[1]).unwrap_or_else(|e| panic!("{e}: {}", pair[1]));
            (pair[0].to_owned(), value)
        })
        .collect()
}

fn registry_table(etcd: &Etcd, ttl: &str, extra: &str) -> String {
    format!(
        "[registry]\nendpoints = [{}]\nttl = \"{ttl}\"\n{extra}",
        toml_string(&etcd.endpoint())
    )
}

fn unique(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Reads a PID a program wrote to `path`.
fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[test]
fn registers_once_ready_and_leaves_before_the_program_is_asked_to_stop() {
    let etcd = Etcd::start();
    let tmp = temp();
    let dir = tmp.path();
    let name = unique("ready");
    let port = free_port();
    let go = dir.join("go");
    let at_stop = dir.join("at-stop");
    let pid_file = dir.join("pid");
    // The program serves only once the test creates `go`; on SIGTERM it asks etcd itself what
    // is registered under its service, so the order is observed from the program's side.
    let script = format!(
        "trap 'ETCDCTL_API=3 etcdctl --endpoints={endpoint} get --prefix /services/{name}/ --keys-only > {at_stop}.tmp; \
         echo etcdctl=$? >> {at_stop}.tmp; mv {at_stop}.tmp {at_stop}; exit 0' TERM; \
         echo $$ > {pid}; \
         while [ ! -f {go} ]; do sleep 0.05; done; \
         python3 -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1 & \
         while :; do wait; done",
        endpoint = etcd.endpoint(),
        at_stop = at_stop.display(),
        pid = pid_file.display(),
        go = go.display(),
    );
    let config = format!(
        "[service]\nname = \"{name}\"\n{}\n[health]\nhttp = \"http://127.0.0.1:{port}/\"\ninterval = \"200ms\"\n\
         start_timeout = \"60s\"\n{}",
        sh_program(&script),
        registry_table(
            &etcd,
            "3s",
            "address = \"10.0.0.5:8080\"\nmetadata = { zone = \"a\" }\ninstance_id = \"i1\"\n"
        )
    );
    let mut steward = Steward::start(dir, "test", &config);
    let program = wait_for("the program's PID", || (read_pid(&pid_file), steward.log()));
    // Not ready: nothing is registered, during a good second of health checks failing.
    let quiet_until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < quiet_until {
        let seen = instances(&etcd, &name);
        assert!(seen.is_empty(), "registered before ready: {seen:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(&go, "").unwrap();
    let (key, value) = wait_for("the registration", || {
        let seen = instances(&etcd, &name);
        (seen.first().cloned(), steward.log())
    });
    assert_eq!(key, format!("/services/{name}/i1"));
    assert_eq!(value["service"], name.as_str(), "{value}");
    assert_eq!(value["instance_id"], "i1", "{value}");
    assert_eq!(value["address"], "10.0.0.5:8080", "{value}");
    assert_eq!(value["metadata"]["zone"], "a", "{value}");
    assert_eq!(value["health"], "healthy", "{value}");
    assert_eq!(value["pid"].as_u64(), Some(u64::from(program)), "{value}");
    assert!(
        value["started_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')),
        "{value}"
    );

    let status = steward.stop();
    assert!(status.success(), "{status}: {}", steward.log());
    let seen_by_program = std::fs::read_to_string(&at_stop).unwrap_or_else(|e| {
        panic!(
            "the program's SIGTERM trap did not run ({e}):\n{}",
            steward.log()
        )
    });
    // The query must have worked (an etcdctl that failed would print no key either).
    assert_eq!(
        seen_by_program.trim(),
        "etcdctl=0",
        "the instance was still registered (or etcd could not be asked) when the program got SIGTERM"
    );
    assert!(instances(&etcd, &name).is_empty());
}

#[test]
fn the_lease_expires_within_ttl_plus_one_second_after_a_sigkill_of_steward() {
    let etcd = Etcd::start();
    let tmp = temp();
    let name = unique("sigkill");
    let config = format!(
        "[service]\nname = \"{name}\"\n{}\n{}",
        sh_program("exec sleep 1000"),
        registry_table(&etcd, "3s", "")
    );
    let mut steward = Steward::start(tmp.path(), "test", &config);
    wait_for("the registration", || {
        let seen = instances(&etcd, &name);
        ((!seen.is_empty()).then_some(()), steward.log())
    });
    let killed = steward.kill9();
    wait_for("the lease to expire", || {
        let seen = instances(&etcd, &name);
        (seen.is_empty().then_some(()), format!("{seen:?}"))
    });
    let gone = killed.elapsed();
    println!("key gone {gone:?} after SIGKILL (ttl 3s)");
    assert!(
        gone <= Duration::from_secs(4),
        "the key outlived TTL + 1 s: {gone:?}"
    );
}

/// `GET /status` of a `steward run` admin endpoint, parsed.
fn admin_status(port: u16) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let body = text.split("\r\n\r\n").nth(1)?;
    serde_json::from_str(body).ok()
}

#[test]
fn etcd_down_at_start_then_up_registers_and_a_restart_or_revoke_registers_again() {
    let mut etcd = Etcd::new();
    let tmp = temp();
    let dir = tmp.path();
    let name = unique("outage");
    let admin = free_port();
    let pid_file = dir.join("pid");
    let config = format!(
        "[service]\nname = \"{name}\"\n{}\n[admin]\nlisten = \"127.0.0.1:{admin}\"\n{}",
        sh_program(&format!(
            "echo $$ > {}; exec sleep 1000",
            pid_file.display()
        )),
        registry_table(&etcd, "3s", "instance_id = \"i1\"\n")
    );
    let steward = Steward::start(dir, "test", &config);
    // etcd is down: the program runs anyway and the endpoint says why nothing is registered.
    let program = wait_for("the program", || (read_pid(&pid_file), steward.log()));
    assert!(alive(u64::from(program)));
    let retrying = wait_for("/status to report the registry retrying", || {
        let status = admin_status(admin);
        let registry = status.as_ref().map(|s| s["registry"].clone());
        let found = registry.clone().filter(|r| r["state"] == "retrying");
        (found, format!("{status:?}"))
    });
    assert!(
        retrying["attempts"].as_u64().unwrap_or(0) >= 1,
        "{retrying}"
    );
    assert!(
        retrying["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{retrying}"
    );

    etcd.launch();
    let registered = |etcd: &Etcd, what: &str| {
        wait_for(what, || {
            let seen = instances(etcd, &name);
            (seen.first().map(|(_, v)| v.clone()), steward.log())
        })
    };
    registered(&etcd, "the registration once etcd is up");
    wait_for("/status to report registered", || {
        let status = admin_status(admin);
        let ok = status
            .as_ref()
            .is_some_and(|s| s["registry"]["state"] == "registered");
        (ok.then_some(()), format!("{status:?}"))
    });

    // etcd restarted: the registration is written again (or survives with its lease).
    etcd.restart();
    registered(&etcd, "the registration after an etcd restart");

    // An operator revokes the lease: the key goes, and steward registers again.
    let lease = etcd.etcdctl(
        &["get", &format!("/services/{name}/i1"), "-w", "fields"],
        None,
    );
    let lease_id = lease
        .lines()
        .find_map(|l| l.strip_prefix("\"Lease\" : "))
        .map(|id| format!("{:x}", id.trim().parse::<i64>().unwrap()))
        .unwrap_or_else(|| panic!("no lease in {lease}"));
    etcd.etcdctl(&["lease", "revoke", &lease_id], None);
    registered(&etcd, "the registration after the lease was revoked");
    let after = etcd.etcdctl(
        &["get", &format!("/services/{name}/i1"), "-w", "fields"],
        None,
    );
    assert!(
        !after.contains(&format!(
            "\"Lease\" : {}",
            i64::from_str_radix(&lease_id, 16).unwrap()
        )),
        "{after}"
    );
    assert!(
        alive(u64::from(program)),
        "etcd trouble must never touch the program"
    );
}

/// A monitor that scans `/proc` for the programs of a standby pair (their command lines carry
/// `marker`) and records the highest number running at once.
struct Monitor {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Monitor {
    fn start(marker: String) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicUsize::new(0));
        let (stop2, max2) = (Arc::clone(&stop), Arc::clone(&max));
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Acquire) {
                let running = running_programs(&marker).len();
                max2.fetch_max(running, Ordering::AcqRel);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Monitor {
            stop,
            max,
            thread: Some(thread),
        }
    }

    /// The most programs seen running at once so far.
    fn max(&self) -> usize {
        self.max.load(Ordering::Acquire)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A standby pair's config: the program is `sleep MARKER` (a number unique to the test).
fn standby_config(etcd: &Etcd, name: &str, marker: &str, id: &str) -> String {
    standby_config_with(etcd, name, marker, id, "")
}

/// [`standby_config`] with more tables (before `[registry]`).
fn standby_config_with(etcd: &Etcd, name: &str, marker: &str, id: &str, extra: &str) -> String {
    standby_program_config(etcd, name, "/bin/sleep", &toml_string(marker), id, extra)
}

/// A standby pair's config running `command` with `args` (TOML array items), then `extra`
/// tables, then `[registry]` with a 3 s TTL and instance `id`.
fn standby_program_config(
    etcd: &Etcd,
    name: &str,
    command: &str,
    args: &str,
    id: &str,
    extra: &str,
) -> String {
    format!(
        "[service]\nname = \"{name}\"\n[program]\ncommand = \"{command}\"\nargs = [{args}]\n\
         stop_timeout = \"5s\"\n{extra}{}",
        registry_table(
            etcd,
            "3s",
            &format!("standby = true\ninstance_id = \"{id}\"\n")
        )
    )
}

fn marker() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}.{}",
        100_000 + std::process::id() % 100_000,
        nanos % 1_000_000
    )
}

/// Which steward of the pair leads, from the leader key.
fn leader(etcd: &Etcd, name: &str) -> Option<String> {
    let out = etcd.etcdctl(
        &[
            "get",
            &format!("/services/{name}/leader"),
            "--print-value-only",
        ],
        None,
    );
    let id = out.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

#[test]
fn cold_standby_runs_one_program_and_fails_over_after_a_sigkill() {
    let etcd = Etcd::start();
    let tmp = temp();
    let name = unique("standby");
    let marker = marker();
    let monitor = Monitor::start(marker.clone());
    let ports = [free_port(), free_port()];
    let admin = |port: u16| format!("[admin]\nlisten = \"127.0.0.1:{port}\"\n");
    let mut a = Steward::start(
        &tmp.path().join("a"),
        "a",
        &standby_config_with(&etcd, &name, &marker, "a", &admin(ports[0])),
    );
    let mut b = Steward::start(
        &tmp.path().join("b"),
        "b",
        &standby_config_with(&etcd, &name, &marker, "b", &admin(ports[1])),
    );
    let first = wait_for("one program running", || {
        let running = running_programs(&marker);
        (
            (running.len() == 1).then_some(running),
            format!("{}\n{}", a.log(), b.log()),
        )
    });
    let leading = wait_for("a leader key", || (leader(&etcd, &name), String::new()));
    // The leader is registered; the standby is not.
    let registered = wait_for("the leader's registration", || {
        let seen = instances(&etcd, &name);
        ((seen.len() == 1).then_some(seen), String::new())
    });
    assert_eq!(registered[0].1["instance_id"], leading.as_str());
    assert_eq!(
        registered[0].1["pid"].as_u64(),
        first.first().map(|p| u64::from(*p))
    );
    // Each endpoint says which is which: the standby is alive but not ready.
    let (leader_port, standby_port) = if leading == "a" {
        (ports[0], ports[1])
    } else {
        (ports[1], ports[0])
    };
    let shown = |port: u16, state: &'static str, role: &'static str| {
        wait_for(&format!("/status to say {state}"), || {
            let status = admin_status(port);
            let ok = status
                .as_ref()
                .is_some_and(|s| s["state"] == state && s["registry"]["role"] == role);
            (ok.then_some(()), format!("{status:?}"))
        })
    };
    shown(leader_port, "running", "leader");
    shown(standby_port, "standby", "standby");
    let standby_status = admin_status(standby_port).expect("the standby's /status");
    assert_eq!(standby_status["live"], true, "{standby_status}");
    assert_eq!(standby_status["ready"], false, "{standby_status}");

    let (leader_steward, standby_steward) = if leading == "a" {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    let killed = leader_steward.kill9();
    let second = wait_for("the standby's program", || {
        let running = running_programs(&marker);
        let taken = (running.len() == 1 && running != first).then_some(running.clone());
        (taken, format!("{running:?}\n{}", standby_steward.log()))
    });
    let failover = killed.elapsed();
    println!("failover after SIGKILL of the leader: {failover:?} (ttl 3s)");
    assert!(
        failover <= Duration::from_secs(4),
        "failover took {failover:?}"
    );
    assert_ne!(first, second);
    assert!(monitor.max() <= 1, "two programs ran at once");
}

#[test]
fn a_leader_cut_off_from_etcd_fences_its_program_and_a_graceful_stop_hands_over() {
    let mut etcd = Etcd::start();
    let tmp = temp();
    let name = unique("fence");
    let marker = marker();
    let monitor = Monitor::start(marker.clone());
    let mut a = Steward::start(
        &tmp.path().join("a"),
        "a",
        &standby_config(&etcd, &name, &marker, "a"),
    );
    wait_for("a's program", || {
        let running = running_programs(&marker);
        ((running.len() == 1).then_some(()), a.log())
    });
    let mut b = Steward::start(
        &tmp.path().join("b"),
        "b",
        &standby_config(&etcd, &name, &marker, "b"),
    );
    assert_eq!(leader(&etcd, &name).as_deref(), Some("a"));

    // etcd goes away: the leader cannot prove its lease, so it must stop its program before
    // the lease could expire (the TTL); nobody can win meanwhile.
    etcd.kill9();
    let cut = Instant::now();
    wait_for("the fenced program to stop", || {
        let running = running_programs(&marker);
        (running.is_empty().then_some(()), a.log())
    });
    let fenced = cut.elapsed();
    println!("program fenced {fenced:?} after etcd went away (ttl 3s)");
    assert!(
        fenced < Duration::from_secs(3),
        "fenced only after {fenced:?}"
    );
    assert!(a.log().contains("leadership lost"), "{}", a.log());

    // etcd back: exactly one of them leads again.
    etcd.launch();
    wait_for("one program again", || {
        let running = running_programs(&marker);
        (
            (running.len() == 1).then_some(()),
            format!("{}\n{}", a.log(), b.log()),
        )
    });
    let now_leading = wait_for("a leader key", || (leader(&etcd, &name), String::new()));

    // A graceful stop of the leader resigns: the other takes over without waiting for a TTL.
    let (leader_steward, other) = if now_leading == "a" {
        (&mut a, "b")
    } else {
        (&mut b, "a")
    };
    let status = leader_steward.stop();
    assert!(status.success(), "{status}");
    let stopped = Instant::now();
    wait_for("the other instance to lead", || {
        let l = leader(&etcd, &name);
        let running = running_programs(&marker);
        (
            (l.as_deref() == Some(other) && running.len() == 1).then_some(()),
            format!("{l:?} {running:?}"),
        )
    });
    println!("handover after a graceful stop: {:?}", stopped.elapsed());
    assert!(monitor.max() <= 1, "two programs ran at once");
}

/// A standby pair's config whose program takes about 0.8 s to stop after SIGTERM (its `$0`,
/// and so its command line, is `marker`).
fn slow_stopping_standby_config(etcd: &Etcd, name: &str, marker: &str, id: &str) -> String {
    let script = "trap 'sleep 0.8; exit 0' TERM; while :; do sleep 0.05; done";
    let args = format!("\"-c\", {}, {}", toml_string(script), toml_string(marker));
    standby_program_config(etcd, name, "/bin/sh", &args, id, "")
}

#[test]
fn a_leader_key_deleted_by_hand_never_runs_two_programs() {
    let etcd = Etcd::start();
    let tmp = temp();
    let name = unique("handdel");
    let marker = marker();
    let monitor = Monitor::start(marker.clone());
    let a = Steward::start(
        &tmp.path().join("a"),
        "a",
        &slow_stopping_standby_config(&etcd, &name, &marker, "a"),
    );
    let first = wait_for("a's program", || {
        let running = running_programs(&marker);
        ((running.len() == 1).then_some(running), a.log())
    });
    let b = Steward::start(
        &tmp.path().join("b"),
        "b",
        &slow_stopping_standby_config(&etcd, &name, &marker, "b"),
    );
    // Only a candidate that watches the key knows the old lease (see docs/registry.md).
    wait_for("b to watch the leader key", || {
        (b.log().contains("standing by").then_some(()), b.log())
    });
    assert_eq!(leader(&etcd, &name).as_deref(), Some("a"));

    // An operator deletes the leader key. The leader notices and stops its program (which
    // takes 0.8 s); the standby sees the key gone but waits until the leader's lease is gone.
    etcd.etcdctl(&["del", &format!("/services/{name}/leader")], None);
    let deleted = Instant::now();
    wait_for("a's program to stop", || {
        let running = running_programs(&marker);
        (
            (!running.contains(first.first().unwrap())).then_some(()),
            a.log(),
        )
    });
    assert!(a.log().contains("leadership lost"), "{}", a.log());
    let again = wait_for("one program again", || {
        let running = running_programs(&marker);
        (
            (running.len() == 1).then_some(running),
            format!("{}\n{}", a.log(), b.log()),
        )
    });
    println!(
        "a program runs again {:?} after the leader key was deleted by hand",
        deleted.elapsed()
    );
    assert_ne!(again, first, "a new program, after the old one stopped");
    assert!(
        leader(&etcd, &name).is_some(),
        "someone leads again: {}\n{}",
        a.log(),
        b.log()
    );
    assert!(monitor.max() <= 1, "two programs ran at once");
}

#[test]
fn registers_over_mutual_tls_with_credentials_from_a_file() {
    let etcd = Etcd::start_tls_auth();
    let tmp = temp();
    let name = unique("tls");
    let tls = etcd.config(Duration::from_secs(3)).tls.expect("TLS files");
    let credentials = etcd.credentials_file(etcd::USER, etcd::PASSWORD);
    let path =
        |p: &Option<PathBuf>| toml_string(&p.as_ref().expect("a TLS file").display().to_string());
    let config = format!(
        "[service]\nname = \"{name}\"\n{}\n{}tls_ca = {}\ntls_cert = {}\ntls_key = {}\ncredentials_file = {}\n",
        sh_program("exec sleep 1000"),
        registry_table(&etcd, "3s", "instance_id = \"tls1\"\n"),
        path(&tls.ca),
        path(&tls.cert),
        path(&tls.key),
        toml_string(&credentials.display().to_string()),
    );
    let mut steward = Steward::start(tmp.path(), "test", &config);
    let user = format!("{}:{}", etcd::USER, etcd::PASSWORD);
    let key = format!("/services/{name}/tls1");
    let get = || etcd.etcdctl(&["get", &key, "--print-value-only"], Some(&user));
    wait_for("the registration over TLS", || {
        let value = get();
        ((!value.trim().is_empty()).then_some(()), steward.log())
    });
    let status = steward.stop();
    assert!(status.success(), "{status}");
    assert_eq!(get().trim(), "", "still registered after the stop");
    assert!(
        !steward.log().contains(etcd::PASSWORD),
        "the password leaked into steward's log"
    );
}

/// A readiness check the test controls: `test -f FILE` every 100 ms.
fn file_check(flag: &Path) -> String {
    format!(
        "[health]\ninterval = \"100ms\"\nfailure_threshold = 1\n[[health.check]]\nname = \"flag\"\n\
         exec = [\"/bin/test\", \"-f\", {}]\nrole = \"readiness\"\n",
        toml_string(&flag.display().to_string())
    )
}

#[test]
fn a_failing_readiness_check_marks_the_instance_unhealthy_or_removes_it() {
    let etcd = Etcd::start();
    for mode in ["mark", "remove"] {
        let tmp = temp();
        let name = unique(&format!("dip-{mode}"));
        let flag = tmp.path().join("healthy");
        std::fs::write(&flag, "").unwrap();
        let config = format!(
            "[service]\nname = \"{name}\"\n{}\n{}{}",
            sh_program("exec sleep 1000"),
            file_check(&flag),
            registry_table(&etcd, "3s", &format!("on_unhealthy = \"{mode}\"\n"))
        );
        let steward = Steward::start(tmp.path(), "test", &config);
        let health = || {
            instances(&etcd, &name)
                .first()
                .map(|(_, v)| v["health"].as_str().unwrap_or_default().to_owned())
        };
        let healthy = || {
            let h = health();
            (
                (h.as_deref() == Some("healthy")).then_some(()),
                steward.log(),
            )
        };
        wait_for("the healthy registration", healthy);
        let pid = instances(&etcd, &name)[0].1["pid"].clone();

        std::fs::remove_file(&flag).unwrap();
        let expected = if mode == "mark" {
            Some("unhealthy")
        } else {
            None
        };
        wait_for(&format!("the dip to show ({mode})"), || {
            let h = health();
            ((h.as_deref() == expected).then_some(()), format!("{h:?}"))
        });

        std::fs::write(&flag, "").unwrap();
        wait_for("the recovery", healthy);
        // A readiness dip never restarts the program: same PID.
        assert_eq!(instances(&etcd, &name)[0].1["pid"], pid);
    }
}
