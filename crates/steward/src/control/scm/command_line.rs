//! Service names and image paths: validation and Windows command-line quoting.

use std::io;
use std::path::Path;

use crate::control::ControlError;

/// The longest service key name the SCM accepts.
pub const MAX_NAME_LEN: usize = 256;

/// Checks a service key name: not empty, at most 256 characters, no `/` or `\`, no control
/// characters.
///
/// # Examples
///
/// ```
/// use steward::control::scm::validate_name;
/// assert!(validate_name("hello-service").is_ok());
/// assert!(validate_name(r"a\b").is_err());
/// ```
pub fn validate_name(name: &str) -> Result<(), ControlError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.encode_utf16().count() > MAX_NAME_LEN {
        Some("it is longer than 256 characters")
    } else if name.contains(['/', '\\']) {
        Some("it contains '/' or '\\'")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ControlError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The image path of a service: the executable always in double quotes (an unquoted path with
/// spaces is CWE-428), then each argument quoted the way `CommandLineToArgvW` and the C runtime
/// split it back.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use steward::control::scm::image_path;
/// let line = image_path("svc", Path::new(r"C:\Program Files\app.exe"), &["run".into(), "a b".into()])?;
/// assert_eq!(line, r#""C:\Program Files\app.exe" run "a b""#);
/// # Ok::<(), steward::control::ControlError>(())
/// ```
pub fn image_path(
    service: &str,
    executable: &Path,
    arguments: &[String],
) -> Result<String, ControlError> {
    let exe = executable.to_string_lossy();
    let invalid = |why: &str| ControlError::Os {
        service: service.to_owned(),
        operation: "set the image path".into(),
        source: io::Error::new(io::ErrorKind::InvalidInput, format!("{exe}: {why}")),
    };
    if exe.contains('"') || exe.contains('\0') {
        return Err(invalid("a path cannot contain '\"' or NUL"));
    }
    if !is_windows_absolute(&exe) {
        return Err(invalid("the executable must be an absolute path"));
    }
    let mut line = format!("\"{exe}\"");
    for argument in arguments {
        if argument.contains('\0') {
            return Err(invalid("an argument contains NUL"));
        }
        line.push(' ');
        quote_argument(argument, &mut line);
    }
    Ok(line)
}

/// `C:\...`, `C:/...` or a UNC path `\\server\share\...`.
fn is_windows_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    drive || path.starts_with(r"\\")
}

/// Appends `arg` quoted by the rules `CommandLineToArgvW` reverses: quotes when it is empty or
/// holds whitespace or quotes; backslashes are doubled only before a quote.
fn quote_argument(arg: &str, out: &mut String) {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\u{b}', '"']) {
        out.push_str(arg);
        return;
    }
    out.push('"');
    let mut backslashes = 0usize;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            other => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(other);
                backslashes = 0;
            }
        }
    }
    // Backslashes before the closing quote are doubled so they stay literal.
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
}

/// The executable of an image path: the text inside leading quotes, else up to the first space.
pub fn executable_of(command_line: &str) -> &str {
    match command_line.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(rest),
        None => command_line.split(' ').next().unwrap_or(command_line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        image_path("svc", Path::new(r"C:\Program Files\My App\app.exe"), &args).unwrap()
    }

    #[test]
    fn the_executable_is_always_quoted() {
        assert_eq!(line(&[]), r#""C:\Program Files\My App\app.exe""#);
        let plain = image_path("svc", Path::new(r"C:\app.exe"), &[]).unwrap();
        assert_eq!(plain, r#""C:\app.exe""#);
    }

    #[test]
    fn arguments_are_quoted_like_command_line_to_argv_expects() {
        assert_eq!(
            line(&["run", "--config", r"C:\My Dir\steward.toml"]),
            r#""C:\Program Files\My App\app.exe" run --config "C:\My Dir\steward.toml""#
        );
        assert_eq!(line(&[""]), r#""C:\Program Files\My App\app.exe" """#);
        assert_eq!(
            line(&[r#"say "hi""#]),
            r#""C:\Program Files\My App\app.exe" "say \"hi\"""#
        );
        // Trailing backslashes before the closing quote are doubled; inner ones are kept.
        assert_eq!(
            line(&[r"C:\a b\"]),
            r#""C:\Program Files\My App\app.exe" "C:\a b\\""#
        );
        assert_eq!(
            line(&[r"a\\b"]),
            r#""C:\Program Files\My App\app.exe" a\\b"#
        );
        assert_eq!(
            line(&[r#"a\"b"#]),
            r#""C:\Program Files\My App\app.exe" "a\\\"b""#
        );
    }

    #[test]
    fn relative_or_quoted_executables_are_refused() {
        for bad in ["app.exe", r#"C:\a"b.exe"#, r"\app.exe"] {
            let err = image_path("svc", Path::new(bad), &[]).unwrap_err();
            assert!(err.to_string().contains("image path"), "{err}");
        }
        assert!(image_path("svc", Path::new(r"\\server\share\a.exe"), &[]).is_ok());
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("hello").is_ok());
        assert!(validate_name(&"x".repeat(256)).is_ok());
        for (bad, reason) in [
            ("", "empty"),
            ("a/b", "'/'"),
            (r"a\b", "'/'"),
            ("a\nb", "control"),
        ] {
            let err = validate_name(bad).unwrap_err();
            assert!(matches!(err, ControlError::InvalidName { .. }), "{err}");
            assert!(err.to_string().contains(reason), "{err}");
        }
        let long = validate_name(&"x".repeat(257)).unwrap_err();
        assert!(long.to_string().contains("longer than 256"), "{long}");
    }

    #[test]
    fn executable_is_read_back_from_an_image_path() {
        assert_eq!(executable_of(r#""C:\a b\x.exe" run"#), r"C:\a b\x.exe");
        assert_eq!(executable_of(r"C:\x.exe run"), r"C:\x.exe");
    }
}
