//! Running `systemctl` (`--user` for the user scope) and turning its failures into
//! [`ControlError`]s.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::options::Scope;
use crate::control::ControlError;

/// How often a bounded wait looks at the `systemctl` child it waits for.
const POLL: Duration = Duration::from_millis(20);

/// How to run `systemctl` for one manager.
#[derive(Debug, Clone)]
pub(crate) struct Systemctl {
    pub(crate) program: PathBuf,
    pub(crate) scope: Scope,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) env_remove: Vec<OsString>,
}

impl Systemctl {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        if self.scope == Scope::User {
            cmd.arg("--user");
        }
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// The command line, for messages.
    pub(crate) fn describe(&self, args: &[&str]) -> String {
        let user = if self.scope == Scope::User {
            " --user"
        } else {
            ""
        };
        format!("systemctl{user} {}", args.join(" "))
    }

    fn spawn_error(&self, service: &str, args: &[&str], e: std::io::Error) -> ControlError {
        ControlError::Os {
            service: service.to_owned(),
            operation: format!("run {}", self.describe(args)),
            source: e,
        }
    }

    /// Runs `systemctl <args>` to completion and returns its standard output; a non-zero exit is
    /// classified by [`classify`].
    pub(crate) fn run(
        &self,
        service: &str,
        operation: &'static str,
        args: &[&str],
    ) -> Result<String, ControlError> {
        let output = self
            .command(args)
            .output()
            .map_err(|e| self.spawn_error(service, args, e))?;
        self.check(service, operation, args, output)
    }

    /// Runs `systemctl <args>` for at most `timeout`. `Ok(None)`: it was still running at the
    /// deadline and has been killed (the job it queued goes on in the manager).
    pub(crate) fn run_until(
        &self,
        service: &str,
        operation: &'static str,
        args: &[&str],
        timeout: Duration,
    ) -> Result<Option<String>, ControlError> {
        let mut child = self
            .command(args)
            .spawn()
            .map_err(|e| self.spawn_error(service, args, e))?;
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Ok(None);
                }
                Ok(None) => thread::sleep(POLL),
                Err(e) => return Err(self.spawn_error(service, args, e)),
            }
        }
        let output = collect(child).map_err(|e| self.spawn_error(service, args, e))?;
        self.check(service, operation, args, output).map(Some)
    }

    fn check(
        &self,
        service: &str,
        operation: &'static str,
        args: &[&str],
        output: Output,
    ) -> Result<String, ControlError> {
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = one_line(&stderr, &output.status.to_string());
        Err(classify(service, operation, self.describe(args), message))
    }
}

/// The output of a child that has exited (its pipes hold what it wrote).
fn collect(mut child: Child) -> std::io::Result<Output> {
    let status = child.wait()?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout)?;
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_end(&mut stderr)?;
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Non-empty lines of `text` joined with `; ` (or `fallback` when there are none).
pub(crate) fn one_line(text: &str, fallback: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        fallback.to_owned()
    } else {
        lines.join("; ")
    }
}

/// Turns a failed `systemctl` into the error people recognise: no rights, unknown unit, or the
/// tool's own message.
pub(crate) fn classify(
    service: &str,
    operation: &'static str,
    command: String,
    message: String,
) -> ControlError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("access denied")
        || lower.contains("interactive authentication required")
        || lower.contains("permission denied")
    {
        ControlError::AccessDenied {
            privileged: "root",
            operation,
            service: service.to_owned(),
        }
    } else if names_unknown_unit(&lower, service) {
        ControlError::NotInstalled(service.to_owned())
    } else {
        ControlError::Tool {
            service: service.to_owned(),
            command,
            message,
        }
    }
}

/// Whether `message` (lowercase) says that the service's own unit is unknown, not some other
/// unit it depends on (`Unit hello.service not found.`, `Unit hello.service not loaded.`).
fn names_unknown_unit(message: &str, service: &str) -> bool {
    let unit = format!("unit {}.service ", service.to_ascii_lowercase());
    message.match_indices(&unit).any(|(at, _)| {
        let rest = &message[at + unit.len()..];
        rest.starts_with("not found") || rest.starts_with("not loaded")
    }) || message.contains(&format!(
        "unit file {}.service does not exist",
        service.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_text(text: &str) -> ControlError {
        classify(
            "hello",
            "start",
            "systemctl start hello.service".into(),
            one_line(text, "exit 1"),
        )
    }

    #[test]
    fn permission_problems_are_access_denied() {
        let e = classify_text("Failed to start hello.service: Access denied\nSee system logs.\n");
        assert!(
            matches!(
                e,
                ControlError::AccessDenied {
                    privileged: "root",
                    operation: "start",
                    ..
                }
            ),
            "{e}"
        );
        let e =
            classify_text("Failed to start hello.service: Interactive authentication required.");
        assert!(matches!(e, ControlError::AccessDenied { .. }), "{e}");
    }

    #[test]
    fn unknown_units_are_not_installed() {
        let e = classify_text("Failed to start hello.service: Unit hello.service not found.");
        assert!(
            matches!(e, ControlError::NotInstalled(ref s) if s == "hello"),
            "{e}"
        );
        let e = classify_text("Failed to start hello.service: Unit missing.service not found.");
        assert!(matches!(e, ControlError::Tool { .. }), "{e}");
    }

    #[test]
    fn other_failures_keep_the_tool_message_on_one_line() {
        let e = classify_text("Job for hello.service failed.\n\nSee \"journalctl -xe\".\n");
        assert_eq!(
            e.to_string(),
            "systemctl start hello.service failed for service 'hello': Job for hello.service failed.; See \"journalctl -xe\"."
        );
        assert_eq!(one_line(" \n", "exit status: 1"), "exit status: 1");
    }
}
