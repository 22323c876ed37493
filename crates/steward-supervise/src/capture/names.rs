//! File names, UTC timestamps and rotation periods.
//!
//! The current file of a stream is `<name>.<stream>.log`; a rotated one is
//! `<name>.<stream>.<UTC time of rotation>[.<n>].log[.gz]`, e.g.
//! `web.stdout.2026-11-25T15-42-00.log.gz`, with `.<n>` (1, 2, ...) only when several rotations
//! fall in the same second. Rotated files are ordered by (time, n).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::config::{RotateEvery, Stream};

/// The current file of `stream`.
pub(crate) fn current_path(dir: &Path, name: &str, stream: Stream) -> PathBuf {
    dir.join(format!("{name}.{}.log", stream.as_str()))
}

/// A rotated file found in the log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rotated {
    /// Its rotation time as written in the name (`2026-11-25T15-42-00`) and its sequence number.
    pub(crate) key: (String, u32),
    /// The file.
    pub(crate) path: PathBuf,
    /// It is gzipped.
    pub(crate) compressed: bool,
}

/// The name of the `seq`-th file rotated at `stamp`.
pub(crate) fn rotated_name(name: &str, stream: Stream, stamp: &str, seq: u32) -> String {
    if seq == 0 {
        format!("{name}.{}.{stamp}.log", stream.as_str())
    } else {
        format!("{name}.{}.{stamp}.{seq}.log", stream.as_str())
    }
}

/// Parses a rotated file name of `name`/`stream`: its key and whether it is compressed.
pub(crate) fn parse_rotated(
    file: &str,
    name: &str,
    stream: Stream,
) -> Option<((String, u32), bool)> {
    let rest = file
        .strip_prefix(name)?
        .strip_prefix('.')?
        .strip_prefix(stream.as_str())?
        .strip_prefix('.')?;
    let (rest, compressed) = match rest.strip_suffix(".log.gz") {
        Some(rest) => (rest, true),
        None => (rest.strip_suffix(".log")?, false),
    };
    let (stamp, seq) = match rest.split_once('.') {
        Some((stamp, seq)) => (stamp, seq.parse().ok()?),
        None => (rest, 0),
    };
    let valid = stamp.len() == 19
        && stamp.bytes().enumerate().all(|(i, b)| {
            matches!((i, b), (10, b'T') | (4 | 7 | 13 | 16, b'-')) || b.is_ascii_digit()
        });
    valid.then(|| ((stamp.to_owned(), seq), compressed))
}

/// The rotated files of `stream`, oldest first; when both `X.log` and `X.log.gz` exist (a
/// compression in progress or interrupted) only the plain one is listed.
pub(crate) fn list_rotated(
    dir: &Path,
    name: &str,
    stream: Stream,
) -> std::io::Result<Vec<Rotated>> {
    let mut found: Vec<Rotated> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(file) = file_name.to_str() else {
            continue;
        };
        if let Some((key, compressed)) = parse_rotated(file, name, stream) {
            found.push(Rotated {
                key,
                path: entry.path(),
                compressed,
            });
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key).then(a.compressed.cmp(&b.compressed)));
    found.dedup_by(|later, earlier| later.key == earlier.key);
    Ok(found)
}

/// A free path for a file rotated now in `dir`.
pub(crate) fn next_rotated_path(
    dir: &Path,
    name: &str,
    stream: Stream,
    now: SystemTime,
) -> PathBuf {
    let stamp = file_stamp(now);
    let mut seq = 0;
    loop {
        let path = dir.join(rotated_name(name, stream, &stamp, seq));
        let gz = path.with_extension("log.gz");
        if !path.exists() && !gz.exists() {
            return path;
        }
        seq += 1;
    }
}

/// The UTC calendar fields of `time`: (year, month, day, hour, minute, second, millisecond).
fn utc_fields(time: SystemTime) -> (i32, u8, u8, u8, u8, u8, u16) {
    let t = time::OffsetDateTime::from(time);
    (
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond(),
    )
}

/// `2026-11-25T15-42-00`: a UTC time that is valid in file names everywhere.
pub(crate) fn file_stamp(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = utc_fields(time);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}-{mi:02}-{s:02}")
}

