//! `steward logs NAME [--follow] [--config FILE]`: prints the wrapped program's captured stdout
//! and stderr (see `steward_supervise::capture`).
//!
//! The log directory comes from the config's `[log] dir`: the config given with `--config`, or
//! else the one an installed service runs with, found in its registered command line
//! (`... run --config <path>`, as `steward install` registers it).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use steward::control::ServiceManager;
use steward_supervise::capture::{follow_logs, read_logs};

/// `logs`: prints the captured output of service `name` to stdout, rotated files first, stdout
/// then stderr; with `follow`, goes on printing new output until stdout is closed.
pub fn logs<M: ServiceManager>(
    manager: &M,
    name: &str,
    follow: bool,
    config: Option<&Path>,
) -> anyhow::Result<()> {
    let config_path = match config {
        Some(path) => path.to_owned(),
        None => registered_config(manager, name)?,
    };
    let config = crate::check::load(&config_path)?;
    if config.service.name != name {
        bail!(
            "{} describes service '{}', not '{name}'",
            config_path.display(),
            config.service.name
        );
    }
    let dir = &config.log.dir;
    let mut out = io::stdout().lock();
    let printed = if follow {
        follow_logs(dir, name, &mut out, || true)
    } else {
        read_logs(dir, name, false, &mut out)
    };
    match printed {
        // `steward logs web | head`: the reader is done, so are we.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => {
            other.with_context(|| format!("cannot print the logs in {}", dir.display()))?;
            out.flush().ok();
            Ok(())
        }
    }
}

/// The config an installed service runs with, from its registered command line.
pub fn registered_config<M: ServiceManager>(manager: &M, name: &str) -> anyhow::Result<PathBuf> {
    let status = manager.status(name)?;
    if !status.installed {
        bail!("service '{name}' is not installed (give its config with --config)");
    }
    let line = status.command_line.unwrap_or_default();
    config_of_command_line(&line).with_context(|| {
        format!(
            "service '{name}' does not run `steward run --config FILE` (its command line is {line:?}); give its config with --config"
        )
    })
}

/// The config path of a registered `... run --config <path>` command line: everything after
/// the last `--config` (the last argument `install` registers), without surrounding quotes.
/// The Windows form quotes a path with spaces; systemd's shows it bare.
pub fn config_of_command_line(line: &str) -> Option<PathBuf> {
    let at = line.rfind(" --config ")?;
    let rest = line[at + " --config ".len()..].trim();
    let path = match rest.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => rest,
    };
    (!path.is_empty()).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_found_in_registered_command_lines() {
        let cases = [
            (
                "/usr/bin/steward run --config /srv/my app/steward.toml",
                Some("/srv/my app/steward.toml"),
            ),
            (
                r#""C:\Program Files\steward\steward.exe" run --config "C:\srv\my app\steward.toml""#,
                Some(r"C:\srv\my app\steward.toml"),
            ),
            (
                r#""C:\steward.exe" run --config C:\srv\steward.toml"#,
                Some(r"C:\srv\steward.toml"),
            ),
            ("/usr/bin/hello-service run", None),
            ("/usr/bin/steward run --config ", None),
            (r#""C:\steward.exe" run --config "C:\unterminated"#, None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                config_of_command_line(line),
                expected.map(PathBuf::from),
                "{line}"
            );
        }
    }
}
