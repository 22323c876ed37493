//! The verbs every service built on the library gets for itself:
//!
//! ```text
//! myservice                       run under the service manager (or in the foreground)
//! myservice run                   run in the foreground
//! myservice install [--force] [--print] [--start auto|delayed|manual|disabled] [--account ACCOUNT]
//!                   [--depends-on SERVICE]...
//! myservice uninstall [--timeout DUR]
//! myservice start|stop [--wait] [--timeout DUR]
//! myservice restart [--timeout DUR]
//! myservice status [--json]
//! ```
//!
//! `install` registers the running executable itself (its absolute path, always quoted) under the
//! spec's name, display name and description. `ACCOUNT` is `LocalService` (the default),
//! `NetworkService`, `LocalSystem`, `virtual` (`NT SERVICE\<name>`) or `DOMAIN\user`; the password of a
//! named account is read from standard input when it is not a terminal, else prompted for.
//!
//! A verb prints one line on success (stdout) or one `error: ...` line (stderr). Exit status: 0 on
//! success, 1 when the operation failed, 2 for a bad command line. `status --json` prints the
//! schema documented in `docs/status-json.md`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::control::{
    Account, ControlError, FailureAction, FailureActions, InstallMode, InstallRequest,
    ServiceManager, ServiceSidType, ServiceState, ServiceStatus, Setting, StartType, scm,
};
use crate::{Mode, ServiceSpec};

/// How long `start`/`stop`/`restart`/`uninstall` wait by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The command line of a service built on the library.
#[derive(Debug, Parser)]
#[command(disable_version_flag = true)]
struct Cli {
    /// What to do; none: run as the service.
    #[command(subcommand)]
    verb: Option<Verb>,
}

