//! Offline unit-file verification.
#![cfg(target_os = "linux")]

use std::fs;

use steward_systemd_bench::{BenchError, Scope, verify_unit_file};

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn scratch(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "systemd-bench-verify-test-{}-{label}",
        std::process::id()
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

const GOOD: &str = "[Unit]\nDescription=Good\nDocumentation=man:nonexistent(8)\n\
    [Service]\nType=notify\nExecStart=/bin/sleep 300\nWatchdogSec=5\nRestart=on-failure\n\
    RestartSec=100ms\nStandardOutput=append:/tmp/out.log\n[Install]\nWantedBy=default.target\n";

#[test]
fn a_good_unit_passes_in_both_scopes() {
    let dir = scratch("good");
    let path = write(&dir, "good.service", GOOD);
    verify_unit_file(&path, Scope::System).unwrap();
    verify_unit_file(&path, Scope::User).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn warnings_are_errors() {
    let dir = scratch("warn");
    let cases = [
        (
            "unknown-key.service",
            "[Service]\nExecStart=/bin/sleep 1\nBogus=1\n",
            "Unknown key",
        ),
        (
            "bad-value.service",
            "[Service]\nExecStart=/bin/sleep 1\nType=notifyy\n",
            "service type",
        ),
        (
            "no-binary.service",
            "[Service]\nExecStart=/nonexistent/bin\n",
            "not executable",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(&dir, name, text);
        for scope in [Scope::System, Scope::User] {
            match verify_unit_file(&path, scope) {
                Err(BenchError::Verify { diagnostics, .. }) => {
                    assert!(
                        diagnostics.contains(expected),
                        "{name} {scope:?}: {diagnostics}"
                    )
                }
                other => panic!("{name} {scope:?}: expected a verify error, got {other:?}"),
            }
        }
    }
    fs::remove_dir_all(dir).unwrap();
}
