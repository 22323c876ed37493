//! `steward logs NAME [--follow]`: printing the captured output, rotated files first.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use same_file::Handle;

use super::config::Stream;
use super::names;

/// How often a followed file is polled for new output.
const POLL: Duration = Duration::from_millis(200);

/// Writes the captured output of `name` in `dir` to `out`: for stdout then stderr, the rotated
/// files oldest first (gzipped ones decompressed), then the current file. With `follow`, goes on
/// printing what is appended to the current files (polling, across rotations) until writing to
/// `out` fails.
///
/// Rotations that happen while the files are read are followed: nothing is printed twice or
/// skipped (as long as the system clock does not go back, since rotated files are ordered by
/// their UTC time of rotation).
///
/// # Examples
///
/// ```no_run
/// steward_supervise::capture::read_logs("/var/log/web".as_ref(), "web", false, &mut std::io::stdout())?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_logs(dir: &Path, name: &str, follow: bool, out: &mut impl Write) -> io::Result<()> {
    if follow {
        follow_logs(dir, name, out, || true)
    } else {
        for stream in Stream::ALL {
            Follower::new(dir, name, stream).poll(out)?;
        }
        out.flush()
    }
}

/// Like [`read_logs`] with `follow`, but stops when `keep_going` returns false (asked before
/// each poll; one last poll follows the `false`, so everything written before is printed).
pub fn follow_logs(
    dir: &Path,
    name: &str,
    out: &mut impl Write,
    mut keep_going: impl FnMut() -> bool,
) -> io::Result<()> {
    let mut followers: Vec<Follower> = Stream::ALL
        .iter()
        .map(|&stream| Follower::new(dir, name, stream))
        .collect();
    loop {
        // Asked before the poll: the last poll starts after `keep_going` said no.
        let go_on = keep_going();
        for follower in &mut followers {
            follower.poll(out)?;
        }
        out.flush()?;
        if !go_on {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

/// Follows one stream: its rotated files, then its current file, across rotations.
struct Follower {
    dir: PathBuf,
    name: String,
    stream: Stream,
    /// The newest rotated file printed (or skipped because it was printed as the current one).
    watermark: Option<(String, u32)>,
    /// The current file being followed.
    held: Option<(File, Handle)>,
}

impl Follower {
    fn new(dir: &Path, name: &str, stream: Stream) -> Self {
        Follower {
            dir: dir.to_path_buf(),
            name: name.to_owned(),
            stream,
            watermark: None,
            held: None,
        }
    }

    /// Prints what is new.
    fn poll(&mut self, out: &mut impl Write) -> io::Result<()> {
        let current = names::current_path(&self.dir, &self.name, self.stream);
        // The writer closes a file before renaming it away: once the path names another file,
        // the held one is complete, so reading it after looking at the path misses nothing.
        let at_path = Handle::from_path(&current).ok();
        let Some((mut file, handle)) = self.held.take() else {
            return self.resync(None, out);
        };
        io::copy(&mut file, out)?;
        if at_path.as_ref() == Some(&handle) {
            self.held = Some((file, handle));
            return Ok(());
        }
        self.resync(Some(handle), out)
    }

    /// Prints the rotated files newer than the watermark, then opens the current file and
    /// prints it from its start; repeats while rotations happen meanwhile. `done` is the file
    /// just printed to its end: when it shows up as the first newer rotated file, it is skipped.
    fn resync(&mut self, mut done: Option<Handle>, out: &mut impl Write) -> io::Result<()> {
        loop {
            let current = names::current_path(&self.dir, &self.name, self.stream);
            let opened = File::open(&current).ok().and_then(|file| {
                let handle = Handle::from_file(file.try_clone().ok()?).ok()?;
                Some((file, handle))
            });
            let newer = self.newer_rotated()?;
            if newer.is_empty() {
                if let Some((mut file, handle)) = opened {
                    file.seek(SeekFrom::Start(0))?;
                    io::copy(&mut file, out)?;
                    self.held = Some((file, handle));
                }
                return Ok(());
            }
            for rotated in newer {
                self.watermark = Some(rotated.key.clone());
                if let Some(handle) = done.take() {
                    let same = rotated.compressed
                        || Handle::from_path(&rotated.path).is_ok_and(|h| h == handle);
                    if same {
                        continue;
                    }
                }
                print_rotated(&rotated, out)?;
            }
        }
    }

    fn newer_rotated(&self) -> io::Result<Vec<names::Rotated>> {
        let rotated = match names::list_rotated(&self.dir, &self.name, self.stream) {
            Ok(rotated) => rotated,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(rotated
            .into_iter()
            .filter(|r| self.watermark.as_ref().is_none_or(|w| &r.key > w))
            .collect())
    }
}

/// Prints one rotated file; one compressed or pruned since it was listed is read compressed, or
/// skipped.
fn print_rotated(file: &names::Rotated, out: &mut impl Write) -> io::Result<()> {
    let mut reader: Box<dyn Read> = match (file.compressed, File::open(&file.path)) {
        (false, Ok(opened)) => Box::new(opened),
        (true, Ok(opened)) => Box::new(MultiGzDecoder::new(BufReader::new(opened))),
        (false, Err(_)) => match File::open(file.path.with_extension("log.gz")) {
            Ok(opened) => Box::new(MultiGzDecoder::new(BufReader::new(opened))),
            Err(_) => return Ok(()),
        },
        (true, Err(_)) => return Ok(()),
    };
    io::copy(&mut reader, out).map(drop)
}
