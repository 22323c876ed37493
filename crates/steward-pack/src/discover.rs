//! Finding the external tools: on `PATH`, and on a Windows host also where their installers put
//! them (`%WIX%\bin`, the Windows SDK's `Windows Kits\10\bin\<version>\x64`,
//! `%ProgramFiles(x86)%\NSIS`).
//!
//! Discovery reads a [`ToolEnv`], a snapshot of the few environment variables it looks at, so it
//! is the same code on every host and tests can point it at a fake directory layout.
//!
//! # Examples
//!
//! ```
//! use steward_pack::discover::{Host, ToolEnv};
//! use steward_pack::Tool;
//!
//! let dir = tempfile::tempdir()?;
//! let bin = dir.path().join("WiX Toolset v3.14").join("bin");
//! std::fs::create_dir_all(&bin)?;
//! std::fs::write(bin.join("candle.exe"), "")?;
//! let env = ToolEnv {
//!     wix: Some(dir.path().join("WiX Toolset v3.14")),
//!     ..ToolEnv::empty(Host::Windows)
//! };
//! assert_eq!(env.find(Tool::Candle)?, bin.join("candle.exe"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use crate::{PackError, Tool};

/// The operating system steward-pack runs on: it decides executable names (`.exe`) and which
/// shell makensis hands `!uninstfinalize` commands to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Host {
    /// Windows: executables end in `.exe`, makensis runs commands with `cmd.exe /C`.
    Windows,
    /// Linux and other Unix systems: makensis runs commands with `/bin/sh -c`.
    Unix,
}

impl Host {
    /// The host this process runs on (decided at run time).
    pub fn current() -> Host {
        if std::env::consts::OS == "windows" {
            Host::Windows
        } else {
            Host::Unix
        }
    }
}

/// The environment tool discovery looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolEnv {
    /// The host (decides executable names).
    pub host: Host,
    /// The directories of `PATH`, in order.
    pub path: Vec<PathBuf>,
    /// `%WIX%`: the WiX Toolset v3 installation directory (its installer sets it).
    pub wix: Option<PathBuf>,
    /// `%ProgramFiles(x86)%`.
    pub program_files_x86: Option<PathBuf>,
    /// `%ProgramFiles%`.
    pub program_files: Option<PathBuf>,
    /// `%SystemRoot%`.
    pub system_root: Option<PathBuf>,
}

impl ToolEnv {
    /// Nothing set: no tool is found until fields are filled in.
    pub fn empty(host: Host) -> ToolEnv {
        ToolEnv {
            host,
            path: Vec::new(),
            wix: None,
            program_files_x86: None,
            program_files: None,
            system_root: None,
        }
    }

    /// This process's environment.
    pub fn from_process() -> ToolEnv {
        let dir = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        ToolEnv {
            host: Host::current(),
            path: std::env::split_paths(&path).collect(),
            wix: dir("WIX"),
            program_files_x86: dir("ProgramFiles(x86)"),
            program_files: dir("ProgramFiles"),
            system_root: dir("SystemRoot"),
        }
    }

    /// The file name of `tool` on this host: the tools that exist only for Windows (WiX,
    /// signtool, PowerShell) are always `.exe`; the others get `.exe` on a Windows host.
    pub fn file_name(&self, tool: Tool) -> String {
        if tool.windows_only() || self.host == Host::Windows {
            format!("{}.exe", tool.program())
        } else {
            tool.program().to_owned()
        }
    }

    /// Every place `tool` is looked for, in order.
    pub fn candidates(&self, tool: Tool) -> Vec<PathBuf> {
        let file = self.file_name(tool);
        let on_path = || self.path.iter().map(|d| d.join(&file)).collect::<Vec<_>>();
        let mut found = Vec::new();
        match tool {
            Tool::Wixl | Tool::Msiinfo | Tool::Osslsigncode => found.extend(on_path()),
            Tool::Makensis => {
                found.extend(on_path());
                for root in [&self.program_files_x86, &self.program_files]
                    .into_iter()
                    .flatten()
                {
                    found.push(root.join("NSIS").join(&file));
                }
            }
            Tool::Candle | Tool::Light => {
                if let Some(wix) = &self.wix {
                    found.push(wix.join("bin").join(&file));
                }
                found.extend(on_path());
                if let Some(root) = &self.program_files_x86 {
                    // Installers of WiX v3.x: `WiX Toolset v3.14\bin`, newest first.
                    for dir in versioned_dirs(root, "WiX Toolset v3.") {
                        found.push(dir.join("bin").join(&file));
                    }
                }
            }
            Tool::Signtool => {
                found.extend(on_path());
                if let Some(root) = &self.program_files_x86 {
                    let kits = root.join("Windows Kits").join("10").join("bin");
                    // `bin\10.0.22621.0\x64`, newest SDK first; then the old flat layout.
                    for dir in versioned_dirs(&kits, "") {
                        found.push(dir.join("x64").join(&file));
                    }
                    found.push(kits.join("x64").join(&file));
                }
            }
            Tool::Powershell => {
                found.extend(on_path());
                if let Some(root) = &self.system_root {
                    found.push(
                        root.join("System32")
                            .join("WindowsPowerShell")
                            .join("v1.0")
                            .join(&file),
                    );
                }
            }
        }
        found
    }

    /// The first candidate that is a file, or [`PackError::ToolMissing`] saying where it was
    /// looked for and how to install it.
    pub fn find(&self, tool: Tool) -> Result<PathBuf, PackError> {
        self.candidates(tool)
            .into_iter()
            .find(|candidate| candidate.is_file())
            .ok_or(PackError::ToolMissing {
                tool: tool.program(),
                searched: tool.searched(),
                install: tool.install_hint(),
            })
    }
}

/// The subdirectories of `root` named `prefix` + a dotted version (`10.0.22621.0`), highest
/// version first; anything else there (`x64`, `arm64`, files) is skipped.
fn versioned_dirs(root: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix(prefix)?;
            let version = parse_version(rest)?;
            Some((version, e.path()))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, p)| p).collect()
}

/// `10.0.22621.0` → `[10, 0, 22621, 0]`; `None` unless every part is a number.
fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|p| p.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(parse_version("10.0.9200.0"), Some(vec![10, 0, 9200, 0]));
        assert_eq!(parse_version("x64"), None);
        assert_eq!(parse_version("10.0.x"), None);
        assert!(parse_version("10.0.22621.0") > parse_version("10.0.9200.0"));
    }
}
