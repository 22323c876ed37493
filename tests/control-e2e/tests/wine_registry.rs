//! `[registry]` under Wine: steward.exe, installed in Wine's service manager and wrapping
//! `fixture-child.exe --hang`, registers with a real etcd on the host's loopback (Wine programs
//! share the host's network), announces the Windows host name and the child's PID, and is gone
//! from etcd as soon as `stop --wait` returns (the lease is revoked before the child is asked to
//! stop).
//!
//! etcd comes from `apt-get install -y etcd-server etcd-client` (scripts/test-all.sh).
#![cfg(target_os = "linux")]

#[path = "../../../crates/steward-registry/tests/common/etcd.rs"]
mod etcd;

mod common;

use std::time::{Duration, Instant};

use common::{DEADLINE, steward, write};
use etcd::Etcd;
use steward_wine_bench::BenchError;

/// Where steward.exe, the fixture and the config go.
const DIR: &str = r"C:\Program Files\Steward Registry";
/// The service's name.
const NAME: &str = "registered";

fn place(package: &str, bin: &str, file: &str) -> Result<String, BenchError> {
    common::place(DIR, package, bin, file)
}

/// The instance's JSON in etcd, if registered.
fn registered(etcd: &Etcd) -> Option<serde_json::Value> {
    let out = etcd.etcdctl(
        &[
            "get",
            &format!("/services/{NAME}/wine1"),
            "--print-value-only",
        ],
        None,
    );
    let text = out.trim();
    (!text.is_empty()).then(|| serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

#[test]
fn steward_exe_in_wines_service_manager_registers_with_etcd() -> Result<(), BenchError> {
    let etcd = Etcd::start();
    let exe = place("steward-cli", "steward", "steward.exe")?;
    let fixture = place("fixture-child", "fixture-child", "fixture-child.exe")?;
    let config = format!(r"{DIR}\steward.toml");
    let text = format!(
        "[service]\nname = \"{NAME}\"\n\
         [program]\ncommand = '{fixture}'\nargs = [\"--hang\"]\nstop_timeout = \"10s\"\n\
         [registry]\nendpoints = [\"{}\"]\nttl = \"3s\"\ninstance_id = \"wine1\"\n\
         address = \"127.0.0.1:8080\"\n",
        etcd.endpoint()
    );
    write(&config, &text)?;

    steward(&exe, &["install", "--config", &config])?;
    steward(&exe, &["start", NAME, "--wait"])?;
    let deadline = Instant::now() + DEADLINE;
    let value = loop {
        if let Some(value) = registered(&etcd) {
            break value;
        }
        assert!(
            Instant::now() < deadline,
            "steward.exe did not register; etcd log:\n{}",
            etcd.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    println!("registered: {value}");
    assert_eq!(value["service"], NAME, "{value}");
    assert_eq!(value["address"], "127.0.0.1:8080", "{value}");
    assert_eq!(value["health"], "healthy", "{value}");
    assert!(value["pid"].as_u64().is_some_and(|p| p > 0), "{value}");
    assert!(
        value["host"].as_str().is_some_and(|h| !h.is_empty()),
        "{value}"
    );

    steward(&exe, &["stop", NAME, "--wait"])?;
    // The lease is revoked before the child gets its Ctrl-C, so the key is already gone; a
    // failed revocation would leave it for up to the TTL.
    assert_eq!(registered(&etcd), None, "still registered after the stop");
    steward(&exe, &["uninstall", NAME])?;
    Ok(())
}
