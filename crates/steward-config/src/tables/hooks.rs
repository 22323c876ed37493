//! `[hooks]`: commands run before each start and after each stop of the program.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[hooks]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHooks {
    pre_start: Option<Spanned<RawHook>>,
    post_stop: Option<Spanned<RawHook>>,
}

/// The raw form of one hook: `{ command = "...", args = [...], timeout = "30s" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHook {
    command: Option<Spanned<String>>,
    args: Option<Vec<String>>,
    timeout: Option<Spanned<String>>,
}

/// How long a hook may run by default before it is killed (and counted as failed).
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// One hook command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The command: an absolute path, a bare name found in `PATH`, or a path relative to the
    /// config's directory.
    pub command: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long it may run before it is killed and counted as failed.
    pub timeout: Duration,
}

/// The resolved `[hooks]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    /// Run before every start of the program; if it fails (non-zero exit or timeout), that start
    /// fails.
    pub pre_start: Option<Hook>,
    /// Run after every stop or exit of the program; a failure is logged, nothing more.
    pub post_stop: Option<Hook>,
}

/// Resolves `[hooks]`.
pub(crate) fn resolve(raw: RawHooks, r: &mut Resolver<'_>) -> Hooks {
    Hooks {
        pre_start: raw
            .pre_start
            .map(|hook| resolve_hook("hooks.pre_start", hook, r)),
        post_stop: raw
            .post_stop
            .map(|hook| resolve_hook("hooks.post_stop", hook, r)),
    }
}

fn resolve_hook(key: &str, raw: Spanned<RawHook>, r: &mut Resolver<'_>) -> Hook {
    let span = raw.span();
    let raw = raw.into_inner();
    let command_key = format!("{key}.command");
    let command = match &raw.command {
        None => {
            r.missing(
                &command_key,
                span,
                "the hook's program: a path or a name found in PATH",
            );
            PathBuf::new()
        }
        Some(command) if command.get_ref().trim().is_empty() => {
            r.invalid(
                &command_key,
                command,
                "the hook's program: a path or a name found in PATH",
            );
            PathBuf::new()
        }
        Some(command) => r.command(command.get_ref()),
    };
    let timeout = r.duration(
        &format!("{key}.timeout"),
        raw.timeout.as_ref(),
        DEFAULT_HOOK_TIMEOUT,
    );
    Hook {
        command,
        args: raw.args.unwrap_or_default(),
        timeout,
    }
}
