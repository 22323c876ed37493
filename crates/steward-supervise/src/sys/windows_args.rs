//! Windows command lines, built on every platform so the rules are unit-tested on Linux.
//!
//! A Windows program receives one string and splits it itself. Two sets of rules matter:
//!
//! * **Programs** (`.exe` and everything else): the rules of `CommandLineToArgvW` and the C
//!   runtime. An argument is quoted when it is empty or contains a space, tab, newline or `"`;
//!   inside quotes, backslashes are literal unless they precede a `"`, so `2n` backslashes
//!   before a `"` become `n` and `\"` is a literal quote. The program name (`argv[0]`) has no
//!   escapes at all: it is always quoted and may not contain `"`.
//! * **Batch files** (`.bat`, `.cmd`): `CreateProcess` would run them through `cmd.exe`, which
//!   re-parses the line with its own rules (`%VAR%` expansion, `&`, `|`, `^`, `!`, ...). An
//!   argument that is fine for a program can then run commands (CVE-2024-24576, "BatBadBut").
//!   So a batch file is never handed to `CreateProcess` directly: the supervisor starts
//!   `cmd.exe /e:ON /v:OFF /d /c "<line>"` itself, every argument with a space or a cmd
//!   delimiter is put in plain double quotes, and an argument containing a character that
//!   cannot be quoted safely for cmd (see [`CMD_UNSAFE`]) is refused with
//!   [`ArgError::UnsafeBatchArgument`].

use std::fmt;

/// Characters cmd.exe interprets even inside double quotes (or that end a quoted string), and
/// line breaks, which end the command: refused in every argument of a batch file.
pub(crate) const CMD_UNSAFE: &[char] = &['"', '%', '!', '^', '&', '|', '<', '>', '\r', '\n'];

/// The longest command line `CreateProcessW` accepts, in UTF-16 units, without the NUL.
pub(crate) const MAX_COMMAND_LINE: usize = 32_766;

/// What to start: an explicit application (for a batch file, `cmd.exe`) and the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine {
    /// `true` when the program is a batch file: the caller starts `%SystemRoot%\System32\cmd.exe`
    /// with [`line`](Self::line), never the batch file itself.
    pub(crate) via_cmd: bool,
    /// The full command line, program name first.
    pub(crate) line: String,
}

/// Why a command line cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgError {
    /// An argument (or the program) is not valid Unicode.
    NotUnicode {
        /// 0 for the program, `n` for the n-th argument.
        index: usize,
    },
    /// An argument (or the program) contains a NUL character.
    Nul {
        /// 0 for the program, `n` for the n-th argument.
        index: usize,
    },
    /// The program path contains a `"`.
    QuoteInProgram,
    /// An argument of a batch file contains a character cmd.exe would interpret.
    UnsafeBatchArgument {
        /// 0 for the batch file's own path, `n` for the n-th argument.
        index: usize,
        /// The offending character.
        found: char,
    },
    /// The command line is longer than Windows allows.
    TooLong {
        /// Its length in UTF-16 units.
        len: usize,
    },
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::NotUnicode { index: 0 } => f.write_str("the program path is not unicode"),
            ArgError::NotUnicode { index } => write!(f, "argument {index} is not unicode"),
            ArgError::Nul { index: 0 } => f.write_str("the program path contains a nul character"),
            ArgError::Nul { index } => write!(f, "argument {index} contains a nul character"),
            ArgError::QuoteInProgram => f.write_str("the program path contains a '\"'"),
            ArgError::UnsafeBatchArgument { index: 0, found } => write!(
                f,
                "the batch file path contains {}, which cmd.exe would interpret; refused",
                describe(*found)
            ),
            ArgError::UnsafeBatchArgument { index, found } => write!(
                f,
                "argument {index} of a .bat/.cmd program contains {}, which cmd.exe would \
                 interpret (CVE-2024-24576); refused: pass it through a config file or an \
                 environment variable, or wrap an .exe instead",
                describe(*found)
            ),
            ArgError::TooLong { len } => write!(
                f,
                "the command line is {len} characters long; windows allows {MAX_COMMAND_LINE}"
            ),
        }
    }
}

impl std::error::Error for ArgError {}

