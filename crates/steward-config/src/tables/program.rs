//! `[program]`: the wrapped program, how it is started and how it is asked to stop.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[program]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProgram {
    command: Option<Spanned<String>>,
    args: Option<Vec<String>>,
    cwd: Option<Spanned<String>>,
    env: Option<BTreeMap<Spanned<String>, String>>,
    stop_timeout: Option<Spanned<String>>,
    stop_signal: Option<Spanned<String>>,
}

/// The default graceful-stop time before the whole process tree is killed.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The signal sent to ask the program to stop (Unix; Windows sends Ctrl-C to the program's
/// console instead and ignores this setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopSignal {
    /// `SIGTERM`, the default.
    Term,
    /// `SIGINT`, as Ctrl-C in a terminal.
    Int,
    /// `SIGHUP`.
    Hup,
    /// `SIGQUIT`.
    Quit,
    /// `SIGUSR1`.
    Usr1,
    /// `SIGUSR2`.
    Usr2,
}

impl StopSignal {
    /// The conventional name, e.g. `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Term => "SIGTERM",
            StopSignal::Int => "SIGINT",
            StopSignal::Hup => "SIGHUP",
            StopSignal::Quit => "SIGQUIT",
            StopSignal::Usr1 => "SIGUSR1",
            StopSignal::Usr2 => "SIGUSR2",
        }
    }

    /// The signal's number on Linux (the same on every Unix steward builds for, except `SIGUSR1`
    /// and `SIGUSR2` on the BSDs: use the name there).
    pub fn linux_number(self) -> i32 {
        match self {
            StopSignal::Term => 15,
            StopSignal::Int => 2,
            StopSignal::Hup => 1,
            StopSignal::Quit => 3,
            StopSignal::Usr1 => 10,
            StopSignal::Usr2 => 12,
        }
    }

    fn parse(text: &str) -> Option<StopSignal> {
        let upper = text.to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        Some(match bare {
            "TERM" => StopSignal::Term,
            "INT" => StopSignal::Int,
            "HUP" => StopSignal::Hup,
            "QUIT" => StopSignal::Quit,
            "USR1" => StopSignal::Usr1,
            "USR2" => StopSignal::Usr2,
            _ => return None,
        })
    }
}

/// The resolved `[program]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The program: an absolute path, or a bare name (no `/` or `\`) looked up in `PATH` when it
    /// is started. A relative path with a separator is resolved against the config's directory.
    pub command: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its working directory; the config file's directory by default.
    pub cwd: PathBuf,
    /// Environment variables added to the inherited environment.
    pub env: BTreeMap<String, String>,
    /// How long a graceful stop may take before the whole process tree is killed.
    pub stop_timeout: Duration,
    /// The signal that asks the program to stop (Unix).
    pub stop_signal: StopSignal,
}

const COMMAND_FORM: &str = "the program to run: a path or a name found in PATH";
const SIGNAL_FORM: &str =
    "one of \"SIGTERM\", \"SIGINT\", \"SIGHUP\", \"SIGQUIT\", \"SIGUSR1\", \"SIGUSR2\"";

/// Resolves `[program]`; `span` locates the table.
pub(crate) fn resolve(
    raw: RawProgram,
    span: std::ops::Range<usize>,
    r: &mut Resolver<'_>,
) -> Program {
    let command = match &raw.command {
        None => {
            r.missing("program.command", span, COMMAND_FORM);
            PathBuf::new()
        }
        Some(command) if command.get_ref().trim().is_empty() => {
            r.invalid("program.command", command, COMMAND_FORM);
            PathBuf::new()
        }
        Some(command) => r.command(command.get_ref()),
    };
    let cwd = match &raw.cwd {
        Some(cwd) if cwd.get_ref().is_empty() => {
            r.invalid("program.cwd", cwd, "a directory");
            r.base_dir().to_path_buf()
        }
        Some(cwd) => r.path(cwd.get_ref()),
        None => r.base_dir().to_path_buf(),
    };
    let mut env = BTreeMap::new();
    for (key, value) in raw.env.unwrap_or_default() {
        let name = key.get_ref();
        if name.is_empty() || name.contains(['=', '\0']) {
            r.invalid(
                "program.env",
                &key,
                "an environment variable name: non-empty, without '=' or NUL",
            );
        }
        env.insert(key.into_inner(), value);
    }
    let stop_timeout = r.duration(
        "program.stop_timeout",
        raw.stop_timeout.as_ref(),
        DEFAULT_STOP_TIMEOUT,
    );
    let stop_signal = match &raw.stop_signal {
        None => StopSignal::Term,
        Some(value) => StopSignal::parse(value.get_ref()).unwrap_or_else(|| {
            r.invalid("program.stop_signal", value, SIGNAL_FORM);
            StopSignal::Term
        }),
    };
    Program {
        command,
        args: raw.args.unwrap_or_default(),
        cwd,
        env,
        stop_timeout,
        stop_signal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_with_and_without_prefix() {
        assert_eq!(StopSignal::parse("SIGTERM"), Some(StopSignal::Term));
        assert_eq!(StopSignal::parse("int"), Some(StopSignal::Int));
        assert_eq!(StopSignal::parse("SIGKILL"), None);
        assert_eq!(StopSignal::Usr2.name(), "SIGUSR2");
    }
}
