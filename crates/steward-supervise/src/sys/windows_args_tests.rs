use super::*;

/// A reference splitter with `CommandLineToArgvW`'s rules for arguments after the program name
/// (backslashes are literal unless they precede a `"`; `""` inside quotes is a literal quote).
fn split_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if chars.peek().is_none() {
            return args;
        }
        let (mut arg, mut quoted, mut backslashes) = (String::new(), false, 0usize);
        while let Some(c) = chars.next() {
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    arg.extend(std::iter::repeat_n('\\', backslashes / 2));
                    // An escaped quote, or `""` inside quotes: a literal quote.
                    if backslashes % 2 == 1 || (quoted && chars.next_if_eq(&'"').is_some()) {
                        arg.push('"');
                    } else {
                        quoted = !quoted;
                    }
                    backslashes = 0;
                }
                ' ' | '\t' if !quoted => break,
                c => {
                    arg.extend(std::iter::repeat_n('\\', backslashes));
                    arg.push(c);
                    backslashes = 0;
                }
            }
        }
        arg.extend(std::iter::repeat_n('\\', backslashes));
        args.push(arg);
    }
}

/// Splits a full program line: the quoted program name, then the arguments.
fn split_line(line: &str) -> (String, Vec<String>) {
    let rest = line.strip_prefix('"').expect("the program is quoted");
    let (program, args) = rest.split_once('"').expect("closing quote");
    (program.to_owned(), split_args(args))
}

#[test]
fn program_arguments_round_trip_through_command_line_to_argv_rules() {
    let cases: &[&[&str]] = &[
        &["plain", "--port", "8080"],
        &["", "two words", "tab\there"],
        &[r"C:\dir\", r"C:\dir with space\", r"\\server\share\"],
        &[r#"say "hi""#, r#"\"already\""#, r#"a\\"b"#, r#"\\\""#],
        &["&calc", "%PATH%", "^!|<>", "ümlaut ✓"],
        &["new\nline", "vertical\x0btab"],
    ];
    for args in cases {
        let built = command_line(r"C:\Program Files\app\app.exe", args).unwrap();
        assert!(!built.via_cmd);
        let (program, parsed) = split_line(&built.line);
        assert_eq!(program, r"C:\Program Files\app\app.exe");
        assert_eq!(parsed, *args, "line: {}", built.line);
    }
}

#[test]
fn simple_arguments_stay_unquoted() {
    let built = command_line("app.exe", &["--port", "8080", r"C:\x\y"]).unwrap();
    assert_eq!(built.line, r#""app.exe" --port 8080 C:\x\y"#);
}

#[test]
fn batch_files_are_recognised_whatever_the_case_and_trailing_dots() {
    for name in [
        r"C:\a\run.bat",
        r"C:\a\RUN.CMD",
        "run.Bat",
        "run.bat.",
        "run.cmd . .",
        "x/y.cmd",
    ] {
        assert!(is_batch(name), "{name}");
    }
    for name in [
        r"C:\a.bat\run",
        "run.exe",
        "bat",
        "run.batch",
        r"C:\a\run.com",
    ] {
        assert!(!is_batch(name), "{name}");
    }
}

#[test]
fn batch_files_run_through_an_explicit_cmd_with_quoting() {
    let built = command_line(
        r"C:\Program Files\app\start.bat",
        &["hello", "two words", "a,b", "", r"C:\dir\", r"C:\my dir\"],
    )
    .unwrap();
    assert!(built.via_cmd);
    assert_eq!(
        built.line,
        r#"cmd.exe /e:ON /v:OFF /d /c ""C:\Program Files\app\start.bat" hello "two words" "a,b" "" C:\dir\ "C:\my dir\"""#
    );
}

#[test]
fn unsafe_batch_arguments_are_refused_cve_2024_24576() {
    for (arg, found) in [
        ("&calc", '&'),
        ("x\" & calc & \"", '"'),
        ("%PATH%", '%'),
        ("!x!", '!'),
        ("a^b", '^'),
        ("a|b", '|'),
        ("<in", '<'),
        (">out", '>'),
        ("one\ntwo", '\n'),
        ("one\rtwo", '\r'),
    ] {
        let error = command_line("run.cmd", &["ok", arg]).unwrap_err();
        assert_eq!(error, ArgError::UnsafeBatchArgument { index: 2, found });
        let message = error.to_string();
        assert!(
            message.starts_with("argument 2 of a .bat/.cmd program"),
            "{message}"
        );
        assert!(message.contains("CVE-2024-24576"), "{message}");
    }
}

#[test]
fn a_batch_path_with_cmd_characters_is_refused() {
    let error = command_line(r"C:\a&b\run.bat", &["x"]).unwrap_err();
    assert_eq!(
        error,
        ArgError::UnsafeBatchArgument {
            index: 0,
            found: '&'
        }
    );
    assert!(
        error
            .to_string()
            .starts_with("the batch file path contains '&'")
    );
}

#[test]
fn quotes_in_the_program_and_nul_characters_are_refused() {
    assert_eq!(
        command_line(r#"C:\a"b.exe"#, &["x"]),
        Err(ArgError::QuoteInProgram)
    );
    assert_eq!(
        command_line("app.exe", &["ok", "a\0b"]),
        Err(ArgError::Nul { index: 2 })
    );
    assert_eq!(
        command_line("app\0.exe", &["x"]),
        Err(ArgError::Nul { index: 0 })
    );
}

#[test]
fn over_long_command_lines_are_refused() {
    let long = "x".repeat(MAX_COMMAND_LINE);
    let error = command_line("app.exe", &[long]).unwrap_err();
    assert!(matches!(error, ArgError::TooLong { .. }), "{error:?}");
    assert!(error.to_string().contains("32766"), "{error}");
}
