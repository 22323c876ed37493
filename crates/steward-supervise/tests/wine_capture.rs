//! Output capture on Windows under Wine's real service manager: `steward.exe run --config ...`
//! installed as a service wraps `fixture-child.exe --spew 1000 --hang`, whose stdout is an
//! anonymous pipe the supervisor reads. The log file in the prefix holds all 1000 lines in
//! order; `steward.exe logs NAME` (which finds the config in the service's registered command
//! line) prints them; a stop is clean and quick.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use steward_wine_bench::{
    BenchError, Control, State, WineBench, fresh_windows_exe, io_error, poll,
};

/// The longest any single wait may take (Wine on a loaded 2-core machine is slow).
const DEADLINE: Duration = Duration::from_secs(60);
/// Where the binaries go.
const BIN: &str = r"C:\steward-cap\bin";
/// Lines the fixture prints.
const LINES: usize = 1000;

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// The service `cap-<name>` in `C:\steward-cap\<name>`, deleted on drop.
struct Case {
    name: String,
    dir: String,
}

impl Case {
    fn new(name: &str) -> Result<Case, BenchError> {
        let case = Case {
            name: format!("cap-{name}"),
            dir: format!(r"C:\steward-cap\{name}"),
        };
        let unix = bench().to_unix(&case.dir)?;
        let _ = std::fs::remove_dir_all(&unix);
        std::fs::create_dir_all(&unix).map_err(io_error(format!("mkdir {unix:?}")))?;
        Ok(case)
    }

    fn win(&self, file: &str) -> String {
        format!(r"{}\{file}", self.dir)
    }

    fn unix(&self, file: &str) -> PathBuf {
        bench().to_unix(&self.win(file)).expect("a path on drive C")
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if bench()
            .query(&self.name)
            .is_ok_and(|s| s.state != State::Stopped)
        {
            let _ = bench().control(&self.name, Control::Stop);
            let _ = bench().wait_state(&self.name, State::Stopped, Duration::from_secs(5));
        }
        let _ = bench().delete_service(&self.name);
    }
}

/// Asserts `text` is `line 1` .. `line LINES`, in order, each once.
fn assert_all_lines(text: &str) {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect();
    let expected: Vec<String> = (1..=LINES).map(|i| format!("line {i}")).collect();
    assert_eq!(lines, expected);
}

#[test]
fn a_services_output_is_captured_in_order_and_the_stop_is_clean() -> Result<(), BenchError> {
    let steward = fresh_windows_exe("steward-cli", "steward")?;
    let fixture = fresh_windows_exe("fixture-child", "fixture-child")?;
    let steward = bench().copy_into_prefix(&steward, &format!(r"{BIN}\steward.exe"))?;
    let fixture = bench().copy_into_prefix(&fixture, &format!(r"{BIN}\fixture-child.exe"))?;
    let case = Case::new("spew")?;
    let config = format!(
        r#"[service]
name = "{}"
[program]
command = '{fixture}'
args = ["--spew", "{LINES}", "--hang"]
stop_timeout = "20s"
[log]
max_size = "1MB"
"#,
        case.name
    );
    let path = case.unix("steward.toml");
    std::fs::write(&path, config).map_err(io_error(format!("write {path:?}")))?;
    let config = case.win("steward.toml");
    bench().create_service(&case.name, &steward, &["run", "--config", &config])?;
    bench().start_service(&case.name, &[])?;
    bench().wait_state(&case.name, State::Running, DEADLINE)?;

    // The default [log] dir: `logs` beside the config.
    let log = case.unix(&format!(r"logs\{}.stdout.log", case.name));
    let whole = poll(DEADLINE, || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains(&format!("line {LINES}\n")).then_some(text)
    });
    let text = whole.unwrap_or_else(|| {
        panic!(
            "{log:?} never got line {LINES}: {:?}",
            std::fs::read_to_string(&log).map(|t| t.len())
        )
    });
    assert_all_lines(&text);

    // `logs` finds the config through the service's registered command line.
    let printed = bench().run(&steward, &["logs", &case.name], "-all", DEADLINE)?;
    assert!(printed.status.success(), "{printed:?}");
    assert_all_lines(&printed.stdout);

    let sent = Instant::now();
    bench().control(&case.name, Control::Stop)?;
    let stopped = bench().wait_state(&case.name, State::Stopped, DEADLINE)?;
    let took = sent.elapsed();
    println!("capture under Wine: stop control to STOPPED in {took:?} (stop_timeout 20 s)");
    assert_eq!(
        (stopped.win32_exit_code, stopped.service_specific_exit_code),
        (0, 0),
        "{stopped:?}"
    );
    // Ctrl-C ended the child well before stop_timeout; the capture did not hold the stop.
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_all_lines(&std::fs::read_to_string(&log).map_err(io_error("read the log"))?);
    let stderr_log = case.unix(&format!(r"logs\{}.stderr.log", case.name));
    assert_eq!(std::fs::read_to_string(stderr_log).unwrap_or_default(), "");
    Ok(())
}
