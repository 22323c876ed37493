//! External tools (wixl, makensis, osslsigncode, msiinfo; on Windows WiX v3, signtool and
//! PowerShell): found by [`crate::discover`], run with a deadline.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::PackError;
use crate::discover::ToolEnv;

/// An external program steward-pack drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Tool {
    /// `wixl` (Debian package `wixl`): builds MSIs from WiX sources.
    Wixl,
    /// `makensis` (Debian package `nsis`; on Windows the NSIS installer).
    Makensis,
    /// `osslsigncode` (Debian package `osslsigncode`): Authenticode signing and verification.
    Osslsigncode,
    /// `msiinfo` (Debian package `msitools`): reads MSI tables.
    Msiinfo,
    /// WiX Toolset v3 `candle.exe`: compiles a `.wxs` into a `.wixobj` (Windows, .NET).
    Candle,
    /// WiX Toolset v3 `light.exe`: links `.wixobj` files into an MSI (Windows, .NET).
    Light,
    /// `signtool.exe` from the Windows SDK: Authenticode signing and verification.
    Signtool,
    /// Windows PowerShell `powershell.exe`: imports the signing PFX for signtool.
    Powershell,
}

impl Tool {
    /// The program name, without `.exe`.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Wixl => "wixl",
            Tool::Makensis => "makensis",
            Tool::Osslsigncode => "osslsigncode",
            Tool::Msiinfo => "msiinfo",
            Tool::Candle => "candle",
            Tool::Light => "light",
            Tool::Signtool => "signtool",
            Tool::Powershell => "powershell",
        }
    }

    /// Whether the tool exists only as a Windows program.
    pub fn windows_only(self) -> bool {
        matches!(
            self,
            Tool::Candle | Tool::Light | Tool::Signtool | Tool::Powershell
        )
    }

    /// Where [`ToolEnv::find`] looks for it, for messages.
    pub fn searched(self) -> &'static str {
        match self {
            Tool::Wixl | Tool::Osslsigncode | Tool::Msiinfo => "on PATH",
            Tool::Makensis => r"on PATH or in %ProgramFiles(x86)%\NSIS",
            Tool::Candle | Tool::Light => {
                r"in %WIX%\bin, on PATH or in %ProgramFiles(x86)%\WiX Toolset v3.*\bin"
            }
            Tool::Signtool => {
                r"on PATH or in %ProgramFiles(x86)%\Windows Kits\10\bin\<version>\x64"
            }
            Tool::Powershell => r"on PATH or in %SystemRoot%\System32\WindowsPowerShell\v1.0",
        }
    }

    /// How to install it, for messages.
    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Wixl => "install it with `apt-get install wixl`",
            Tool::Makensis => {
                "install it with `apt-get install nsis` (Windows: the NSIS 3 installer)"
            }
            Tool::Osslsigncode => "install it with `apt-get install osslsigncode`",
            Tool::Msiinfo => "install it with `apt-get install msitools`",
            Tool::Candle | Tool::Light => {
                "install WiX Toolset v3 (its installer sets %WIX%), or build on Linux with wixl"
            }
            Tool::Signtool => "install the Windows SDK's signing tools, or sign with osslsigncode",
            Tool::Powershell => "Windows PowerShell 5.1 is part of Windows",
        }
    }

    /// The tool's path in this process's environment, or [`PackError::ToolMissing`].
    pub fn find(self) -> Result<PathBuf, PackError> {
        ToolEnv::from_process().find(self)
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

/// Runs `program` (which is `tool`) with `args` in `dir`, writing `stdin` to its standard input
/// (then closing it), polling until it ends or the deadline passes. `target` names what it
/// works on, for messages. Secrets go through `stdin`, never `args`.
pub(crate) fn exec(
    tool: Tool,
    program: &Path,
    args: &[&OsStr],
    dir: &Path,
    target: &Path,
    stdin: Option<&[u8]>,
) -> Result<Output, PackError> {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(PackError::io("run", program))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A few bytes fit the pipe's buffer; a program that exits without reading them is
        // judged by its exit status, so a broken pipe here is not an error of its own.
        let _ = pipe.write_all(bytes);
    }
    let out_reader = reader(child.stdout.take());
    let err_reader = reader(child.stderr.take());
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(PackError::io("wait for", program))?
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

/// Reads a child's stream to the end on a thread (Windows tools may print in a legacy code
/// page: decoded lossily).
fn reader(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Turns a non-zero exit into [`PackError::ToolFailed`]; the output otherwise.
pub(crate) fn check(tool: Tool, target: &Path, output: Output) -> Result<String, PackError> {
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
