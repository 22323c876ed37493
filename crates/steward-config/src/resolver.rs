//! The machinery shared by every table: reading a table's raw layer while collecting every error
//! (not just the first), and the semantic checks that turn raw values into typed ones.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::error::{ConfigError, ErrorKind, Location};
use crate::fields::field_names;
use crate::units::{DURATION_FORMS, parse_duration};

/// Collects errors while the raw layer of a config file is read and resolved.
pub(crate) struct Resolver<'a> {
    path: &'a Path,
    text: &'a str,
    base_dir: PathBuf,
    errors: Vec<ConfigError>,
    /// Dotted keys (and tables) already reported as malformed; no "missing key" error is added
    /// for them.
    rejected: BTreeSet<String>,
    /// The document had syntax errors: keys may be missing only because they were unreadable.
    partial: bool,
}

impl<'a> Resolver<'a> {
    /// A resolver for `text`, read from `path`; relative paths resolve against `base_dir`.
    pub(crate) fn new(path: &'a Path, text: &'a str, base_dir: PathBuf) -> Self {
        Resolver {
            path,
            text,
            base_dir,
            errors: Vec::new(),
            rejected: BTreeSet::new(),
            partial: false,
        }
    }

    /// The errors found so far, in file order.
    pub(crate) fn into_errors(mut self) -> Vec<ConfigError> {
        self.errors.sort_by_key(|error| error.location);
        self.errors
    }

    /// The directory relative paths are resolved against.
    pub(crate) fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Notes that the document had syntax errors, so absent keys are not reported.
    pub(crate) fn set_partial(&mut self) {
        self.partial = true;
    }

    /// Records an error at byte range `span`.
    pub(crate) fn push(&mut self, span: Range<usize>, kind: ErrorKind) {
        self.errors.push(ConfigError {
            file: self.path.to_path_buf(),
            location: Location::of_offset(self.text, span.start),
            kind,
        });
    }

    /// Records an invalid value: `key = value: expected ...`.
    pub(crate) fn invalid<T: std::fmt::Debug>(
        &mut self,
        key: &str,
        value: &Spanned<T>,
        expected: impl Into<String>,
    ) {
        let kind = ErrorKind::Invalid {
            key: key.to_owned(),
            value: format!("{:?}", value.get_ref()),
            expected: expected.into(),
        };
        self.push(value.span(), kind);
    }

    /// Records a missing required key, unless that key was already reported as malformed.
    pub(crate) fn missing(&mut self, key: &str, span: Range<usize>, expected: &str) {
        let table = key.split('.').next().unwrap_or(key);
        if !self.partial && !self.rejected.contains(key) && !self.rejected.contains(table) {
            let kind = ErrorKind::Missing {
                key: key.to_owned(),
                expected: expected.to_owned(),
            };
            self.push(span, kind);
        }
    }

    /// A duration value, or `default` when absent (or invalid, after recording the error).
    pub(crate) fn duration(
        &mut self,
        key: &str,
        value: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let Some(value) = value else {
            return default;
        };
        match parse_duration(value.get_ref()) {
            Ok(duration) => duration,
            Err(error) => {
                self.invalid(key, value, format!("{DURATION_FORMS} ({error})"));
                default
            }
        }
    }

    /// A path from the config, resolved against the config file's directory unless absolute
    /// (on any platform: `C:\app` and `\\server\share` count as absolute on Linux too, so a
    /// Windows config checks cleanly anywhere).
    pub(crate) fn path(&self, raw: &str) -> PathBuf {
        if is_absolute_anywhere(raw) {
            PathBuf::from(raw)
        } else {
            self.base_dir.join(raw)
        }
    }

    /// A command: a bare name stays as written (found in `PATH` when started); anything with a
    /// separator is a path, resolved like [`Resolver::path`].
    pub(crate) fn command(&self, raw: &str) -> PathBuf {
        if raw.contains(['/', '\\']) {
            self.path(raw)
        } else {
            PathBuf::from(raw)
        }
    }

    /// Reads table `name` into its raw struct `T`. Every unknown key and every value of the wrong
    /// type is reported (the offending key is dropped and the table read again), so one typo does
    /// not hide the next. Returns the table without the offending keys; `None` if the value is
    /// not a table at all.
    pub(crate) fn table<T: DeserializeOwned>(
        &mut self,
        name: &str,
        value: Spanned<DeValue<'_>>,
    ) -> Option<T> {
        let span = value.span();
        let DeValue::Table(mut table) = value.into_inner() else {
            let kind = ErrorKind::Type {
                key: name.to_owned(),
                message: format!("expected a table [{name}]"),
            };
            self.push(span, kind);
            self.rejected.insert(name.to_owned());
            return None;
        };
        loop {
            let whole = Spanned::new(span.clone(), DeValue::Table(table.clone()));
            let error = match T::deserialize(ValueDeserializer::from(whole)) {
                Ok(raw) => return Some(raw),
                Err(error) => error,
            };
            let error_span = error.span().unwrap_or(span.clone());
            let Some(key) = offending_key(&table, &error_span) else {
                let kind = ErrorKind::Type {
                    key: name.to_owned(),
                    message: error.message().to_owned(),
                };
                self.push(error_span, kind);
                return None;
            };
            let known = field_names::<T>();
            let kind = if known.contains(&key.as_str()) {
                ErrorKind::Type {
                    key: format!("{name}.{key}"),
                    message: error.message().to_owned(),
                }
            } else {
                ErrorKind::UnknownKey {
                    table: name.to_owned(),
                    suggestion: crate::error::closest(&key, known),
                    key: key.clone(),
                    expected: known.join(", "),
                }
            };
            self.push(error_span, kind);
            self.rejected.insert(format!("{name}.{key}"));
            table = table
                .into_iter()
                .filter(|(k, _)| k.get_ref().as_ref() != key.as_str())
                .collect();
        }
    }
}

/// The key of `table` whose key or value contains `span`.
fn offending_key(table: &DeTable<'_>, span: &Range<usize>) -> Option<String> {
    table
        .iter()
        .find(|(key, value)| {
            let (k, v) = (key.span(), value.span());
            (k.start <= span.start && span.start < k.end.max(k.start + 1))
                || (v.start <= span.start && span.start < v.end.max(v.start + 1))
        })
        .map(|(key, _)| key.get_ref().to_string())
}

/// Whether `raw` is an absolute path on this platform or on Windows (`C:\x`, `C:/x`, `\\srv\x`).
pub(crate) fn is_absolute_anywhere(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    Path::new(raw).is_absolute()
        || raw.starts_with(r"\\")
        || (bytes.len() >= 3
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && (bytes[2] == b'\\' || bytes[2] == b'/'))
}

/// Whether `a` and `b` name the same file: the same path, or (when both exist) the same file
/// through links. Used to refuse secrets files that are the config file itself.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_unix_absolute_paths_are_recognised_everywhere() {
        assert!(is_absolute_anywhere(r"C:\app\app.exe"));
        assert!(is_absolute_anywhere("d:/app"));
        assert!(is_absolute_anywhere(r"\\server\share\app.exe"));
        assert!(!is_absolute_anywhere("bin/app"));
        assert!(!is_absolute_anywhere(r"bin\app.exe"));
        assert!(!is_absolute_anywhere("C:relative"));
    }
}
