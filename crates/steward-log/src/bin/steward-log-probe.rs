//! A test program for steward-log, run by its tests (under Wine on Windows):
//!
//! ```text
//! steward-log-probe register SOURCE EXE        register_event_source
//! steward-log-probe remove SOURCE              remove_event_source
//! steward-log-probe emit NAME [SYSLOG_SOCKET]  init, then one event per level
//! ```
//!
//! `emit` prints `destinations: a, b` on stdout, then logs (with `event_id`s 1002, 1200, 1000,
//! none, none): `probe error event`, `probe warning event`, `probe info event`,
//! `probe generic info`, `probe debug event` (left out by the default level).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["register", source, exe] => steward_log::register_event_source(source, exe.as_ref()),
        ["remove", source] => steward_log::remove_event_source(source),
        ["emit", name] => emit(steward_log::LogOptions::new(*name)),
        ["emit", name, socket] => emit(steward_log::LogOptions::new(*name).syslog_socket(socket)),
        _ => {
            eprintln!(
                "usage: steward-log-probe register SOURCE EXE | remove SOURCE | emit NAME [SYSLOG_SOCKET]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steward-log-probe: {}", steward_log::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Sets up logging and writes one event per level.
fn emit(options: steward_log::LogOptions) -> Result<(), steward_log::Error> {
    let guard = steward_log::init_with(options);
    let names: Vec<String> = guard.destinations().iter().map(|d| d.to_string()).collect();
    println!("destinations: {}", names.join(", "));
    if let Some(problem) = guard.problems().first() {
        eprintln!("problem: {}", steward_log::error_chain(problem));
    }
    tracing::error!(event_id = 1002, code = 7, "probe error event");
    tracing::warn!(event_id = 1200, "probe warning event");
    tracing::info!(event_id = 1000, "probe info event");
    tracing::info!("probe generic info");
    tracing::debug!("probe debug event");
    Ok(())
}
