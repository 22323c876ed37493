//! steward's own lifecycle events in the Windows Event Log, under Wine: `steward.exe run` as a
//! service wrapping a crash-looping `fixture-child.exe --exit 7` with a start limit of 3. Each
//! `ReportEventW` string lands in the bench's debug log on the channel of its type
//! (`WINEDEBUG=+eventlog`): the runtime's "service started" as information (`trace:`), every
//! child exit and scheduled restart as warnings (`warn:`), the start limit and the failed
//! service as errors (`err:`).
//!
//! Wine does not print event IDs; which ID each line carries is fixed in the code
//! (`steward_log::EventId`, docs/logging.md) and covered by steward-log's unit tests.
#![cfg(target_os = "linux")]

use std::time::Duration;

use steward_wine_bench::{BenchError, State, WineBench, fresh_windows_exe};

/// The longest any single wait may take (Wine on a loaded 2-core machine is slow).
const DEADLINE: Duration = Duration::from_secs(60);
/// Where the binaries and the config go.
const DIR: &str = r"C:\steward-events";
/// The service's name.
const NAME: &str = "sup-events";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// The debug-log lines on an `eventlog` channel, as `(channel, line)`.
fn eventlog_lines(log: &str) -> Vec<(&str, &str)> {
    log.lines()
        .filter(|l| l.contains(":eventlog:"))
        .filter_map(|l| {
            let channel = l
                .split(':')
                .find(|p| ["err", "warn", "trace"].contains(p))?;
            Some((channel, l))
        })
        .collect()
}

/// The channels of every eventlog line holding `needle`.
fn channels(log: &str, needle: &str) -> Vec<String> {
    eventlog_lines(log)
        .into_iter()
        .filter(|(_, l)| l.contains(needle))
        .map(|(c, _)| c.to_owned())
        .collect()
}

#[test]
fn crash_loop_reports_restarts_as_warnings_and_the_start_limit_as_errors() -> Result<(), BenchError>
{
    let steward = bench().copy_into_prefix(
        &fresh_windows_exe("steward-cli", "steward")?,
        &format!(r"{DIR}\steward.exe"),
    )?;
    let child = bench().copy_into_prefix(
        &fresh_windows_exe("fixture-child", "fixture-child")?,
        &format!(r"{DIR}\fixture-child.exe"),
    )?;
    let config = format!(r"{DIR}\steward.toml");
    let text = format!(
        r#"[service]
name = "{NAME}"
[program]
command = '{child}'
args = ["--exit", "7"]
[restart]
policy = "on-failure"
delay = "50ms"
max_delay = "50ms"
start_limit = {{ burst = 3, interval = "60s" }}
"#
    );
    let unix = bench().to_unix(&config)?;
    std::fs::write(&unix, text).map_err(|source| BenchError::Io {
        what: format!("write {}", unix.display()),
        source,
    })?;
    bench().create_service(NAME, &steward, &["run", "--config", &config])?;
    bench().start_service(NAME, &[])?;
    let stopped = bench().wait_state(NAME, State::Stopped, DEADLINE)?;
    assert_eq!(stopped.service_specific_exit_code, 7, "{stopped:?}");

    let log = bench().wait_for_debug_log("service failed with exit code 7", DEADLINE)?;
    for (channel, line) in eventlog_lines(&log) {
        println!("[{channel}] {line}");
    }
    assert_eq!(channels(&log, "service started"), ["trace"], "{log}");
    // Three starts: three exits (warnings), two restarts (warnings), then the limit.
    assert_eq!(
        channels(&log, "the program exited code=7"),
        ["warn", "warn", "warn"],
        "{log}"
    );
    assert_eq!(
        channels(&log, "restarting the program delay_ms="),
        ["warn", "warn"],
        "{log}"
    );
    assert_eq!(
        channels(&log, "start limit hit: the service fails code=7"),
        ["err"],
        "{log}"
    );
    assert_eq!(
        channels(&log, "service failed with exit code 7"),
        ["err"],
        "{log}"
    );
    bench().delete_service(NAME)?;
    Ok(())
}
