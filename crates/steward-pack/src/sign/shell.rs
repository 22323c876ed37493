//! The shell makensis hands `!uninstfinalize` commands to (`/bin/sh -c` on Unix, `cmd.exe /C`
//! on Windows) and how to quote words for it. A word that cannot be quoted safely is refused,
//! never passed on half-quoted.

use crate::PackError;
use crate::discover::Host;

/// A command shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// POSIX `sh`: words in single quotes.
    Sh,
    /// `cmd.exe`: words in double quotes; `"`, `%`, line breaks and a trailing backslash are
    /// refused (cmd has no escape for `"` or `%` inside quotes, and a trailing `\` would escape
    /// the closing quote for the program's own argument parser).
    Cmd,
}

impl Shell {
    /// The shell makensis uses on `host`.
    pub fn for_host(host: Host) -> Shell {
        match host {
            Host::Windows => Shell::Cmd,
            Host::Unix => Shell::Sh,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shell::Sh => "sh",
            Shell::Cmd => "cmd.exe",
        }
    }

    /// `word` as one quoted shell word.
    pub fn quote(self, word: &str) -> Result<String, PackError> {
        match self {
            Shell::Sh => Ok(format!("'{}'", word.replace('\'', r"'\''"))),
            Shell::Cmd => {
                let unsafe_char = word
                    .chars()
                    .any(|c| matches!(c, '"' | '%' | '\r' | '\n' | '\0'));
                if unsafe_char || word.ends_with('\\') {
                    return Err(PackError::Quote {
                        text: word.to_owned(),
                        shell: self.name(),
                    });
                }
                Ok(format!("\"{word}\""))
            }
        }
    }

    /// The words quoted and joined with spaces.
    pub fn join<S: AsRef<str>>(self, words: &[S]) -> Result<String, PackError> {
        let quoted = words
            .iter()
            .map(|w| self.quote(w.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(quoted.join(" "))
    }

    /// A command that moves `from` over `to` (already quoted).
    pub fn move_over(self, from: &str, to: &str) -> String {
        match self {
            Shell::Sh => format!("mv -f {from} {to}"),
            Shell::Cmd => format!("move /y {from} {to} >nul"),
        }
    }

    /// A command that copies `from` to `to` (already quoted).
    pub fn copy(self, from: &str, to: &str) -> String {
        match self {
            Shell::Sh => format!("cp -f {from} {to}"),
            Shell::Cmd => format!("copy /y {from} {to} >nul"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quotes_everything() {
        assert_eq!(Shell::Sh.quote("it's $HOME").unwrap(), r#"'it'\''s $HOME'"#);
    }

    #[test]
    fn cmd_refuses_what_it_cannot_quote() {
        assert_eq!(
            Shell::Cmd
                .quote(r"C:\Program Files (x86)\Windows Kits\signtool.exe")
                .unwrap(),
            r#""C:\Program Files (x86)\Windows Kits\signtool.exe""#
        );
        assert_eq!(Shell::Cmd.quote("a & b").unwrap(), r#""a & b""#);
        for bad in ["say \"hi\"", "100%", "C:\\dir\\", "a\nb"] {
            let error = Shell::Cmd.quote(bad).unwrap_err().to_string();
            assert!(
                error.contains("cannot be quoted safely for cmd.exe"),
                "{error}"
            );
        }
    }
}
