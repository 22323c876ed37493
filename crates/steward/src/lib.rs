//! Write a service in Rust once; run it as a correct Windows service, a correct systemd service, or
//! in a terminal, with graceful shutdown built in.
//!
//! You describe the service with a [`ServiceSpec`], and hand [`run`] the code to run. The code gets
//! a [`Context`]: it says when to stop (blocking or async), delivers pause/continue and reload
//! events, and lets the code report readiness, a status line and heartbeats. steward speaks the
//! service manager's protocol for you:
//!
//! * **Windows**: the SCM dispatcher; `START_PENDING` with checkpoints that advance while your code
//!   initialises; `RUNNING`; `PAUSE_PENDING`/`PAUSED`/`CONTINUE_PENDING` if you opt in;
//!   `STOP_PENDING` with advancing checkpoints while your code drains; `STOPPED` with exit code 0,
//!   or `ERROR_SERVICE_SPECIFIC_ERROR` and a service-specific code when your code fails or panics,
//!   so recovery actions fire. Stop, preshutdown and shutdown all mean stop. Started from a
//!   terminal instead, the same executable runs in the foreground and stops on Ctrl-C, Ctrl-Break
//!   or when the console closes.
//! * **Unix**: SIGTERM and SIGINT stop, SIGHUP reloads; under systemd (`Type=notify`) `READY=1`,
//!   `STOPPING=1`, `STATUS=`, `EXTEND_TIMEOUT_USEC=` during long starts and stops, and `WATCHDOG=1`
//!   at half of `WatchdogSec=` for as long as your heartbeat is fresh.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use steward::{Context, ServiceSpec};
//!
//! fn main() -> steward::Exit {
//!     let spec = ServiceSpec::new("hello")
//!         .display_name("Hello Service")
//!         .description("Says hello every five seconds");
//!     steward::run(spec, |ctx: Context| {
//!         // Initialise here: the service manager sees "starting" until `ready()`.
//!         ctx.ready();
//!         while !ctx.wait_for_shutdown(Duration::from_secs(5)) {
//!             tracing::info!("Service is running...");
//!         }
//!         Ok(()) // a clean stop: exit code 0
//!     })
//! }
//! ```
//!
//! # Ending
//!
//! [`run`] returns an [`Exit`]: return it from `main`. The exit codes are documented in
//! [`exit_code`]. If the code does not return within the grace period after a stop request
//! ([`ServiceSpec::shutdown_grace`]), the runtime reports the stop with
//! [`exit_code::GRACE_EXPIRED`] and ends the process instead of hanging.
//!
//! Panics are caught and reported (exit code [`exit_code::PANICKED`]); this needs the default
//! `panic = "unwind"`.

mod cli;
mod context;
pub mod control;
mod driver;
mod exit;
mod runtime;
mod shared;
mod spec;

pub use context::{Context, Event};
pub use exit::{Exit, Failure, exit_code};
pub use runtime::Mode;
pub use spec::{DEFAULT_PROGRESS_INTERVAL, DEFAULT_SHUTDOWN_GRACE, ServiceSpec};

/// Runs `service` as the process's service, choosing what to do from the command line:
///
/// * no arguments: as a service when the service manager started the process, in the foreground
///   otherwise ([`Mode::Auto`]);
/// * `run`: in the foreground ([`Mode::Console`]);
/// * `install [--force] [--print] [--start ...] [--account ...]`, `uninstall`,
///   `start|stop [--wait] [--timeout DUR]`, `restart`, `status [--json]`: controls the service
///   described by `spec` through the platform's service manager, prints one line and ends the
///   process (exit status 0 on success, 1 on failure, 2 for a bad command line). See
///   [`control`] and `docs/status-json.md`.
///
/// Programs that parse their own arguments use [`run_with`].
pub fn run<F>(spec: ServiceSpec, service: F) -> Exit
where
    F: FnOnce(Context) -> Result<(), Failure> + Send + 'static,
{
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match cli::parse(spec.name(), args) {
        Ok(cli::Invocation::Run(mode)) => run_with(spec, mode, service),
        Ok(cli::Invocation::Control(verb)) => cli::control_main(&spec, verb),
        Err(error) => cli::usage_main(&error),
    }
}

/// Runs `service` in the given mode. Blocks until the service has stopped.
pub fn run_with<F>(spec: ServiceSpec, mode: Mode, service: F) -> Exit
where
    F: FnOnce(Context) -> Result<(), Failure> + Send + 'static,
{
    runtime::run(spec, mode, Box::new(service))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<cli::Invocation, clap::Error> {
        cli::parse("svc", args.iter().map(Into::into).collect())
    }

    #[test]
    fn command_line_selects_the_mode() {
        assert!(matches!(parse(&[]), Ok(cli::Invocation::Run(Mode::Auto))));
        assert!(matches!(
            parse(&["run"]),
            Ok(cli::Invocation::Run(Mode::Console))
        ));
        let error = parse(&["instal"])
            .expect_err("a typo is refused")
            .to_string();
        assert!(error.contains("'instal'"), "{error}");
    }
}

/// The README's example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
