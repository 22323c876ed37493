//! Finding the Wine and mingw programs the bench drives.

use crate::error::BenchError;
use std::path::{Path, PathBuf};

/// Absolute paths of the host programs the bench needs.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The 64-bit Wine loader (`wine64`, or `wine` when only that exists).
    pub wine: PathBuf,
    /// `wineserver` of the same installation.
    pub wineserver: PathBuf,
    /// The mingw C compiler for the shim DLL.
    pub gcc: PathBuf,
}

/// Searches `PATH` and then the fallback directories for `name`.
fn find(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(fallbacks.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// Whether `p` is an executable file.
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

impl Tools {
    /// Finds Wine and mingw, failing with the setup command when one is missing.
    ///
    /// Debian's `/usr/bin/wine` is a wrapper that complains about a missing wine32, so the 64-bit
    /// loader `/usr/lib/wine/wine64` is preferred.
    pub fn find() -> Result<Tools, BenchError> {
        const WINE_DIRS: &[&str] = &["/usr/lib/wine", "/usr/lib64/wine", "/opt/wine-stable/bin"];
        let wine = find("wine64", WINE_DIRS)
            .or_else(|| find("wine", WINE_DIRS))
            .ok_or_else(|| BenchError::WineMissing {
                tool: "wine64".into(),
            })?;
        let wineserver = find("wineserver", WINE_DIRS).ok_or_else(|| BenchError::WineMissing {
            tool: "wineserver".into(),
        })?;
        let gcc = find("x86_64-w64-mingw32-gcc", &[]).ok_or(BenchError::MingwMissing)?;
        Ok(Tools {
            wine,
            wineserver,
            gcc,
        })
    }
}
