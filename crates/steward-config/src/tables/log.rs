//! `[log]`: where the program's stdout and stderr are written, how the files rotate, and how
//! lines are written.

use std::path::PathBuf;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;
use crate::units::{SIZE_FORMS, parse_size};

/// The raw `[log]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    dir: Option<Spanned<String>>,
    max_size: Option<Spanned<String>>,
    rotate: Option<Spanned<String>>,
    keep: Option<Spanned<i64>>,
    compress: Option<bool>,
    timestamps: Option<bool>,
    format: Option<Spanned<String>>,
    policy: Option<Spanned<String>>,
    max_line: Option<Spanned<String>>,
}

/// Rotation by time, on UTC boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRotate {
    /// Only by size. The default.
    Never,
    /// When a UTC hour ends.
    Hourly,
    /// When a UTC day ends.
    Daily,
}

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The program's bytes as they are. The default.
    Plain,
    /// One JSON object per line (`ts`, `stream`, `line` or `line_b64`).
    Json,
}

/// What happens when the disk is slower than the program's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogPolicy {
    /// The program waits (only as long as the disk is slower); nothing is lost. The default.
    Lossless,
    /// The program never waits; what cannot be queued is dropped, counted and marked.
    Drop,
}

/// The resolved `[log]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The directory of the log files (default `logs` beside the config file).
    pub dir: PathBuf,
    /// Rotate when a file reaches this many bytes (default 10 MB).
    pub max_size: u64,
    /// Rotate by time as well.
    pub rotate: LogRotate,
    /// Rotated files kept per stream (default 5).
    pub keep: u32,
    /// Gzip rotated files.
    pub compress: bool,
    /// Prefix each plain line with its UTC time.
    pub timestamps: bool,
    /// Plain or JSON lines.
    pub format: LogFormat,
    /// Lossless or drop.
    pub policy: LogPolicy,
    /// Longer lines are split into pieces of this many bytes (default 64 KiB).
    pub max_line: u64,
}

/// The default `max_size`: 10 MB.
pub const DEFAULT_LOG_MAX_SIZE: u64 = 10_000_000;
/// The default `max_line`: 64 KiB.
pub const DEFAULT_LOG_MAX_LINE: u64 = 64 * 1024;
/// The largest `max_line` (a line is held in memory up to this size): 16 MiB.
pub const MAX_LOG_MAX_LINE: u64 = 16 << 20;

impl Log {
    /// The defaults, with the log directory `logs` in `config_dir`.
    pub fn default_in(config_dir: &std::path::Path) -> Log {
        Log {
            dir: config_dir.join("logs"),
            max_size: DEFAULT_LOG_MAX_SIZE,
            rotate: LogRotate::Never,
            keep: 5,
            compress: false,
            timestamps: false,
            format: LogFormat::Plain,
            policy: LogPolicy::Lossless,
            max_line: DEFAULT_LOG_MAX_LINE,
        }
    }
}

/// Resolves `[log]`.
pub(crate) fn resolve(raw: RawLog, r: &mut Resolver<'_>) -> Log {
    let d = Log::default_in(r.base_dir());
    let rotate = choice(
        r,
        "log.rotate",
        raw.rotate.as_ref(),
        &[
            ("never", LogRotate::Never),
            ("hourly", LogRotate::Hourly),
            ("daily", LogRotate::Daily),
        ],
        d.rotate,
    );
    let format = choice(
        r,
        "log.format",
        raw.format.as_ref(),
        &[("plain", LogFormat::Plain), ("json", LogFormat::Json)],
        d.format,
    );
    let policy = choice(
        r,
        "log.policy",
        raw.policy.as_ref(),
        &[("lossless", LogPolicy::Lossless), ("drop", LogPolicy::Drop)],
        d.policy,
    );
    let keep = match &raw.keep {
        None => d.keep,
        Some(value) => u32::try_from(*value.get_ref()).unwrap_or_else(|_| {
            r.invalid("log.keep", value, "a number of files from 0 to 4294967295");
            d.keep
        }),
    };
    Log {
        dir: raw.dir.map(|dir| r.path(dir.get_ref())).unwrap_or(d.dir),
        max_size: size(
            r,
            "log.max_size",
            raw.max_size.as_ref(),
            d.max_size,
            1024..=u64::MAX,
        ),
        max_line: size(
            r,
            "log.max_line",
            raw.max_line.as_ref(),
            d.max_line,
            1..=MAX_LOG_MAX_LINE,
        ),
        rotate,
        keep,
        compress: raw.compress.unwrap_or(d.compress),
        timestamps: raw.timestamps.unwrap_or(d.timestamps),
        format,
        policy,
    }
}