/// One verb.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub(crate) enum Verb {
    /// Run in the foreground (Ctrl-C stops).
    Run,
    /// Register this executable as a service.
    Install(InstallArgs),
    /// Stop the service if it runs, then remove it.
    Uninstall {
        /// How long to wait for it to stop.
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Start the service.
    Start {
        /// Wait until it runs.
        #[arg(long)]
        wait: bool,
        /// How long to wait (default 30s).
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Stop the service.
    Stop {
        /// Wait until it has stopped.
        #[arg(long)]
        wait: bool,
        /// How long to wait (default 30s).
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Stop the service (if it runs) and start it again, waiting for both.
    Restart {
        /// How long each step may take (default 30s).
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Show the service's status.
    Status {
        /// As JSON (see docs/status-json.md).
        #[arg(long)]
        json: bool,
    },
}

/// The options of `install`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub(crate) struct InstallArgs {
    /// Reconfigure the service in place if it exists.
    #[arg(long)]
    force: bool,
    /// Print the plan without changing anything.
    #[arg(long)]
    print: bool,
    /// When it starts: auto | delayed | manual | disabled (default auto).
    #[arg(long, value_parser = parse_start)]
    start: Option<StartType>,
    /// LocalService (default) | NetworkService | LocalSystem | virtual | DOMAIN\user.
    #[arg(long, value_parser = parse_account)]
    account: Option<Account>,
    /// A service that must run first (repeatable).
    #[arg(long = "depends-on", value_name = "SERVICE")]
    depends_on: Vec<String>,
    /// Service SID type: none | unrestricted | restricted (default unrestricted).
    #[arg(long, value_parser = parse_sid_type)]
    sid_type: Option<ServiceSidType>,
    /// A privilege the service keeps (repeatable); all others are removed from its token.
    #[arg(long = "privilege", value_name = "NAME")]
    privileges: Vec<String>,
    /// Restart delays after the first, second, ... failure, e.g. `1s,5s,30s` (default).
    #[arg(long, value_parser = parse_delays)]
    failure_actions: Option<Delays>,
    /// How long the service may take to stop at system shutdown (default: grace + 5s).
    #[arg(long, value_parser = parse_duration)]
    preshutdown_timeout: Option<Duration>,
}

/// A comma-separated list of restart delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delays(Vec<Duration>);

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Invocation {
    /// Run the service in this mode.
    Run(Mode),
    /// A control verb.
    Control(Verb),
}

/// Parses the arguments after the program name. `Err` carries clap's error, which knows how to
/// print itself (help text included) and its exit code.
pub(crate) fn parse(program: &str, args: Vec<OsString>) -> Result<Invocation, clap::Error> {
    let argv = std::iter::once(OsString::from(program)).chain(args);
    let cli = Cli::try_parse_from(argv)?;
    Ok(match cli.verb {
        None => Invocation::Run(Mode::Auto),
        Some(Verb::Run) => Invocation::Run(Mode::Console),
        Some(verb) => Invocation::Control(verb),
    })
}

/// The entry of the control verbs: runs `verb` against this platform's service manager, prints
/// the one-line result and ends the process with the documented exit status.
pub(crate) fn control_main(spec: &ServiceSpec, verb: Verb) -> ! {
    let manager = crate::control::native();
    let code = match execute(&manager, spec, &verb, current_exe) {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(error) => {
            eprintln!("error: {error}");
            1
        }
    };
    std::process::exit(code)
}

/// Prints a command-line error (or the help text) and ends the process with clap's exit code.
pub(crate) fn usage_main(error: &clap::Error) -> ! {
    // Printing can only fail when the stream is closed; the exit code still tells.
    let _ = error.print();
    std::process::exit(error.exit_code())
}

/// The running executable, absolute.
fn current_exe() -> Result<PathBuf, ControlError> {
    std::env::current_exe().map_err(|source| ControlError::Os {
        service: String::new(),
        operation: "find the running executable".into(),
        source,
    })
}

/// Runs one verb and returns the line to print.
pub(crate) fn execute<M: ServiceManager>(
    manager: &M,
    spec: &ServiceSpec,
    verb: &Verb,
    exe: impl FnOnce() -> Result<PathBuf, ControlError>,
) -> Result<String, ControlError> {
    let name = spec.name();
    match verb {
        Verb::Run => Ok(String::new()),
        Verb::Install(args) => install(manager, spec, args, exe),
        Verb::Uninstall { timeout } => {
            manager.uninstall(name, timeout.unwrap_or(DEFAULT_TIMEOUT))?;
            Ok(format!("uninstalled service '{name}'"))
        }
        Verb::Start { wait, timeout } => {
            let status = manager.start(name, wait.then(|| timeout.unwrap_or(DEFAULT_TIMEOUT)))?;
            Ok(format!("started {}", describe(&status)))
        }
        Verb::Stop { wait, timeout } => {
            let status = manager.stop(name, wait.then(|| timeout.unwrap_or(DEFAULT_TIMEOUT)))?;
            Ok(format!("stopped {}", describe(&status)))
        }
        Verb::Restart { timeout } => {
            let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
            match manager.stop(name, Some(timeout)) {
                Ok(_) | Err(ControlError::NotRunning(_)) => {}
                Err(error) => return Err(error),
            }
            let status = manager.start(name, Some(timeout))?;
            Ok(format!("restarted {}", describe(&status)))
        }
        Verb::Status { json } => {
            let status = manager.status(name)?;
            if *json {
                serde_json::to_string(&status).map_err(|e| ControlError::Os {
                    service: name.to_owned(),
                    operation: "render the status as JSON".into(),
                    source: std::io::Error::other(e),
                })
            } else {
                Ok(describe(&status))
            }
        }
    }
}

/// `install`: plans, then prints (`--print`) or executes the plan.
fn install<M: ServiceManager>(
    manager: &M,
    spec: &ServiceSpec,
    args: &InstallArgs,
    exe: impl FnOnce() -> Result<PathBuf, ControlError>,
) -> Result<String, ControlError> {
    let request = install_request(spec, exe()?, args);
    let mode = if args.force {
        InstallMode::CreateOrUpdate
    } else {
        InstallMode::CreateOnly
    };
    let plan = manager.plan_install(&request, mode)?;
    if args.print {
        return Ok(plan.to_string().trim_end().to_owned());
    }
    manager.execute(&plan)?;
    let done = if args.force {
        "installed or reconfigured"
    } else {
        "installed"
    };
    Ok(format!(
        "{done} service '{}' ({})",
        spec.name(),
        request.executable.display()
    ))
}

/// The request `install` makes: the spec's names, this executable, the options given, and
/// steward's hardening defaults for the rest (restart on failure including non-crash failures,
/// an unrestricted service SID, a preshutdown timeout covering the shutdown grace).
fn install_request(spec: &ServiceSpec, executable: PathBuf, args: &InstallArgs) -> InstallRequest {
    let delays = args.failure_actions.clone().map(|d| d.0);
    let default_delays = [1, 5, 30].map(Duration::from_secs).to_vec();
    let delays = setting(delays, default_delays);
    let failure_actions = Setting {
        value: FailureActions {
            actions: delays
                .value
                .into_iter()
                .map(FailureAction::Restart)
                .collect(),
            reset_period: Duration::from_secs(24 * 60 * 60),
            on_non_crash_failures: true,
        },
        origin: delays.origin,
    };
    InstallRequest {
        name: spec.name().to_owned(),
        display_name: spec.display_name_or_name().to_owned(),
        description: spec.description_text().map(str::to_owned),
        executable,
        arguments: Vec::new(),
        start: setting(args.start, StartType::Auto),
        account: setting(args.account.clone(), Account::LocalService),
        dependencies: args.depends_on.clone(),
        environment: Vec::new(),
        failure_actions: Some(failure_actions),
        sid_type: Some(setting(args.sid_type, ServiceSidType::Unrestricted)),
        required_privileges: (!args.privileges.is_empty())
            .then(|| Setting::explicit(args.privileges.clone())),
        stop_timeout: Some(setting(
            args.preshutdown_timeout,
            spec.grace() + Duration::from_secs(5),
        )),
    }
}

/// The user's value if given, else steward's default.
fn setting<T>(value: Option<T>, default: T) -> Setting<T> {
    match value {
        Some(v) => Setting::explicit(v),
        None => Setting::default_value(default),
    }
}

/// One line about a status: `'name': running (pid 42), start auto, account X, "C:\x.exe"`.
fn describe(status: &ServiceStatus) -> String {
    if !status.installed {
        return format!("'{}': not installed", status.name);
    }
    let mut line = format!("'{}': ", status.name);
    if let Some(state) = status.state {
        line.push_str(&scm::state_name(state));
    }
    if let Some(pid) = status.pid {
        line.push_str(&format!(" (pid {pid})"));
    }
    let stopped = matches!(
        status.state,
        Some(ServiceState::Stopped | ServiceState::Failed)
    );
    if stopped {
        line.push_str(&format!(
            " (win32 exit code {}, service exit code {})",
            status.win32_exit_code.unwrap_or(0),
            status.service_exit_code.unwrap_or(0)
        ));
    }
    if let Some(start) = status.start_type {
        let start = serde_json::to_value(start).ok();
        let start = start.as_ref().and_then(|v| v.as_str()).unwrap_or("?");
        line.push_str(&format!(", start {start}"));
    }
    if let Some(account) = &status.account {
        line.push_str(&format!(", account {account}"));
    }
    if let Some(command) = &status.command_line {
        line.push_str(&format!(", command {command}"));
    }
    line
}

/// `auto | delayed | manual | disabled`.
fn parse_start(text: &str) -> Result<StartType, String> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(StartType::Auto),
        "delayed" => Ok(StartType::Delayed),
        "manual" => Ok(StartType::Manual),
        "disabled" => Ok(StartType::Disabled),
        _ => Err(format!(
            "'{text}': expected auto, delayed, manual or disabled"
        )),
    }
}

