//! Durations (`250ms`, `10s`, `5m`, `1h`) and sizes (`10MB`, `1GiB`) as written in a config.

use std::time::Duration;

/// The accepted duration forms, as shown in error messages.
pub const DURATION_FORMS: &str = "a duration such as \"250ms\", \"10s\", \"5m\" or \"1h\"";

/// The accepted size forms, as shown in error messages.
pub const SIZE_FORMS: &str = "a size such as \"512KiB\", \"10MB\" or \"1GiB\"";

/// A duration or size that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(String);

/// Parses a duration: a number and a unit (`ns`, `us`, `ms`, `s`, `m`, `h`, `d`, also spelled out
/// as `sec`, `min`, `hours`, ...), optionally several (`1h 30m`). A bare number is refused: the
/// unit is never guessed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use steward_config::parse_duration;
///
/// assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
/// assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
/// assert!(parse_duration("10").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    use humantime::DurationError as E;
    humantime::parse_duration(text.trim()).map_err(|error| {
        UnitError(match error {
            E::UnknownUnit { unit, .. } if unit.is_empty() => "the unit is missing".into(),
            E::UnknownUnit { unit, .. } => format!("unknown unit {unit:?}"),
            E::NumberExpected(_) if text.trim().starts_with('-') => "negative".into(),
            E::NumberExpected(_) => "a number is missing".into(),
            E::InvalidCharacter(at) => format!("unexpected character at {}", at + 1),
            E::NumberOverflow => "too large".into(),
            E::Empty => "empty".into(),
        })
    })
}

/// Parses a size in bytes: a number and a decimal (`KB`, `MB`, `GB`: powers of 1000) or binary
/// (`KiB`, `MiB`, `GiB`: powers of 1024) unit, case-insensitive; a bare number is bytes.
///
/// # Examples
///
/// ```
/// use steward_config::parse_size;
///
/// assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
/// assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
/// assert!(parse_size("ten").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let text = text.trim();
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(UnitError(format!("{text:?} does not start with a number")));
    }
    text.parse::<bytesize::ByteSize>()
        .map(|size| size.as_u64())
        .map_err(UnitError)
}

/// Renders a duration the way a config writes it (`100ms`, `30s`, `1m 30s`).
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_of_every_documented_form() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_without_a_unit_or_with_garbage_are_refused() {
        for bad in ["10", "", "ten seconds", "10 parsecs", "-5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn sizes_decimal_and_binary() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("10mb"), Ok(10_000_000));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
    }

    #[test]
    fn bad_sizes_are_refused() {
        for bad in ["", "MB", "10 parsecs", "-1MB", "ten"] {
            assert!(parse_size(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn durations_format_back() {
        assert_eq!(format_duration(Duration::from_millis(100)), "100ms");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m 30s");
    }
}
