//! Runs the Windows-only notify pipe tests (`tests/notify_windows.rs`) under Wine, so that the
//! test command exercises them: the test binary is cross-built for Windows (with
//! `fixture-child.exe` next to it, which one of its tests runs) and started in the bench's Wine
//! prefix; every one of its tests must pass.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use steward_wine_bench::{BenchError, WINDOWS_TARGET, fresh_windows_exe, workspace_root};

/// Cross-builds `notify_windows` and returns its executable (from cargo's JSON messages).
fn windows_test_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "test",
            "--no-run",
            "--message-format=json",
            "--target",
            WINDOWS_TARGET,
        ])
        .args(["-p", "steward-health", "--test", "notify_windows"])
        .output()
        .expect("running cargo");
    assert!(
        output.status.success(),
        "building the Windows test binary failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| {
            line.contains("\"compiler-artifact\"") && line.contains("\"notify_windows\"")
        })
        .find_map(|line| {
            let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = start + line[start..].find('"')?;
            Some(PathBuf::from(&line[start..end]))
        })
        .expect("cargo named no notify_windows executable")
}

#[test]
fn the_windows_notify_pipe_tests_pass_under_wine() -> Result<(), BenchError> {
    let bench =
        steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"));
    // Built into the same target directory, next to the test binary's `deps/`.
    fresh_windows_exe("fixture-child", "fixture-child")?;
    let exe = windows_test_binary();
    let out = bench.run(
        &exe,
        &["--test-threads=1"],
        "-all",
        Duration::from_secs(300),
    )?;
    println!("{}", out.stdout);
    assert!(
        out.status.success() && out.stdout.contains("test result: ok."),
        "notify_windows under Wine: {}\n{}\n{}",
        out.status,
        out.stdout,
        out.stderr
    );
    assert!(
        !out.stdout.contains(" 0 passed"),
        "no test ran: {}",
        out.stdout
    );
    Ok(())
}
