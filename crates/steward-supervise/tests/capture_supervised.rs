//! The supervisor with capture, in process: a program that prints a line without its newline
//! and fails, restarted until the start limit. Each run's output is in the one log, the
//! unfinished last line of a run is ended before the next run's output (the restart waits for
//! the previous run's pipes to end), stderr goes to its own file, and the state file carries
//! the capture's final counters.
//!
//! One test in this file: a supervisor makes its process a child subreaper and reaps every
//! child outside its group.
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::TempDir;
use steward_supervise::capture::CaptureConfig;
use steward_supervise::{
    Outcome, ProgramSpec, RestartMode, RestartPolicy, StartLimit, Supervisor, read_state_file,
};

#[test]
fn each_run_appends_to_one_log_and_a_partial_line_is_ended() {
    let dir = TempDir::new("capture-supervised");
    let logs = dir.path("logs");
    let state = dir.path("state.json");
    // Ten full lines, then a partial one, on stdout; one line on stderr; exit 1.
    let script = r#"i=1; while [ $i -le 10 ]; do echo "run $$ line $i"; i=$((i+1)); done; printf 'partial'; echo oops >&2; exit 1"#;
    let program = ProgramSpec::new("/bin/sh").args(["-c", script]);
    let policy = RestartPolicy {
        mode: RestartMode::OnFailure,
        delay: Duration::ZERO,
        jitter: 0.0,
        start_limit: Some(StartLimit {
            burst: 3,
            interval: Duration::from_secs(600),
        }),
        ..RestartPolicy::default()
    };
    let supervisor = Supervisor::new(program)
        .restart(policy)
        .state_file(&state)
        .capture(CaptureConfig::new(&logs, "sup"));
    let exit = steward::run_with(
        steward::ServiceSpec::new("capture-supervised"),
        steward::Mode::Console,
        move |ctx| match supervisor.run(&ctx) {
            Ok(Outcome::Failed { code, .. }) => {
                assert_eq!(code, 1);
                Ok(())
            }
            other => panic!("expected the start limit to fail the service: {other:?}"),
        },
    );
    drop(exit);

    let stdout = std::fs::read_to_string(logs.join("sup.stdout.log")).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3 * 11, "{stdout}");
    assert!(stdout.ends_with('\n'), "the last partial line is ended");
    for run in lines.chunks(11) {
        let pid = run[0]
            .strip_prefix("run ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("{stdout}"));
        for (i, line) in run[..10].iter().enumerate() {
            assert_eq!(*line, format!("run {pid} line {}", i + 1), "{stdout}");
        }
        assert_eq!(run[10], "partial", "{stdout}");
    }
    let stderr = std::fs::read_to_string(logs.join("sup.stderr.log")).unwrap();
    assert_eq!(stderr, "oops\noops\noops\n");

    let record = read_state_file(&state).unwrap();
    assert_eq!(record.restarts, 2);
    let capture = record.capture.expect("the capture's counters");
    assert_eq!(
        capture.bytes_written,
        (stdout.len() + stderr.len()) as u64,
        "{capture:?}"
    );
    assert_eq!(capture.bytes_dropped, 0);
    assert!(!capture.degraded);
}
