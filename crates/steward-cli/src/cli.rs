//! The command line: verbs and options (clap derive). Parsing only; `main` dispatches.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The default config file, in the current directory.
pub const DEFAULT_CONFIG: &str = "steward.toml";

/// Run any program as a reliable service; install, control and check services.
#[derive(Debug, Parser)]
#[command(name = "steward", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub verb: Verb,
}

/// The `--config FILE` option shared by the verbs that read a config.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The config file.
    #[arg(long, short = 'c', value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
}

/// How long to wait, shared by the control verbs.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Block until the service has reached the state (default for `restart`).
    #[arg(long)]
    pub wait: bool,
    /// How long to wait, e.g. `30s` (default 30s); implies --wait.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// One verb of the `steward` command.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Supervise the program in the foreground, or as the service when the service manager
    /// started steward (Ctrl-C / SIGTERM / a service stop ends it).
    Run {
        /// The config file (ignored with the quick form).
        #[arg(long, short = 'c', value_name = "FILE", conflicts_with = "program")]
        config: Option<PathBuf>,
        /// Quick form: the program and its arguments, after `--`, with every setting defaulted.
        #[arg(last = true, value_name = "PROGRAM ARGS")]
        program: Vec<OsString>,
    },
    /// Register the service described by the config (SCM on Windows, systemd on Linux).
    Install {
        #[command(flatten)]
        config: ConfigArg,
        /// Reconfigure the service in place if it is already installed.
        #[arg(long)]
        force: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        print: bool,
    },
    /// Stop the service if it runs, then remove it.
    Uninstall {
        /// The service's name.
        name: String,
        /// How long to wait for it to stop (default 30s).
        #[arg(long, value_name = "DUR", value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Start an installed service.
    Start {
        /// The service's name.
        name: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Stop a running service.
    Stop {
        /// The service's name.
        name: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Stop the service (if it runs) and start it again.
    Restart {
        /// The service's name.
        name: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Show the service's status.
    Status {
        /// The service's name.
        name: String,
        /// Print the stable JSON form (docs/status-json.md).
        #[arg(long)]
        json: bool,
        /// The service's config, for its `[admin]` endpoint (default: the one the installed
        /// service runs with).
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the program's captured stdout and stderr (rotated files first).
    Logs {
        /// The service's name.
        name: String,
        /// Keep printing new output until interrupted.
        #[arg(long, short = 'f')]
        follow: bool,
        /// The service's config (default: the one the installed service runs with).
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate a config: print every error as `file:line:col: message`.
    Check {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Read the service registry (etcd): list instances, watch them join and leave.
    Registry {
        /// What to do.
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Build the release artifacts: zip + SHA256SUMS, MSI, NSIS setup, signatures, winget.
    Package {
        #[command(flatten)]
        config: ConfigArg,
        /// Where to write the artifacts (default `dist` next to the config).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the plan (every artifact and step) and build nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write a new upgrade code into the config's [package] table, then stop.
        #[arg(long, conflicts_with = "dry_run")]
        init: bool,
    },
}

/// `steward registry ...`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// List the registered instances of SERVICE (default: of every service).
    List(RegistryArgs),
    /// Print instances joining, leaving and changing health as it happens, until interrupted.
    Watch(RegistryArgs),
}

/// Options of `registry list` and `registry watch`.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// The service whose instances to show (default: every service under the prefix).
    pub service: Option<String>,
    /// Print the stable JSON form (docs/registry.md).
    #[arg(long)]
    pub json: bool,
    /// The config whose `[registry]` table says where etcd is (default: steward.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// etcd endpoints, comma-separated; override the config's (no config needed: plain HTTP,
    /// no auth).
    #[arg(long, value_name = "URL[,URL]", value_delimiter = ',')]
    pub endpoints: Vec<String>,
    /// Key prefix; overrides the config's (default `/services/`).
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    steward_config::parse_duration(text)
        .map_err(|error| format!("expected {} ({error})", steward_config::DURATION_FORMS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Verb, clap::Error> {
        Cli::try_parse_from(std::iter::once("steward").chain(args.iter().copied()))
            .map(|cli| cli.verb)
    }

    #[test]
    fn config_defaults_to_steward_toml() {
        let Verb::Check { config } = parse(&["check"]).unwrap() else {
            panic!()
        };
        assert_eq!(config.config, PathBuf::from("steward.toml"));
        let Verb::Install {
            config,
            force,
            print,
        } = parse(&["install", "--config", "x.toml", "--print"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(config.config, PathBuf::from("x.toml"));
        assert!(print && !force);
    }

    #[test]
    fn run_quick_form_takes_everything_after_the_double_dash() {
        let Verb::Run { config, program } =
            parse(&["run", "--", "node", "--port", "8080"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(config, None);
        assert_eq!(program, ["node", "--port", "8080"]);
        assert!(parse(&["run", "--config", "a.toml", "--", "node"]).is_err());
    }

    #[test]
    fn control_verbs_take_a_name_and_a_timeout() {
        let Verb::Stop { name, wait } =
            parse(&["stop", "web", "--wait", "--timeout", "5s"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(name, "web");
        assert!(wait.wait);
        assert_eq!(wait.timeout, Some(Duration::from_secs(5)));
        assert!(parse(&["start", "web", "--timeout", "5"]).is_err());
        assert!(parse(&["status"]).is_err());
        let Verb::Status { json, .. } = parse(&["status", "web", "--json"]).unwrap() else {
            panic!()
        };
        assert!(json);
    }

    #[test]
    fn registry_verbs_take_an_optional_service_and_endpoints() {
        let Verb::Registry {
            command: RegistryCommand::List(args),
        } = parse(&["registry", "list"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(args.service, None);
        assert!(!args.json && args.config.is_none() && args.endpoints.is_empty());
        let Verb::Registry {
            command: RegistryCommand::Watch(args),
        } = parse(&[
            "registry",
            "watch",
            "web",
            "--json",
            "--endpoints",
            "http://a:2379,http://b:2379",
            "--prefix",
            "/apps/",
        ])
        .unwrap()
        else {
            panic!()
        };
        assert_eq!(args.service.as_deref(), Some("web"));
        assert!(args.json);
        assert_eq!(args.endpoints, ["http://a:2379", "http://b:2379"]);
        assert_eq!(args.prefix.as_deref(), Some("/apps/"));
        assert!(parse(&["registry"]).is_err());
        assert!(parse(&["registry", "list", "a", "b"]).is_err());
    }
}
