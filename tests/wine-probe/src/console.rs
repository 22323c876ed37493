//! The portable half of `console-run`: its options, their parsing and Windows command-line
//! quoting. The Win32 half lives in `windows/console_run.rs`.

use crate::cli::UsageError;

/// The console control event `console-run` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtrlKind {
    /// `CTRL_C_EVENT`.
    C,
    /// `CTRL_BREAK_EVENT`.
    Break,
}

/// How `console-run` delivers the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Through the child's console: `AttachConsole` + `GenerateConsoleCtrlEvent` (WinSW's way).
    Console,
    /// A thread started in the child at `kernelbase!CtrlRoutine(event)`: the routine a console
    /// event runs in its target on Windows, minus the console. For events Wine's console cannot
    /// generate (Wine 8 refuses `CTRL_BREAK_EVENT`).
    RemoteThread,
}

/// Default for both deadlines of `console-run` (readiness, then exit after the control).
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// What `console-run` starts, when it considers the child ready, and what it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRun {
    /// The event to send once the child is ready.
    pub ctrl: CtrlKind,
    /// How to deliver it.
    pub via: Delivery,
    /// Windows path of a file whose content marks the child ready (non-empty, or containing
    /// `after_text`); without it the control is sent right after `after_ms`.
    pub after_file: Option<String>,
    /// Text `after_file` must contain.
    pub after_text: Option<String>,
    /// Extra wait after readiness before sending the control.
    pub after_ms: u64,
    /// Windows path of a file that receives the child's stdout and stderr (truncated first).
    pub output_file: Option<String>,
    /// Deadline for readiness and, separately, for the exit after the control.
    pub timeout_ms: u64,
    /// The executable's Windows path.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// Parses `console-run [FLAGS] -- EXE [ARGS...]`.
pub fn parse(rest: &[String]) -> Result<ConsoleRun, UsageError> {
    let split = rest
        .iter()
        .position(|a| a == "--")
        .ok_or_else(|| UsageError("console-run: missing `-- EXE [ARGS...]`".into()))?;
    let (flags, command) = (&rest[..split], &rest[split + 1..]);
    let (program, args) = command
        .split_first()
        .ok_or_else(|| UsageError("console-run: missing EXE after `--`".into()))?;
    let mut run = ConsoleRun {
        ctrl: CtrlKind::C,
        via: Delivery::Console,
        after_file: None,
        after_text: None,
        after_ms: 0,
        output_file: None,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        program: program.clone(),
        args: args.to_vec(),
    };
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| UsageError(format!("console-run: {flag} needs a value")))?;
        match flag.as_str() {
            "--ctrl" => run.ctrl = parse_ctrl(value)?,
            "--via" => run.via = parse_via(value)?,
            "--after-file" => run.after_file = Some(value.clone()),
            "--after-text" => run.after_text = Some(value.clone()),
            "--after-ms" => run.after_ms = millis(flag, value)?,
            "--output-file" => run.output_file = Some(value.clone()),
            "--timeout-ms" => run.timeout_ms = millis(flag, value)?,
            other => return Err(UsageError(format!("console-run: unknown flag {other:?}"))),
        }
    }
    if run.after_text.is_some() && run.after_file.is_none() {
        return Err(UsageError(
            "console-run: --after-text needs --after-file".into(),
        ));
    }
    Ok(run)
}

/// `c` or `break`.
fn parse_ctrl(word: &str) -> Result<CtrlKind, UsageError> {
    match word {
        "c" => Ok(CtrlKind::C),
        "break" => Ok(CtrlKind::Break),
        other => Err(UsageError(format!(
            "console-run: --ctrl expects c|break, got {other:?}"
        ))),
    }
}

/// `console` or `remote-thread`.
fn parse_via(word: &str) -> Result<Delivery, UsageError> {
    match word {
        "console" => Ok(Delivery::Console),
        "remote-thread" => Ok(Delivery::RemoteThread),
        other => Err(UsageError(format!(
            "console-run: --via expects console|remote-thread, got {other:?}"
        ))),
    }
}

/// A number of milliseconds.
fn millis(flag: &str, value: &str) -> Result<u64, UsageError> {
    value
        .parse()
        .map_err(|_| UsageError(format!("{flag}: expected milliseconds, got {value:?}")))
}

/// A command line that `CommandLineToArgvW` (and Rust's std) splits back into `program` and
/// `args`: each part quoted when needed, backslashes before quotes doubled.
pub fn command_line(program: &str, args: &[String]) -> String {
    // The program name is parsed by simpler rules (no escapes): quote it, it holds no quotes.
    let mut out = format!("\"{program}\"");
    for arg in args {
        out.push(' ');
        quote_into(&mut out, arg);
    }
    out
}

/// Appends `arg`, quoted and escaped when it is empty or holds whitespace or quotes.
fn quote_into(out: &mut String, arg: &str) {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        out.push_str(arg);
        return;
    }
    out.push('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                // The backslashes already written are doubled, plus one escaping the quote.
                out.extend(std::iter::repeat_n('\\', backslashes + 1));
                backslashes = 0;
            }
            _ => backslashes = 0,
        }
        out.push(c);
    }
    // Trailing backslashes are doubled so the closing quote stays a quote.
    out.extend(std::iter::repeat_n('\\', backslashes));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_flags_and_command() {
        let run = parse(&argv(
            r"--ctrl break --after-file C:\t\ev.txt --timeout-ms 5000 -- C:\t\f.exe --events C:\t\ev.txt",
        ))
        .expect("valid");
        assert_eq!(run.ctrl, CtrlKind::Break);
        assert_eq!(run.after_file.as_deref(), Some(r"C:\t\ev.txt"));
        assert_eq!(run.timeout_ms, 5000);
        assert_eq!(run.program, r"C:\t\f.exe");
        assert_eq!(run.args, argv(r"--events C:\t\ev.txt"));
    }

    #[test]
    fn defaults_and_errors() {
        let run = parse(&argv("-- x.exe")).expect("valid");
        assert_eq!(run.ctrl, CtrlKind::C);
        assert_eq!(run.via, Delivery::Console);
        assert_eq!(
            parse(&argv("--via remote-thread -- x.exe")).map(|r| r.via),
            Ok(Delivery::RemoteThread)
        );
        assert!(parse(&argv("--via pigeon -- x.exe")).is_err());
        assert_eq!(run.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(parse(&argv("--ctrl z -- x.exe")).is_err());
        assert!(parse(&argv("--ctrl c x.exe")).is_err());
        assert!(parse(&argv("--ctrl c --")).is_err());
        assert!(parse(&argv("--after-text hi -- x.exe")).is_err());
        assert!(parse(&argv("--bogus 1 -- x.exe")).is_err());
    }

    #[test]
    fn quotes_like_command_line_to_argv() {
        let args = vec![
            "plain".to_string(),
            "a b".to_string(),
            String::new(),
            r#"say "hi""#.to_string(),
            r"C:\dir with space\".to_string(),
            r#"a\"b"#.to_string(),
        ];
        assert_eq!(
            command_line(r"C:\x y\p.exe", &args),
            r#""C:\x y\p.exe" plain "a b" "" "say \"hi\"" "C:\dir with space\\" "a\\\"b""#
        );
    }
}
