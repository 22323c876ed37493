//! Reproducible zips: entries sorted by name, one fixed timestamp, fixed permissions, no extra
//! fields, so the same inputs always give the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::PackError;

/// The timestamp used when `SOURCE_DATE_EPOCH` is not set: 2000-01-01 00:00:00 UTC.
pub const DEFAULT_EPOCH: i64 = 946_684_800;

/// The timestamp for archive entries: `SOURCE_DATE_EPOCH` when set and valid, else
/// [`DEFAULT_EPOCH`].
pub fn source_date_epoch() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(DEFAULT_EPOCH)
}

/// Converts Unix seconds to a zip (DOS) date-time, in UTC; clamped to the DOS range
/// 1980..=2107.
pub fn dos_time(epoch: i64) -> DateTime {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let clamped = y.clamp(1980, 2107);
    let (m, d, secs) = if clamped != y {
        if y < 1980 {
            (1, 1, 0)
        } else {
            (12, 31, 86_399)
        }
    } else {
        (m, d, secs)
    };
    DateTime::from_date_and_time(
        clamped as u16,
        m as u8,
        d as u8,
        (secs / 3600) as u8,
        (secs % 3600 / 60) as u8,
        (secs % 60) as u8,
    )
    .unwrap_or_default()
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Writes `entries` (name in the archive, file to read) to `out`, sorted by name, every entry
/// stamped with `epoch`; `.exe` and `.dll` entries get mode 0755, the rest 0644.
pub fn write_zip(out: &Path, entries: &[(String, PathBuf)], epoch: i64) -> Result<(), PackError> {
    let mut sorted: Vec<&(String, PathBuf)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let file = std::fs::File::create(out).map_err(PackError::io("create", out))?;
    let zip_error = |error| PackError::Zip {
        path: out.to_path_buf(),
        error,
    };
    let mut writer = ZipWriter::new(std::io::BufWriter::new(file));
    let time = dos_time(epoch);
    for (name, source) in sorted {
        let lower = name.to_ascii_lowercase();
        let mode = if lower.ends_with(".exe") || lower.ends_with(".dll") {
            0o755
        } else {
            0o644
        };
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(time)
            .unix_permissions(mode)
            .large_file(false);
        let data = std::fs::read(source).map_err(PackError::io("read", source))?;
        writer
            .start_file(name.as_str(), options)
            .map_err(zip_error)?;
        writer
            .write_all(&data)
            .map_err(PackError::io("write", out))?;
    }
    let mut inner = writer.finish().map_err(zip_error)?;
    inner.flush().map_err(PackError::io("write", out))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times() {
        let t = dos_time(DEFAULT_EPOCH);
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2000, 1, 1, 0));
        let t = dos_time(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2023, 11, 14, 22, 13, 20)
        );
        assert_eq!(dos_time(0).year(), 1980);
    }
}
