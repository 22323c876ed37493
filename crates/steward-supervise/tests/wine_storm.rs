//! A storm of 1000 service controls under Wine's service manager: `steward.exe run` as a service
//! supervising `fixture-child.exe --hang` gets 1000 controls in a tight loop (INTERROGATE
//! alternating with PARAMCHANGE, which steward accepts and delivers as a reload), then a stop.
//! The service must end STOPPED with exit code 0, the child must be gone, the child must never
//! have been restarted, and no steward.exe or fixture-child.exe may be left in the session.
//!
//! Processes are listed from `/proc`: the Linux processes of this bench's Wine prefix.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use steward_wine_bench::{
    BenchError, Control, State, WineBench, fresh_windows_exe, io_error, try_poll as poll,
};

/// The longest any single wait may take (Wine on a loaded 2-core machine is slow).
const DEADLINE: Duration = Duration::from_secs(60);
/// Where the binaries and the config go.
const DIR: &str = r"C:\steward-storm";
/// The service's name.
const NAME: &str = "sup-storm";
/// How many controls.
const CONTROLS: u64 = 1000;

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// The Windows programs of this bench's Wine session, as lower-cased command lines. Wine
/// processes are Linux processes: those whose environment holds this bench's `WINEPREFIX` are
/// read from `/proc`. (Wine 8's `tasklist.exe` prints nothing to a pipe.)
fn processes() -> Vec<String> {
    let prefix = format!("WINEPREFIX={}", bench().prefix().display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        let ours = environ
            .split(|b| *b == 0)
            .any(|var| var == prefix.as_bytes());
        if !ours {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(dir.join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(text.trim().to_lowercase());
        }
    }
    found
}

/// Whether any process of `list` runs steward.exe or fixture-child.exe.
fn any_of_ours(list: &[String]) -> bool {
    list.iter()
        .any(|p| p.contains("steward.exe") || p.contains("fixture-child.exe"))
}

/// The `<pid>` lines of a fixture `--record` file.
fn recorded_pids(path: &std::path::Path) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect()
}

#[test]
fn a_storm_of_controls_then_a_stop_ends_clean_with_nothing_left() -> Result<(), BenchError> {
    let steward = bench().copy_into_prefix(
        &fresh_windows_exe("steward-cli", "steward")?,
        &format!(r"{DIR}\steward.exe"),
    )?;
    let child = bench().copy_into_prefix(
        &fresh_windows_exe("fixture-child", "fixture-child")?,
        &format!(r"{DIR}\fixture-child.exe"),
    )?;
    let record = format!(r"{DIR}\rec");
    let config = format!(r"{DIR}\steward.toml");
    let text = format!(
        r#"[service]
name = "{NAME}"
[program]
command = '{child}'
args = ["--record", '{record}', "--hang"]
stop_timeout = "10s"
[restart]
policy = "always"
delay = "0ms"
"#
    );
    let unix_config = bench().to_unix(&config)?;
    std::fs::write(&unix_config, text).map_err(io_error("write steward.toml"))?;
    let unix_record = bench().to_unix(&record)?;

    bench().create_service(NAME, &steward, &["run", "--config", &config])?;
    bench().start_service(NAME, &[])?;
    let running = bench().wait_state(NAME, State::Running, DEADLINE)?;
    let child_pid = poll(DEADLINE, || {
        Ok(recorded_pids(&unix_record).first().copied())
    })?
    .unwrap_or_else(|| panic!("the child never recorded its start"));
    // The listing sees our processes while they run.
    let before = processes();
    assert!(
        before.iter().any(|p| p.contains("fixture-child.exe"))
            && before.iter().any(|p| p.contains("steward.exe")),
        "{before:?}"
    );

    let sent = Instant::now();
    let counts = bench().control_storm(NAME, CONTROLS, DEADLINE)?;
    println!(
        "storm of {CONTROLS} controls took {:?}: {counts:?}",
        sent.elapsed()
    );
    assert_eq!(counts.sent, CONTROLS, "{counts:?}");
    assert_eq!(counts.ok + counts.failed, CONTROLS, "{counts:?}");
    assert_eq!(
        counts.paramchange,
        CONTROLS / 2,
        "PARAMCHANGE is accepted: {counts:?}"
    );
    // The service is still running the same supervisor and the same child.
    let after = bench().query(NAME)?;
    assert_eq!(after.state, State::Running, "{after:?}");
    assert_eq!(after.pid, running.pid, "{after:?}");

    bench().control(NAME, Control::Stop)?;
    let stopped = bench().wait_state(NAME, State::Stopped, DEADLINE)?;
    assert_eq!(
        (stopped.win32_exit_code, stopped.service_specific_exit_code),
        (0, 0),
        "{stopped:?}"
    );
    let gone = poll(DEADLINE, || {
        let out = bench().run(
            &child,
            &["pid-alive", &child_pid.to_string()],
            "-all",
            DEADLINE,
        )?;
        Ok((out.stdout.trim() == "gone").then_some(()))
    })?;
    assert!(gone.is_some(), "child {child_pid} survived the stop");
    // Nothing of ours is left: neither the supervisor nor any child (the one restart-free
    // child included: a storm must not look like a crash).
    let left = poll(DEADLINE, || {
        let list = processes();
        Ok((!any_of_ours(&list)).then_some(list))
    })?;
    assert!(left.is_some(), "still running: {:?}", processes());
    println!("after the stop: {:?}", left.unwrap_or_default());
    assert_eq!(
        recorded_pids(&unix_record),
        [child_pid],
        "the storm never restarted the child"
    );
    bench().delete_service(NAME)?;
    Ok(())
}
