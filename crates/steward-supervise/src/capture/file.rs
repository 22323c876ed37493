//! The current log file of one stream: appending, rotating, and noticing that it was deleted or
//! renamed under us.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use same_file::Handle;

use super::config::{RotateEvery, Stream};
use super::names;

/// An open current file.
#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    file: File,
    identity: Handle,
    /// Bytes in the file.
    pub(crate) size: u64,
    /// The rotation period the file's content belongs to.
    pub(crate) period: Option<u64>,
    /// The last byte written ends a line (or nothing was written yet).
    pub(crate) ends_line: bool,
}

/// A write that stopped early: how many bytes did reach the file, and why the rest did not.
#[derive(Debug)]
pub(crate) struct ShortWrite {
    pub(crate) written: usize,
    pub(crate) error: io::Error,
}

impl LogFile {
    /// Opens (creating the directory and the file if needed) the current file of `stream`,
    /// appending to what a previous run left there.
    pub(crate) fn open(
        dir: &Path,
        name: &str,
        stream: Stream,
        every: RotateEvery,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = names::current_path(dir, name, stream);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let meta = file.metadata()?;
        let identity = Handle::from_file(file.try_clone()?)?;
        let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
        Ok(LogFile {
            period: names::period(modified, every),
            size: meta.len(),
            ends_line: true,
            identity,
            file,
            path,
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes all of `bytes`, or reports how many were written before an error.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), ShortWrite> {
        let mut written = 0;
        while written < bytes.len() {
            match self.file.write(&bytes[written..]) {
                Ok(0) => {
                    let error = io::Error::new(io::ErrorKind::WriteZero, "the file took no bytes");
                    return Err(ShortWrite { written, error });
                }
                Ok(n) => {
                    self.ends_line = bytes[written + n - 1] == b'\n';
                    written += n;
                    self.size += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ShortWrite { written, error }),
            }
        }
        Ok(())
    }

    /// Whether the path still names this file (it was not deleted, renamed or replaced).
    pub(crate) fn still_at_path(&self) -> bool {
        Handle::from_path(&self.path).is_ok_and(|at_path| at_path == self.identity)
    }

    /// Closes the file and renames it to a free rotated name; returns that name.
    pub(crate) fn rotate_away(self, dir: &Path, name: &str, stream: Stream) -> io::Result<PathBuf> {
        let LogFile {
            path,
            file,
            identity,
            ..
        } = self;
        drop(identity);
        drop(file);
        let target = names::next_rotated_path(dir, name, stream, SystemTime::now());
        std::fs::rename(&path, &target)?;
        Ok(target)
    }
}
