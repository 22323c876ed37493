//! Compiles steward-log's Event Log message table into the final Windows executable.
//!
//! The Event Log stores only an event ID and its strings; Event Viewer finds the text to show in
//! the message table of the file registered as the source's `EventMessageFile`. Resources must
//! be linked into that executable itself (a library cannot carry them), so a service binary's
//! `build.rs` calls [`embed_message_table`]. It runs mingw's `windmc` on the message file
//! (`messages/steward.mc`: one message `%1` per event ID of `steward_log::EventId`) and
//! `windres` on the result, and links the object into the package's binaries.
//!
//! # Examples
//!
//! The body of a `build.rs` `main`, with `steward-log-build` as a build-dependency:
//!
//! ```no_run
//! if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
//!     && let Err(e) = steward_log_build::embed_message_table()
//! {
//!     panic!("steward-log-build: {e}");
//! }
//! ```
//!
//! Tools: `WINDMC` and `WINDRES` in the environment win; otherwise `<arch>-w64-mingw32-windmc`
//! and `-windres` (Debian's `binutils-mingw-w64`), then plain `windmc`/`windres` (MSYS2).
//! MSVC targets (`mc.exe`/`rc.exe`) are not supported yet.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The message compiler source: one message `%1` per event ID.
pub const MESSAGE_FILE: &str = include_str!("../../messages/steward.mc");

/// What went wrong while compiling the message table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A variable cargo sets for build scripts is missing.
    #[error("environment variable {0} is not set: call this from a build script")]
    MissingEnv(&'static str),
    /// The target is not one this helper can build resources for.
    #[error(
        "no resource compiler for target env {target_env:?}: only the gnu (mingw) toolchain is supported"
    )]
    UnsupportedTarget {
        /// `CARGO_CFG_TARGET_ENV`.
        target_env: String,
    },
    /// Writing the message file failed.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// None of the candidate tool names could be run.
    #[error("cannot run {tool} (tried {tried}): install binutils-mingw-w64 or set {env}")]
    ToolMissing {
        /// windmc or windres.
        tool: &'static str,
        /// The names tried.
        tried: String,
        /// The variable that overrides the tool.
        env: &'static str,
    },
    /// A tool ran and failed.
    #[error("{command} failed with {status}: {stderr}")]
    ToolFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
}

/// Compiles the message table and links it into the calling package's binaries
/// (`cargo:rustc-link-arg-bins`). Call it from `build.rs` when `CARGO_CFG_TARGET_OS` is
/// `windows`; for other targets it does nothing.
///
/// # Errors
///
/// [`BuildError`] when not run by cargo, for MSVC targets, or when windmc/windres are missing
/// or fail.
pub fn embed_message_table() -> Result<(), BuildError> {
    for var in ["WINDMC", "WINDRES"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if env("CARGO_CFG_TARGET_OS")? != "windows" {
        return Ok(());
    }
    let target_env = env("CARGO_CFG_TARGET_ENV")?;
    if target_env != "gnu" {
        return Err(BuildError::UnsupportedTarget { target_env });
    }
    let arch = env("CARGO_CFG_TARGET_ARCH")?;
    let dir = PathBuf::from(env("OUT_DIR")?).join("steward-log-messages");
    std::fs::create_dir_all(&dir).map_err(|source| BuildError::Write {
        path: dir.clone(),
        source,
    })?;
    let mc = dir.join("steward.mc");
    // CRLF line ends, as on Windows: windmc keeps them, so each text ends "\r\n" like mc.exe's.
    let crlf = MESSAGE_FILE.replace("\r\n", "\n").replace('\n', "\r\n");
    std::fs::write(&mc, crlf).map_err(|source| BuildError::Write {
        path: mc.clone(),
        source,
    })?;
    let windmc = Tool::new("windmc", "WINDMC", &arch);
    windmc.run(&dir, &["-h", ".", "-r", ".", "steward.mc"])?;
    let windres = Tool::new("windres", "WINDRES", &arch);
    windres.run(
        &dir,
        &["-i", "steward.rc", "-O", "coff", "-o", "steward-messages.o"],
    )?;
    println!(
        "cargo:rustc-link-arg-bins={}",
        dir.join("steward-messages.o").display()
    );
    Ok(())
}

/// A cargo-provided variable.
fn env(name: &'static str) -> Result<String, BuildError> {
    std::env::var(name).map_err(|_| BuildError::MissingEnv(name))
}

/// A binutils tool and the names to try for it.
struct Tool {
    /// `windmc` or `windres`.
    name: &'static str,
    /// The overriding variable.
    env: &'static str,
    /// Candidates, best first.
    candidates: Vec<String>,
}

impl Tool {
    /// The candidates for `name` on target `arch`.
    fn new(name: &'static str, env: &'static str, arch: &str) -> Tool {
        let candidates = candidates(name, std::env::var(env).ok(), arch);
        Tool {
            name,
            env,
            candidates,
        }
    }

    /// Runs the first candidate that exists with `args` in `dir`.
    fn run(&self, dir: &Path, args: &[&str]) -> Result<(), BuildError> {
        for program in &self.candidates {
            // A candidate that cannot be started (not installed) is skipped.
            let Ok(output) = Command::new(program).args(args).current_dir(dir).output() else {
                continue;
            };
            if output.status.success() {
                return Ok(());
            }
            return Err(BuildError::ToolFailed {
                command: format!("{program} {}", args.join(" ")),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Err(BuildError::ToolMissing {
            tool: self.name,
            tried: self.candidates.join(", "),
            env: self.env,
        })
    }
}

/// Tool names to try: the override alone if set, else the mingw-prefixed name for `arch`, then
/// the bare name.
fn candidates(name: &str, overridden: Option<String>, arch: &str) -> Vec<String> {
    match overridden {
        Some(program) => vec![program],
        None => vec![format!("{arch}-w64-mingw32-{name}"), name.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn the_mingw_prefixed_tool_comes_first_and_an_override_stands_alone() {
        assert_eq!(
            candidates("windres", None, "x86_64"),
            ["x86_64-w64-mingw32-windres", "windres"]
        );
        assert_eq!(
            candidates("windmc", Some("/opt/windmc".into()), "x86_64"),
            ["/opt/windmc"]
        );
    }

    #[test]
    fn the_message_file_gives_every_message_the_text_percent_one() {
        let texts: Vec<&str> = super::MESSAGE_FILE
            .lines()
            .skip_while(|l| !l.starts_with("MessageId="))
            .filter(|l| !l.is_empty() && !l.contains('=') && *l != ".")
            .collect();
        assert!(!texts.is_empty());
        assert!(texts.iter().all(|t| *t == "%1"), "{texts:?}");
    }
}
