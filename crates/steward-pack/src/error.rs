//! Packaging errors: one lowercase line each, naming the file, the tool or the key.

use std::path::PathBuf;

/// What went wrong while planning or building artifacts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The config has no `[package]` table.
    #[error("{}: no [package] table: add one (see docs/config.md#package)", file.display())]
    NoPackageTable {
        /// The config file.
        file: PathBuf,
    },
    /// A key needed for this format is missing.
    #[error("{}: {key} is required to build {what}", file.display())]
    Missing {
        /// The config file.
        file: PathBuf,
        /// The dotted key.
        key: &'static str,
        /// What needs it.
        what: &'static str,
    },
    /// An input file does not exist.
    #[error("{}: {key}: {} does not exist", file.display(), path.display())]
    MissingInput {
        /// The config file.
        file: PathBuf,
        /// The dotted key naming the input.
        key: &'static str,
        /// The missing path.
        path: PathBuf,
    },
    /// Two shipped files would have the same name in the install directory.
    #[error("{}: two shipped files are both called {name}", file.display())]
    DuplicateName {
        /// The config file.
        file: PathBuf,
        /// The clashing file name.
        name: String,
    },
    /// An external tool is not installed.
    #[error("{tool} not found {searched}: {install}")]
    ToolMissing {
        /// The program.
        tool: &'static str,
        /// Where it was looked for (`on PATH`, ...).
        searched: &'static str,
        /// How to install it.
        install: &'static str,
    },
    /// `STEWARD_TOOLCHAIN` holds something else than a toolchain name.
    #[error("{variable}={value:?}: expected one of \"auto\", \"wixl\", \"wix\"")]
    Toolchain {
        /// The environment variable.
        variable: &'static str,
        /// What it holds.
        value: String,
    },
    /// The config asks for something the selected toolchain cannot do.
    #[error("{}: {key}: {message}", file.display())]
    Unsupported {
        /// The config file.
        file: PathBuf,
        /// The dotted key.
        key: &'static str,
        /// What cannot be done, and what to do instead.
        message: &'static str,
    },
    /// An external tool failed.
    #[error("{tool} failed ({status}) for {}: {output}", target.display())]
    ToolFailed {
        /// The program.
        tool: &'static str,
        /// What it worked on.
        target: PathBuf,
        /// How it ended.
        status: String,
        /// The last lines of its output.
        output: String,
    },
    /// An external tool ran past its deadline and was killed.
    #[error("{tool} did not finish within {seconds}s for {}", target.display())]
    ToolTimeout {
        /// The program.
        tool: &'static str,
        /// What it worked on.
        target: PathBuf,
        /// The deadline.
        seconds: u64,
    },
    /// A path or name cannot be quoted safely for the shell that runs a generated command.
    #[error("{text:?} cannot be quoted safely for {shell}: rename it")]
    Quote {
        /// The word.
        text: String,
        /// The shell.
        shell: &'static str,
    },
    /// The signing key's password could not be read.
    #[error("signing password: {0}")]
    Password(String),
    /// A signature did not verify right after signing.
    #[error("signature of {} does not verify: {output}", path.display())]
    Verify {
        /// The signed file.
        path: PathBuf,
        /// What osslsigncode said.
        output: String,
    },
    /// A template failed to render (a bug in steward-pack).
    #[error("template {name}: {error}")]
    Template {
        /// The template.
        name: &'static str,
        /// The renderer's error.
        error: minijinja::Error,
    },
    /// Writing the zip failed.
    #[error("{}: {error}", path.display())]
    Zip {
        /// The zip.
        path: PathBuf,
        /// The zip writer's error.
        error: zip::result::ZipError,
    },
    /// A file operation failed.
    #[error("{what} {}: {error}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create directory`).
        what: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Editing the config file for `--init` failed.
    #[error("{}: {message}", file.display())]
    Init {
        /// The config file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl PackError {
    /// A file operation error.
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> PackError {
        let path = path.into();
        move |error| PackError::Io { what, path, error }
    }
}
