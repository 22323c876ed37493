//! Config errors: one line each, naming the file, the position, the key and what was expected.

use std::fmt;
use std::path::PathBuf;

/// A position in a config file, 1-based, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, starting at 1.
    pub line: usize,
    /// Column, starting at 1, in characters (not bytes).
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text's end).
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem in a config file, displayed as `file:line:col: message`.
///
/// # Examples
///
/// ```
/// let errors = steward_config::check_str("[service]\nname = 5\n", "steward.toml".as_ref()).unwrap_err();
/// assert_eq!(
///     errors[0].to_string(),
///     "steward.toml:2:8: service.name: invalid type: integer `5`, expected a string"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{location}: {kind}", file.display())]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// Where in the file (1:1 when the problem is the file as a whole).
    pub location: Location,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a config.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read the config file: {0}")]
    Read(String),
    /// The file is not valid TOML.
    #[error("invalid TOML: {0}")]
    Syntax(String),
    /// A table this version of steward does not know at all.
    #[error(
        "unknown table [{table}]{}; expected one of: {expected}",
        did_you_mean(suggestion)
    )]
    UnknownTable {
        /// The table's name.
        table: String,
        /// The known table whose name is closest, if one is close.
        suggestion: Option<String>,
        /// The tables that are known.
        expected: String,
    },
    /// A table of the config contract that this version of steward does not implement yet.
    #[error("table [{0}] is not supported by this version of steward")]
    UnsupportedTable(String),
    /// A key that the table does not have.
    #[error(
        "unknown key `{key}` in [{table}]{}; expected one of: {expected}",
        did_you_mean(suggestion)
    )]
    UnknownKey {
        /// The table.
        table: String,
        /// The key as written.
        key: String,
        /// The known key whose name is closest, if one is close.
        suggestion: Option<String>,
        /// The keys the table has.
        expected: String,
    },
    /// A value of the wrong TOML type, as the TOML reader describes it.
    #[error("{key}: {message}")]
    Type {
        /// The key, dotted (`restart.delay`).
        key: String,
        /// What the reader found and expected.
        message: String,
    },
    /// A required key is absent.
    #[error("missing key `{key}`: {expected}")]
    Missing {
        /// The key, dotted (`program.command`).
        key: String,
        /// What it should be.
        expected: String,
    },
    /// A value that has the right type but is not acceptable.
    #[error("{key} = {value}: expected {expected}")]
    Invalid {
        /// The key, dotted (`restart.delay`).
        key: String,
        /// The value as written (TOML-quoted for strings).
        value: String,
        /// What would be acceptable.
        expected: String,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default()
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn closest(name: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| (*candidate).to_owned())
}