/// A character as an error message shows it.
fn describe(c: char) -> String {
    match c {
        '\r' => "a carriage return".into(),
        '\n' => "a line break".into(),
        c => format!("'{c}'"),
    }
}

/// Whether `program` is a batch file: its extension, after the trailing dots and spaces Windows
/// ignores, is `.bat` or `.cmd` in any case.
pub(crate) fn is_batch(program: &str) -> bool {
    let trimmed = program.trim_end_matches(['.', ' ']);
    let name = trimmed.rsplit(['\\', '/']).next().unwrap_or(trimmed);
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.eq_ignore_ascii_case("bat") || ext.eq_ignore_ascii_case("cmd"),
        None => false,
    }
}

/// Builds the command line for `program` and `args`, or refuses (see the module docs).
pub(crate) fn command_line<P, A>(program: P, args: &[A]) -> Result<CommandLine, ArgError>
where
    P: AsRef<std::ffi::OsStr>,
    A: AsRef<std::ffi::OsStr>,
{
    let program = unicode(program.as_ref(), 0)?;
    let args = args
        .iter()
        .enumerate()
        .map(|(i, a)| unicode(a.as_ref(), i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    if program.contains('"') {
        return Err(ArgError::QuoteInProgram);
    }
    let via_cmd = is_batch(program);
    let line = if via_cmd {
        batch_line(program, &args)?
    } else {
        program_line(program, &args)
    };
    let len = line.encode_utf16().count();
    if len > MAX_COMMAND_LINE {
        return Err(ArgError::TooLong { len });
    }
    Ok(CommandLine { via_cmd, line })
}

fn unicode(s: &std::ffi::OsStr, index: usize) -> Result<&str, ArgError> {
    let s = s.to_str().ok_or(ArgError::NotUnicode { index })?;
    if s.contains('\0') {
        return Err(ArgError::Nul { index });
    }
    Ok(s)
}

/// `"program" arg1 "arg 2" ...` with `CommandLineToArgvW` quoting.
fn program_line(program: &str, args: &[&str]) -> String {
    let mut line = format!("\"{program}\"");
    for arg in args {
        line.push(' ');
        quote_arg(arg, &mut line);
    }
    line
}

/// Appends `arg` to `line`, quoted so `CommandLineToArgvW` gives `arg` back unchanged.
pub(crate) fn quote_arg(arg: &str, line: &mut String) {
    let needs_quotes = arg.is_empty() || arg.contains([' ', '\t', '\n', '\x0b', '"']);
    if !needs_quotes {
        line.push_str(arg);
        return;
    }
    line.push('"');
    let mut backslashes = 0usize;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                // 2n+1 backslashes then the quote: n literal backslashes and a literal quote.
                line.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                line.push('"');
                backslashes = 0;
            }
            c => {
                line.extend(std::iter::repeat_n('\\', backslashes));
                line.push(c);
                backslashes = 0;
            }
        }
    }
    // Backslashes before the closing quote are doubled, so the quote stays a delimiter.
    line.extend(std::iter::repeat_n('\\', backslashes * 2));
    line.push('"');
}

/// `/e:ON /v:OFF /d /c ""batch" arg1 "arg 2""`: cmd strips the outer quotes of what follows
/// `/c` and runs the rest, in which no argument can contain a character cmd interprets.
fn batch_line(program: &str, args: &[&str]) -> Result<String, ArgError> {
    if let Some(found) = program.chars().find(|c| CMD_UNSAFE.contains(c)) {
        return Err(ArgError::UnsafeBatchArgument { index: 0, found });
    }
    let mut line = format!("cmd.exe /e:ON /v:OFF /d /c \"\"{program}\"");
    for (i, arg) in args.iter().enumerate() {
        if let Some(found) = arg.chars().find(|c| CMD_UNSAFE.contains(c)) {
            return Err(ArgError::UnsafeBatchArgument {
                index: i + 1,
                found,
            });
        }
        line.push(' ');
        // cmd splits arguments at whitespace and at , ; = (and parentheses matter to it).
        let needs_quotes =
            arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || ",;=()".contains(c));
        if needs_quotes {
            line.push('"');
            line.push_str(arg);
            line.push('"');
        } else {
            line.push_str(arg);
        }
    }
    line.push('"');
    Ok(line)
}

#[cfg(test)]
#[path = "windows_args_tests.rs"]
mod tests;