/// Formats line timestamps (`2026-11-25T15:42:00.123Z`), formatting the calendar part once per
/// second.
#[derive(Debug, Default)]
pub(crate) struct Stamper {
    second: u64,
    prefix: String,
}

impl Stamper {
    /// Appends the RFC 3339 UTC time of `now`, with milliseconds, to `out`.
    pub(crate) fn write(&mut self, now: SystemTime, out: &mut Vec<u8>) {
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        if self.prefix.is_empty() || since.as_secs() != self.second {
            let (y, mo, d, h, mi, s, _) = utc_fields(now);
            self.second = since.as_secs();
            self.prefix = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.");
        }
        let ms = since.subsec_millis();
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(&[
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
            b'Z',
        ]);
    }
}

/// The UTC hour or day `time` falls in, as a number that changes when a rotation is due;
/// `None` when rotating by time is off.
pub(crate) fn period(time: SystemTime, every: RotateEvery) -> Option<u64> {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    match every {
        RotateEvery::Never => None,
        RotateEvery::Hourly => Some(secs / 3600),
        RotateEvery::Daily => Some(secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const T: u64 = 1_795_621_320; // 2026-11-25T15:42:00Z

    fn at(secs: u64, ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms)
    }

    #[test]
    fn stamps_are_utc_and_file_safe() {
        assert_eq!(file_stamp(at(T, 0)), "2026-11-25T15-42-00");
        let mut out = Vec::new();
        let mut stamper = Stamper::default();
        stamper.write(at(T, 7), &mut out);
        stamper.write(at(T + 61, 123), &mut out);
        assert_eq!(out, b"2026-11-25T15:42:00.007Z2026-11-25T15:43:01.123Z");
    }

    #[test]
    fn rotated_names_parse_back_and_order_by_time_then_sequence() {
        let name = rotated_name("my.app", Stream::Stdout, "2026-11-25T15-42-00", 0);
        assert_eq!(name, "my.app.stdout.2026-11-25T15-42-00.log");
        let parsed = parse_rotated(&name, "my.app", Stream::Stdout);
        assert_eq!(parsed, Some((("2026-11-25T15-42-00".into(), 0), false)));
        let gz = "my.app.stdout.2026-11-25T15-42-00.12.log.gz";
        assert_eq!(
            parse_rotated(gz, "my.app", Stream::Stdout),
            Some((("2026-11-25T15-42-00".into(), 12), true))
        );
        for other in [
            "my.app.stdout.log",
            "my.app.stderr.2026-11-25T15-42-00.log",
            "my.app.stdout.2026-11-25T15-42-00.log.gz.tmp",
            "my.app.stdout.yesterday.log",
            "other.stdout.2026-11-25T15-42-00.log",
        ] {
            assert_eq!(
                parse_rotated(other, "my.app", Stream::Stdout),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn listing_prefers_the_plain_file_and_sorts_numerically() {
        let dir = std::env::temp_dir().join(format!("steward-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for file in [
            "a.stdout.2026-11-25T15-42-00.10.log",
            "a.stdout.2026-11-25T15-42-00.2.log.gz",
            "a.stdout.2026-11-25T15-42-00.2.log",
            "a.stdout.2026-11-25T15-42-00.log.gz",
            "a.stdout.2026-11-24T00-00-00.log",
        ] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        let names: Vec<String> = list_rotated(&dir, "a", Stream::Stdout)
            .unwrap()
            .iter()
            .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            names,
            [
                "a.stdout.2026-11-24T00-00-00.log",
                "a.stdout.2026-11-25T15-42-00.log.gz",
                "a.stdout.2026-11-25T15-42-00.2.log",
                "a.stdout.2026-11-25T15-42-00.10.log",
            ]
        );
    }

    #[test]
    fn periods_change_on_utc_boundaries() {
        let day = 86_400 * (T / 86_400);
        assert_eq!(
            period(at(day - 1, 0), RotateEvery::Daily),
            Some(day / 86_400 - 1)
        );
        assert_eq!(period(at(day, 0), RotateEvery::Daily), Some(day / 86_400));
        assert_ne!(
            period(at(T, 0), RotateEvery::Hourly),
            period(at(T + 3600, 0), RotateEvery::Hourly)
        );
        assert_eq!(period(at(T, 0), RotateEvery::Never), None);
    }
}
