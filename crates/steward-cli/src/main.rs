//! `steward`: run any program as a reliable service, install and control services, validate
//! configs. Argument parsing and wiring only; the work is done by `steward` (runtime and
//! control), `steward-config` and `steward-supervise`. Exit codes are documented in `docs/cli.md`.

mod admin;
mod check;
mod cli;
mod control;
mod health;
mod logs;
mod package;
mod registry_announce;
mod registry_cmd;
mod registry_report;
mod run;
mod standby;
mod state;
mod status;
mod sys;

use std::process::{ExitCode, Termination};

use anyhow::Context as _;
use clap::Parser;

use crate::check::InvalidConfig;
use crate::cli::{Cli, DEFAULT_CONFIG, Verb};

/// Exit status: the operation failed (or `check` found errors).
const EXIT_FAILURE: u8 = 1;
/// Exit status: bad command line, or a verb this build does not provide.
const EXIT_USAGE: u8 = 2;

/// A verb that exists in the contract but not in this version.
#[derive(Debug)]
#[allow(dead_code)] // every verb of the contract is available now; kept for the next one
struct NotAvailable(&'static str);

impl std::fmt::Display for NotAvailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`steward {}` is not available in this version of steward yet",
            self.0
        )
    }
}

impl std::error::Error for NotAvailable {}

/// How a verb ended well.
enum Done {
    /// Print this line on stdout, exit 0.
    Line(String),
    /// `run` ended: exit as the runtime says.
    Exit(steward::Exit),
    /// The verb printed its output itself; exit 0.
    Printed,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Printing fails only when the stream is closed; the exit code still tells.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match dispatch(cli.verb) {
        Ok(Done::Line(line)) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Ok(Done::Exit(exit)) => exit.report(),
        Ok(Done::Printed) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

fn dispatch(verb: Verb) -> anyhow::Result<Done> {
    let manager = || steward::control::native();
    let line = match verb {
        Verb::Run { config, program } => {
            let path = config.unwrap_or_else(|| DEFAULT_CONFIG.into());
            let source = if program.is_empty() {
                run::Source::File(&path)
            } else {
                run::Source::Quick(&program)
            };
            return run::run(source).map(Done::Exit);
        }
        Verb::Logs {
            name,
            follow,
            config,
        } => {
            logs::logs(&manager(), &name, follow, config.as_deref())?;
            return Ok(Done::Printed);
        }
        Verb::Registry { command } => {
            registry_cmd::registry(command)?;
            return Ok(Done::Printed);
        }
        Verb::Check { config } => check::check(&config.config)?,
        Verb::Install {
            config,
            force,
            print,
        } => {
            let loaded = check::load(&config.config)?;
            let exe =
                std::env::current_exe().context("cannot find the running steward executable")?;
            let request = control::install_request(&loaded, exe);
            control::install(&manager(), &request, force, print)?
        }
        Verb::Uninstall { name, timeout } => control::uninstall(&manager(), &name, timeout)?,
        Verb::Start { name, wait } => control::start(&manager(), &name, &wait)?,
        Verb::Stop { name, wait } => control::stop(&manager(), &name, &wait)?,
        Verb::Restart { name, wait } => control::restart(&manager(), &name, &wait)?,
        Verb::Status { name, json, config } => {
            let candidates = state::status_state_files(&name);
            let target = admin::target_of(&manager(), &name, config.as_deref());
            status::status_with_admin(&manager(), &name, json, &candidates, target.as_ref())?
        }
        Verb::Package {
            config,
            out,
            dry_run,
            init,
        } => package::package(&config.config, out, dry_run, init)?,
    };
    Ok(Done::Line(line))
}

/// Prints every error of an invalid config, one `file:line:col: message` line each.
pub(crate) fn print_config_errors(invalid: &InvalidConfig) {
    for error in &invalid.errors {
        eprintln!("{error}");
    }
}

/// Prints the one-line cause (after the config's errors, if that was the cause) and picks the
/// exit status.
fn report(error: &anyhow::Error) -> ExitCode {
    if let Some(invalid) = error.downcast_ref::<InvalidConfig>() {
        print_config_errors(invalid);
    }
    eprintln!("error: {error:#}");
    if error.downcast_ref::<NotAvailable>().is_some() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}
