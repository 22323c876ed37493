//! `steward check`, and loading a config for the other verbs: every error, one line each.

use std::fmt;
use std::path::{Path, PathBuf};

use steward_config::{Config, ConfigError, Policy};

/// A config with errors; `main` prints every error as `file:line:col: message`, then this.
#[derive(Debug)]
pub struct InvalidConfig {
    /// The config file, as given.
    pub file: PathBuf,
    /// Every error, in file order.
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{}: {count} error{plural}", self.file.display())
    }
}

impl std::error::Error for InvalidConfig {}

/// Reads and resolves the config at `path`.
pub fn load(path: &Path) -> Result<Config, InvalidConfig> {
    steward_config::check(path).map_err(|errors| InvalidConfig {
        file: path.to_path_buf(),
        errors,
    })
}

/// `steward check`: the line printed for a valid config.
pub fn check(path: &Path) -> Result<String, InvalidConfig> {
    load(path).map(|config| summary(&config))
}

/// `ok: <name>` and what the config amounts to, in one line.
pub fn summary(config: &Config) -> String {
    let service = &config.service;
    let mut line = format!("ok: {}", service.name);
    match &config.program {
        Some(program) => {
            let restart = &config.restart;
            let policy = match restart.policy {
                Policy::Always => "always",
                Policy::OnFailure => "on-failure",
                Policy::Never => "never",
            };
            line.push_str(&format!(
                " (program {}, restart {policy}: {} growing to {}, at most {} starts per {})",
                program.command.display(),
                steward_config::format_duration(restart.delay),
                steward_config::format_duration(restart.max_delay),
                restart.start_limit.burst,
                steward_config::format_duration(restart.start_limit.interval),
            ));
        }
        None => line.push_str(" (no [program]: a service written with the steward library)"),
    }
    if let Some(registry) = &config.registry {
        let registry = &registry.config;
        let mode = if registry.standby {
            "cold standby in etcd"
        } else {
            "registered in etcd"
        };
        line.push_str(&format!(
            ", {mode} at {} (ttl {})",
            registry.endpoints.join(","),
            steward_config::format_duration(registry.ttl)
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_registry() {
        let text = "[service]\nname = \"web\"\n[program]\ncommand = \"/bin/web\"\n\
                    [registry]\nendpoints = [\"http://10.0.0.1:2379\"]\nttl = \"5s\"\nstandby = true\n";
        let config = steward_config::check_str(text, Path::new("/srv/steward.toml")).unwrap();
        let line = summary(&config);
        assert!(
            line.ends_with(", cold standby in etcd at http://10.0.0.1:2379 (ttl 5s)"),
            "{line}"
        );
    }
}
