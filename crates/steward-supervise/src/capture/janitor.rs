//! Work kept off the writer's path: gzipping rotated files and deleting the oldest ones.
//!
//! The janitor thread is never waited for: a stop does not wait for a compression. An
//! interrupted compression leaves the plain rotated file (still read by `read_logs`) and a
//! `.gz.tmp` file that the next start removes before compressing the plain file again.

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::config::Stream;
use super::names;

/// A piece of background work.
#[derive(Debug)]
pub(crate) enum Job {
    /// Gzip this rotated file into `<file>.gz`, then delete it.
    Compress(PathBuf),
    /// Delete the oldest rotated files of this stream beyond `keep`.
    Prune(Stream),
}

/// What the janitor needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Janitor {
    pub(crate) dir: PathBuf,
    pub(crate) name: String,
    pub(crate) keep: usize,
    pub(crate) compress: bool,
}

impl Janitor {
    /// Starts the thread; it first tidies what an earlier run left, then serves jobs until the
    /// sender is dropped.
    pub(crate) fn spawn(self) -> io::Result<Sender<Job>> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("steward-log-janitor".into())
            .spawn(move || self.run(rx))?;
        Ok(tx)
    }

    fn run(self, rx: Receiver<Job>) {
        self.sweep();
        for job in rx {
            let result = match &job {
                Job::Compress(path) => compress(path),
                Job::Prune(stream) => self.prune(*stream),
            };
            if let Err(error) = result {
                tracing::warn!("log maintenance ({job:?}) failed: {error}");
            }
        }
    }

    /// Removes stale `.gz.tmp` files; compresses plain rotated files when compression is on.
    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("{}.", self.name);
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && file.ends_with(".log.gz.tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        for stream in Stream::ALL {
            if self.compress {
                let rotated =
                    names::list_rotated(&self.dir, &self.name, stream).unwrap_or_default();
                for file in rotated.iter().filter(|file| !file.compressed) {
                    if let Err(error) = compress(&file.path) {
                        tracing::warn!("cannot compress {}: {error}", file.path.display());
                    }
                }
            }
            let _ = self.prune(stream);
        }
    }

    fn prune(&self, stream: Stream) -> io::Result<()> {
        let rotated = names::list_rotated(&self.dir, &self.name, stream)?;
        let excess = rotated.len().saturating_sub(self.keep);
        for file in &rotated[..excess] {
            remove_if_present(&file.path)?;
            // The other form of the same file, if a compression was interrupted.
            let other = if file.compressed {
                file.path.with_extension("")
            } else {
                file.path.with_extension("log.gz")
            };
            remove_if_present(&other)?;
        }
        Ok(())
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Gzips `path` to `path.gz` through a temporary file, then removes `path`.
pub(crate) fn compress(path: &Path) -> io::Result<()> {
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    let gz = PathBuf::from(gz);
    let mut tmp = gz.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut input = BufReader::new(File::open(path)?);
        let output = BufWriter::new(File::create(&tmp)?);
        let mut encoder = GzEncoder::new(output, Compression::default());
        io::copy(&mut input, &mut encoder)?;
        encoder
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        std::fs::rename(&tmp, &gz)
    })();
    match result {
        Ok(()) => std::fs::remove_file(path),
        Err(error) => {
            let _ = std::fs::remove_file(&tmp);
            Err(error)
        }
    }
}
