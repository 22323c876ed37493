//! The Windows backend: every Win32 call of wine-probe lives below this module.

mod console_run;
mod registry;
mod scm;
mod serve;
mod storm;
mod watch;

use crate::cli::Command;
use crate::failure::Failure;
use std::time::Duration;

/// Runs one parsed command, printing its JSON result on stdout.
pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Hold { until_stdin_closes } => {
            // The bench waits for this line: it proves Wine finished starting this process (and
            // with it, services.exe) before any other process joins the session.
            println!("{}", serde_json::json!({ "holding": std::process::id() }));
            // A failed flush only means nobody listens; holding on is still the job.
            let _ = std::io::Write::flush(&mut std::io::stdout());
            if until_stdin_closes {
                // Read errors count as closed: either way the parent is gone.
                let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
                return Ok(());
            }
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        Command::Create {
            name,
            binpath,
            args,
        } => scm::create(&name, &crate::cli::image_path(&binpath, &args)),
        Command::Start { name, args } => scm::start(&name, &args),
        Command::Delete { name } => scm::delete(&name),
        Command::Control { name, control } => scm::control(&name, control),
        Command::Query { name } => {
            let status = scm::open_service(&name)?.query()?;
            println!("{}", crate::status::to_json(&status));
            Ok(())
        }
        Command::Watch {
            name,
            interval_ms,
            duration_ms,
            until,
        } => watch::watch(&name, interval_ms, duration_ms, until.as_deref()),
        Command::Wait {
            name,
            state,
            timeout_ms,
        } => watch::wait(&name, &state, timeout_ms),
        Command::RegQuery { key, value } => registry::query(&key, value.as_deref()),
        Command::Serve { name, pending_ms } => serve::serve(&name, pending_ms),
        Command::ConsoleRun(run) => console_run::console_run(&run),
        Command::ControlStorm { name, count } => storm::storm(&name, count),
    }
}

/// A NUL-terminated UTF-16 copy of `s` for `PCWSTR` parameters.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The calling thread's last Win32 error code.
fn last_error() -> u32 {
    // SAFETY: GetLastError only reads thread-local state.
    unsafe { windows_sys::Win32::Foundation::GetLastError() }
}
