//! External tools (wixl, makensis, osslsigncode, msiinfo): found on `PATH`, run with a deadline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::PackError;

/// An external program steward-pack drives, with the Debian package that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Tool {
    /// `wixl` (package `wixl`): builds MSIs from WiX sources.
    Wixl,
    /// `makensis` (package `nsis`).
    Makensis,
    /// `osslsigncode` (package `osslsigncode`): Authenticode signing and verification.
    Osslsigncode,
    /// `msiinfo` (package `msitools`): reads MSI tables.
    Msiinfo,
}

impl Tool {
    /// The program name.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Wixl => "wixl",
            Tool::Makensis => "makensis",
            Tool::Osslsigncode => "osslsigncode",
            Tool::Msiinfo => "msiinfo",
        }
    }

    /// The Debian package that provides it.
    pub fn apt_package(self) -> &'static str {
        match self {
            Tool::Wixl => "wixl",
            Tool::Makensis => "nsis",
            Tool::Osslsigncode => "osslsigncode",
            Tool::Msiinfo => "msitools",
        }
    }

    /// The tool's path on `PATH`, or [`PackError::ToolMissing`] naming the apt package.
    pub fn find(self) -> Result<PathBuf, PackError> {
        let missing = PackError::ToolMissing {
            tool: self.program(),
            package: self.apt_package(),
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join(self.program()))
            .find(|candidate| candidate.is_file())
            .ok_or(missing)
    }
}

/// How long one tool run may take.
pub(crate) const TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// What a finished tool run printed.
#[derive(Debug)]
pub(crate) struct Output {
    /// Whether it exited with status 0.
    pub success: bool,
    /// How it ended, for messages.
    pub status: String,
    /// stdout and stderr, interleaved by stream (stdout first).
    pub text: String,
}

/// Runs `tool` with `args` in `dir` (polling until it ends or the deadline passes).
pub(crate) fn run(
    tool: Tool,
    args: &[&std::ffi::OsStr],
    dir: &Path,
    target: &Path,
) -> Result<Output, PackError> {
    let program = tool.find()?;
    let mut child = Command::new(&program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(PackError::io("run", &program))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(PackError::io("wait for", &program))?
        {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PackError::ToolTimeout {
                tool: tool.program(),
                target: target.to_path_buf(),
                seconds: TOOL_TIMEOUT.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = out_reader.join().unwrap_or_default();
    text.push_str(&err_reader.join().unwrap_or_default());
    Ok(Output {
        success: status.success(),
        status: status.to_string(),
        text,
    })
}

/// Runs `tool` and turns a non-zero exit into [`PackError::ToolFailed`].
pub(crate) fn run_ok(
    tool: Tool,
    args: &[&std::ffi::OsStr],
    dir: &Path,
    target: &Path,
) -> Result<String, PackError> {
    let output = run(tool, args, dir, target)?;
    if output.success {
        Ok(output.text)
    } else {
        Err(PackError::ToolFailed {
            tool: tool.program(),
            target: target.to_path_buf(),
            status: output.status,
            output: tail(&output.text),
        })
    }
}

/// The last few meaningful lines of a tool's output, joined into one line.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("GLib-GObject-WARNING"))
        .collect();
    lines[lines.len().saturating_sub(4)..].join(" | ")
}
