//! Command-line parsing of wine-probe; pure and platform-independent so it is tested on Linux.

use std::fmt;

pub use crate::command::{Command, ControlKind};

/// A command line wine-probe does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "usage error: {}", self.0)
    }
}

/// The usage text printed with a usage error.
pub const USAGE: &str = "wine-probe hold [--until-stdin-closes] | create NAME BINPATH [ARGS...] | start NAME [ARGS...] | \
delete NAME | control NAME stop|pause|continue|interrogate | query NAME | \
watch NAME --interval-ms N --duration-ms M [--until STATE] | wait NAME STATE --timeout-ms N | \
regquery KEY [VALUE] | serve NAME [--pending-ms N] | control-storm NAME COUNT | \
console-run [--ctrl c|break] [--via console|remote-thread] [--after-file WINPATH [--after-text TEXT]] [--after-ms N] \
[--output-file WINPATH] [--timeout-ms N] -- EXE [ARGS...]";

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let (verb, rest) = args
        .split_first()
        .ok_or_else(|| UsageError("missing subcommand".into()))?;
    let name = || {
        rest.first()
            .cloned()
            .ok_or_else(|| UsageError(format!("{verb}: missing service name")))
    };
    let cmd = match verb.as_str() {
        "hold" => match rest {
            [] => Command::Hold {
                until_stdin_closes: false,
            },
            [f] if f == "--until-stdin-closes" => Command::Hold {
                until_stdin_closes: true,
            },
            _ => return Err(UsageError("hold takes only --until-stdin-closes".into())),
        },
        "create" => Command::Create {
            name: name()?,
            binpath: rest
                .get(1)
                .cloned()
                .ok_or_else(|| UsageError("create: missing BINPATH".into()))?,
            args: rest.iter().skip(2).cloned().collect(),
        },
        "start" => Command::Start {
            name: name()?,
            args: rest.iter().skip(1).cloned().collect(),
        },
        "delete" => Command::Delete { name: name()? },
        "query" => Command::Query { name: name()? },
        "serve" => Command::Serve {
            name: name()?,
            pending_ms: flag_u64(&rest[1..], "--pending-ms")?.unwrap_or(0),
        },
        "control" => Command::Control {
            name: name()?,
            control: parse_control(rest.get(1).map(String::as_str))?,
        },
        "watch" => parse_watch(name()?, &rest[1..])?,
        "wait" => {
            let state = rest
                .get(1)
                .cloned()
                .ok_or_else(|| UsageError("wait: missing STATE".into()))?;
            check_state(&state)?;
            let timeout_ms = flag_u64(&rest[2..], "--timeout-ms")?
                .ok_or_else(|| UsageError("wait: missing --timeout-ms".into()))?;
            Command::Wait {
                name: name()?,
                state,
                timeout_ms,
            }
        }
        "regquery" => Command::RegQuery {
            key: rest
                .first()
                .cloned()
                .ok_or_else(|| UsageError("regquery: missing KEY".into()))?,
            value: rest.get(1).cloned(),
        },
        "console-run" => Command::ConsoleRun(crate::console::parse(rest)?),
        "control-storm" => crate::storm::parse(rest)?,
        other => return Err(UsageError(format!("unknown subcommand {other:?}"))),
    };
    Ok(cmd)
}

/// Parses the control word of `control`.
fn parse_control(word: Option<&str>) -> Result<ControlKind, UsageError> {
    match word {
        Some("stop") => Ok(ControlKind::Stop),
        Some("pause") => Ok(ControlKind::Pause),
        Some("continue") => Ok(ControlKind::Continue),
        Some("interrogate") => Ok(ControlKind::Interrogate),
        other => Err(UsageError(format!(
            "control: expected stop|pause|continue|interrogate, got {other:?}"
        ))),
    }
}

/// Parses the flags of `watch`.
fn parse_watch(name: String, flags: &[String]) -> Result<Command, UsageError> {
    let interval_ms = flag_u64(flags, "--interval-ms")?
        .ok_or_else(|| UsageError("watch: missing --interval-ms".into()))?;
    let duration_ms = flag_u64(flags, "--duration-ms")?
        .ok_or_else(|| UsageError("watch: missing --duration-ms".into()))?;
    let until = flag(flags, "--until")?;
    if let Some(state) = &until {
        check_state(state)?;
    }
    Ok(Command::Watch {
        name,
        interval_ms,
        duration_ms,
        until,
    })
}

/// Accepts only the state names wine-probe prints.
fn check_state(state: &str) -> Result<(), UsageError> {
    if crate::status::STATE_NAMES.contains(&state) {
        Ok(())
    } else {
        Err(UsageError(format!("unknown state {state:?}")))
    }
}

/// The value after `wanted` in `flags`; unknown flags are errors.
fn flag(flags: &[String], wanted: &str) -> Result<Option<String>, UsageError> {
    let mut it = flags.iter();
    let mut found = None;
    while let Some(f) = it.next() {
        if f == wanted {
            let v = it
                .next()
                .ok_or_else(|| UsageError(format!("{wanted} needs a value")))?;
            found = Some(v.clone());
        } else if f.starts_with("--") && !is_known_flag(f) {
            return Err(UsageError(format!("unknown flag {f:?}")));
        }
    }
    Ok(found)
}

/// Whether `f` is one of the flags any subcommand takes.
fn is_known_flag(f: &str) -> bool {
    matches!(
        f,
        "--interval-ms" | "--duration-ms" | "--until" | "--timeout-ms"
    )
}

/// A flag whose value is a number of milliseconds.
fn flag_u64(flags: &[String], wanted: &str) -> Result<Option<u64>, UsageError> {
    flag(flags, wanted)?
        .map(|v| {
            v.parse()
                .map_err(|_| UsageError(format!("{wanted}: expected milliseconds, got {v:?}")))
        })
        .transpose()
}

/// Builds the image path: the binary quoted, then each argument, quoted when it holds spaces.
pub fn image_path(binpath: &str, args: &[String]) -> String {
    let mut out = format!("\"{binpath}\"");
    for a in args {
        out.push(' ');
        if a.is_empty() || a.contains([' ', '\t']) {
            out.push('"');
            out.push_str(a);
            out.push('"');
        } else {
            out.push_str(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_watch_with_until() {
        let cmd = parse(&argv(
            "watch svc --interval-ms 50 --duration-ms 2000 --until running",
        ));
        assert_eq!(
            cmd,
            Ok(Command::Watch {
                name: "svc".into(),
                interval_ms: 50,
                duration_ms: 2000,
                until: Some("running".into())
            })
        );
    }

    #[test]
    fn parses_serve_with_pending_time() {
        assert_eq!(
            parse(&argv("serve svc --pending-ms 500")),
            Ok(Command::Serve {
                name: "svc".into(),
                pending_ms: 500
            })
        );
    }

    #[test]
    fn rejects_unknown_state_and_control() {
        assert!(parse(&argv("wait svc runnin --timeout-ms 5")).is_err());
        assert!(parse(&argv("control svc halt")).is_err());
        assert!(parse(&argv("frobnicate")).is_err());
    }

    #[test]
    fn image_path_quotes_binary_and_spaced_args() {
        let args = vec!["serve".to_string(), "a b".to_string()];
        assert_eq!(
            image_path(r"C:\Program Files\x.exe", &args),
            r#""C:\Program Files\x.exe" serve "a b""#
        );
    }
}