fn choice<T: Copy>(
    r: &mut Resolver<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    options: &[(&str, T)],
    default: T,
) -> T {
    let Some(value) = value else { return default };
    match options.iter().find(|(name, _)| name == value.get_ref()) {
        Some((_, chosen)) => *chosen,
        None => {
            let names: Vec<String> = options
                .iter()
                .map(|(name, _)| format!("{name:?}"))
                .collect();
            r.invalid(key, value, format!("one of {}", names.join(", ")));
            default
        }
    }
}

fn size(
    r: &mut Resolver<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> u64 {
    let Some(value) = value else { return default };
    match parse_size(value.get_ref()) {
        Ok(bytes) if range.contains(&bytes) => bytes,
        Ok(_) => {
            let (low, high) = (range.start(), range.end());
            let expected = if *high == u64::MAX {
                format!("a size of at least {low} bytes")
            } else {
                format!("a size from {low} to {high} bytes")
            };
            r.invalid(key, value, expected);
            default
        }
        Err(error) => {
            r.invalid(key, value, format!("{SIZE_FORMS} ({error})"));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HEAD: &str = "[service]\nname = \"web\"\n";

    fn check(extra: &str) -> Result<Log, Vec<String>> {
        crate::check_str(
            &format!("{HEAD}{extra}"),
            Path::new("/srv/web/steward.toml"),
        )
        .map(|config| config.log)
        .map_err(|errors| errors.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn defaults_without_the_table() {
        let log = check("").unwrap();
        assert_eq!(log, Log::default_in(Path::new("/srv/web")));
        assert_eq!(log.dir, Path::new("/srv/web/logs"));
        assert_eq!(
            (log.max_size, log.keep, log.max_line),
            (10_000_000, 5, 65_536)
        );
    }

    #[test]
    fn every_key_resolves() {
        let log = check(
            "[log]\ndir = \"out/logs\"\nmax_size = \"1MiB\"\nrotate = \"hourly\"\nkeep = 0\n\
             compress = true\ntimestamps = true\nformat = \"json\"\npolicy = \"drop\"\nmax_line = \"4KiB\"\n",
        )
        .unwrap();
        assert_eq!(
            log,
            Log {
                dir: "/srv/web/out/logs".into(),
                max_size: 1 << 20,
                rotate: LogRotate::Hourly,
                keep: 0,
                compress: true,
                timestamps: true,
                format: LogFormat::Json,
                policy: LogPolicy::Drop,
                max_line: 4096,
            }
        );
        let absolute = check("[log]\ndir = 'C:\\logs'\nrotate = \"daily\"\n").unwrap();
        assert_eq!(
            (absolute.dir, absolute.rotate),
            (PathBuf::from("C:\\logs"), LogRotate::Daily)
        );
    }

    #[test]
    fn bad_values_are_reported_with_their_position() {
        let errors = check(
            "[log]\nmax_size = \"10 parsecs\"\nrotate = \"weekly\"\nkeep = -1\n\
             format = \"xml\"\npolicy = \"maybe\"\nmax_line = \"1GiB\"\n",
        )
        .unwrap_err();
        let file = "/srv/web/steward.toml";
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(
            errors[0].starts_with(&format!(
                "{file}:4:12: log.max_size = \"10 parsecs\": expected a size"
            )),
            "{errors:#?}"
        );
        assert_eq!(
            errors[1],
            format!(
                "{file}:5:10: log.rotate = \"weekly\": expected one of \"never\", \"hourly\", \"daily\""
            )
        );
        assert!(
            errors[2].starts_with(&format!("{file}:6:8: log.keep = -1")),
            "{errors:#?}"
        );
        assert!(
            errors[3].starts_with(&format!("{file}:7:10: log.format = \"xml\"")),
            "{errors:#?}"
        );
        assert!(
            errors[4].starts_with(&format!("{file}:8:10: log.policy = \"maybe\"")),
            "{errors:#?}"
        );
        assert_eq!(
            errors[5],
            format!(
                "{file}:9:12: log.max_line = \"1GiB\": expected a size from 1 to 16777216 bytes"
            )
        );
        let errors = check("[log]\nmax_size = \"100\"\n").unwrap_err();
        assert!(
            errors[0].ends_with("expected a size of at least 1024 bytes"),
            "{errors:#?}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let errors = check("[log]\nkeep = 3\nmax_files = 3\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("/srv/web/steward.toml:5:1: unknown key `max_files` in [log]"),
            "{errors:#?}"
        );
    }
}