/// `LocalService | NetworkService | LocalSystem | virtual | DOMAIN\user`.
fn parse_account(text: &str) -> Result<Account, String> {
    let lower = text.to_ascii_lowercase();
    let bare = lower.rsplit('\\').next().unwrap_or(&lower);
    let builtin = lower == bare || lower.starts_with(r"nt authority\");
    match (builtin, bare) {
        (true, "localsystem") => Ok(Account::LocalSystem),
        (true, "localservice") => Ok(Account::LocalService),
        (true, "networkservice") => Ok(Account::NetworkService),
        (true, "virtual") => Ok(Account::Virtual),
        _ if text.contains('\\') && !text.ends_with('\\') && !text.starts_with('\\') => {
            Ok(Account::User(text.to_owned()))
        }
        _ => Err(format!(
            "'{text}': expected LocalService, NetworkService, LocalSystem, virtual or DOMAIN\\user"
        )),
    }
}

/// `none | unrestricted | restricted`.
fn parse_sid_type(text: &str) -> Result<ServiceSidType, String> {
    match text.to_ascii_lowercase().as_str() {
        "none" => Ok(ServiceSidType::None),
        "unrestricted" => Ok(ServiceSidType::Unrestricted),
        "restricted" => Ok(ServiceSidType::Restricted),
        _ => Err(format!(
            "'{text}': expected none, unrestricted or restricted"
        )),
    }
}

/// `1s,5s,30s`.
fn parse_delays(text: &str) -> Result<Delays, String> {
    text.split(',')
        .map(parse_duration)
        .collect::<Result<_, _>>()
        .map(Delays)
}

/// `250ms`, `10s`, `5m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("'{text}': {e}"))
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
