//! The `steward.toml` config: read, validated and resolved in two phases.
//!
//! 1. The **raw layer** mirrors the file: every key optional, unknown keys refused, values kept
//!    with their position in the file.
//! 2. The **resolved layer** ([`Config`]) is fully defaulted and typed: durations are
//!    [`Duration`](std::time::Duration)s, paths are absolute (relative paths in a config are
//!    relative to the config file's directory), enums are enums. Logic only ever sees this layer.
//!
//! [`check`] collects **every** error of a file, not just the first: TOML syntax errors, unknown
//! tables and keys, values of the wrong type, and semantic errors (a bad duration, an unknown
//! account form, `burst = 0`, `max_delay` below `delay`, an empty command, an invalid service
//! name), each as one line `file:line:col: message` naming the key and what was expected.
//!
//! Every key is documented in `docs/config.md`.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! let text = r#"
//! [service]
//! name = "hello"
//!
//! [program]
//! command = "/bin/sh"
//! args = ["-c", "echo hi"]
//!
//! [restart]
//! delay = "250ms"
//! "#;
//! let config = steward_config::check_str(text, "/srv/hello/steward.toml".as_ref()).unwrap();
//! assert_eq!(config.service.name, "hello");
//! assert_eq!(config.restart.delay, Duration::from_millis(250));
//! assert_eq!(config.restart.max_delay, Duration::from_secs(30)); // the default
//! assert_eq!(config.program.unwrap().cwd, std::path::Path::new("/srv/hello"));
//!
//! let errors = steward_config::check_str(
//!     "[service]\nname = \"hello\"\n[registry]\nttl = \"1s\"\n",
//!     "steward.toml".as_ref(),
//! )
//! .unwrap_err();
//! assert_eq!(
//!     errors[0].to_string(),
//!     "steward.toml:4:7: registry.ttl = \"1s\": expected a lease TTL of at least \"2s\" (keepalives go out every ttl / 3)"
//! );
//! ```

mod error;
mod fields;
mod resolver;
mod setting;
mod tables;
mod units;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, ErrorKind, Location};
pub use setting::{Account, Origin, Setting, StartType};
pub use steward_registry::{OnUnhealthy, RegistryConfig, TlsFiles};
pub use tables::admin::{Admin, DEFAULT_ADMIN_LISTEN};
pub use tables::health::{DEFAULT_START_TIMEOUT, Health, HealthCheck, Probe, Role};
pub use tables::hooks::{DEFAULT_HOOK_TIMEOUT, Hook, Hooks};
pub use tables::log::{
    DEFAULT_LOG_MAX_LINE, DEFAULT_LOG_MAX_SIZE, Log, LogFormat, LogPolicy, LogRotate,
    MAX_LOG_MAX_LINE,
};
pub use tables::package::{
    Format, MsiVersion, Package, PasswordSource, Signing, parse_guid, parse_msi_version,
};
pub use tables::program::{DEFAULT_STOP_TIMEOUT, Program, StopSignal};
pub use tables::registry::Registry;
pub use tables::restart::{Policy, Restart, StartLimit};
pub use tables::service::{MAX_NAME_LEN, Service, parse_account, valid_name};
pub use tables::{PLANNED, SUPPORTED};
pub use units::{
    DURATION_FORMS, SIZE_FORMS, UnitError, format_duration, parse_duration, parse_size,
};

/// A resolved config: every value present, defaulted and typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file, as an absolute path.
    pub file: PathBuf,
    /// Its directory, which relative paths in the file are resolved against.
    pub dir: PathBuf,
    /// `[service]`.
    pub service: Service,
    /// `[program]`: the wrapped program; absent for services written with the library.
    pub program: Option<Program>,
    /// `[restart]`, defaulted when absent.
    pub restart: Restart,
    /// `[hooks]`, empty when absent.
    pub hooks: Hooks,
    /// `[log]`, defaulted when absent.
    pub log: Log,
    /// `[package]`: what `steward package` builds; absent when not packaged.
    pub package: Option<Package>,
    /// `[health]`: checks, readiness gate and watchdog; absent when not configured.
    pub health: Option<Health>,
    /// `[admin]`: the admin endpoint; absent (no endpoint) when not configured.
    pub admin: Option<Admin>,
    /// `[registry]`: announcement in etcd and cold standby; absent (no registration) when not
    /// configured.
    pub registry: Option<Registry>,
}

impl Config {
    /// The config of the quick form `steward run -- PROGRAM ARGS...`: a service named after the
    /// program's file stem, everything else defaulted, paths relative to `dir`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = steward_config::Config::for_program("/usr/bin/python3".as_ref(), vec!["app.py".into()], "/srv".as_ref());
    /// assert_eq!(config.service.name, "python3");
    /// assert_eq!(config.program.unwrap().args, ["app.py"]);
    /// ```
    pub fn for_program(command: &Path, args: Vec<String>, dir: &Path) -> Config {
        let stem = command
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sanitized: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = if valid_name(&sanitized) {
            sanitized
        } else {
            "program".to_owned()
        };
        let resolver = resolver::Resolver::new(Path::new(""), "", dir.to_path_buf());
        let command = resolver.command(&command.to_string_lossy());
        Config {
            file: dir.join("steward.toml"),
            dir: dir.to_path_buf(),
            service: Service {
                display_name: name.clone(),
                name,
                description: None,
                start: Setting::default_value(StartType::Auto),
                account: Setting::default_value(Account::LocalService),
            },
            program: Some(Program {
                command,
                args,
                cwd: dir.to_path_buf(),
                env: Default::default(),
                stop_timeout: DEFAULT_STOP_TIMEOUT,
                stop_signal: StopSignal::Term,
            }),
            restart: Restart::default(),
            hooks: Hooks::default(),
            log: Log::default_in(dir),
            package: None,
            health: None,
            admin: None,
            registry: None,
        }
    }
}

/// Reads, validates and resolves the config file at `path`. On failure returns every error found,
/// in file order.
pub fn check(path: &Path) -> Result<Config, Vec<ConfigError>> {
    match std::fs::read_to_string(path) {
        Ok(text) => check_str(&text, path),
        Err(error) => Err(vec![ConfigError {
            file: path.to_path_buf(),
            location: Location { line: 1, column: 1 },
            kind: ErrorKind::Read(error.to_string()),
        }]),
    }
}

/// Validates and resolves config `text` as if read from `path` (which names the file in errors
/// and whose directory relative paths are resolved against; it is not read).
pub fn check_str(text: &str, path: &Path) -> Result<Config, Vec<ConfigError>> {
    let file = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut resolver = resolver::Resolver::new(path, text, dir);
    let config = tables::resolve_document(text, &mut resolver, file);
    let errors = resolver.into_errors();
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
