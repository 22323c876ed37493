//! Windows and Unix paths inside the prefix, and copying files into it.

use crate::WineBench;
use crate::error::BenchError;
use crate::process::run_ok;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The part after `C:\` when `windows` is a path on drive C.
fn on_drive_c(windows: &str) -> Option<&str> {
    let b = windows.as_bytes();
    (b.len() >= 3 && b[0].eq_ignore_ascii_case(&b'c') && b[1] == b':' && b[2] == b'\\')
        .then(|| &windows[3..])
}

impl WineBench {
    /// The Unix path of `drive_c`.
    pub fn drive_c(&self) -> PathBuf {
        self.prefix().join("drive_c")
    }

    /// The Unix path of a Windows path: computed directly for `C:\...`, by `winepath -u`
    /// otherwise.
    pub fn to_unix(&self, windows: &str) -> Result<PathBuf, BenchError> {
        if let Some(rest) = on_drive_c(windows) {
            let mut p = self.drive_c();
            p.extend(rest.split('\\').filter(|c| !c.is_empty()));
            return Ok(p);
        }
        let mut cmd = self.wine_command("-all");
        cmd.args(["winepath", "-u", windows]);
        let out = run_ok(cmd, Duration::from_secs(60))?;
        Ok(PathBuf::from(out.stdout.trim_end_matches(['\r', '\n'])))
    }

    /// The Windows path of a Unix path: `C:\...` inside `drive_c`, `winepath -w` otherwise.
    pub fn to_windows(&self, unix: &Path) -> Result<String, BenchError> {
        if let Ok(rest) = unix.strip_prefix(self.drive_c()) {
            let parts: Vec<_> = rest.iter().map(|c| c.to_string_lossy()).collect();
            return Ok(format!("C:\\{}", parts.join("\\")));
        }
        let mut cmd = self.wine_command("-all");
        cmd.arg("winepath").arg("-w").arg(unix);
        let out = run_ok(cmd, Duration::from_secs(60))?;
        Ok(out.stdout.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Copies `src` to the Windows path `windows_dest` (creating directories; spaces are fine)
    /// and returns `windows_dest`. The copy is atomic, so parallel tests may copy the same file.
    pub fn copy_into_prefix(&self, src: &Path, windows_dest: &str) -> Result<String, BenchError> {
        let dest = self.to_unix(windows_dest)?;
        let dir = dest
            .parent()
            .ok_or_else(|| BenchError::Io {
                what: format!("{windows_dest} has no parent directory"),
                source: std::io::ErrorKind::InvalidInput.into(),
            })?
            .to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(BenchError::io(format!("create {}", dir.display())))?;
        let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(BenchError::io(format!(
            "temporary file in {}",
            dir.display()
        )))?;
        std::fs::copy(src, tmp.path()).map_err(BenchError::io(format!(
            "copy {} into the prefix",
            src.display()
        )))?;
        tmp.persist(&dest).map_err(|e| BenchError::Io {
            what: format!("move the copy to {}", dest.display()),
            source: e.error,
        })?;
        Ok(windows_dest.to_string())
    }

    /// Runs a Windows program (Unix path or Windows path) in the prefix with `WINEDEBUG=winedebug`
    /// (e.g. `-all,+eventlog`), capturing stdout and stderr; killed after `timeout`.
    pub fn run(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
        args: &[&str],
        winedebug: &str,
        timeout: Duration,
    ) -> Result<crate::RunOutput, BenchError> {
        let mut cmd = self.wine_command(winedebug);
        cmd.arg(program).args(args);
        crate::process::run(cmd, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::on_drive_c;

    #[test]
    fn drive_c_detection() {
        assert_eq!(
            on_drive_c(r"C:\Program Files\x.exe"),
            Some(r"Program Files\x.exe")
        );
        assert_eq!(on_drive_c(r"c:\x"), Some("x"));
        assert_eq!(on_drive_c(r"Z:\tmp"), None);
        assert_eq!(on_drive_c("C:"), None);
    }
}
