//! Running one probe: HTTP GET, TCP connect or a program, each bounded by its timeout.
//!
//! Messages name what happened (status code, exit code, error kind) but never the URL or the
//! argv, which may carry credentials.

use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::CheckKind;

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub ok: bool,
    pub message: String,
}

impl Outcome {
    fn ok(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: message.into(),
        }
    }
    fn fail(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: message.into(),
        }
    }
}

/// Runs one probe of `kind`, never for much longer than `timeout`.
pub(crate) fn run(kind: &CheckKind, timeout: Duration) -> Outcome {
    match kind {
        CheckKind::Http { url, expect } => http(url, expect.clone(), timeout),
        CheckKind::Tcp { addr } => tcp(addr, timeout),
        CheckKind::Exec { argv, cwd } => exec(argv, cwd.as_deref(), timeout),
    }
}

fn http(url: &str, expect: std::ops::RangeInclusive<u16>, timeout: Duration) -> Outcome {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent("steward-health")
        .build()
        .into();
    match agent.get(url).call() {
        Ok(resp) => {
            let status = resp.status().as_u16();
            if expect.contains(&status) {
                Outcome::ok(format!("status {status}"))
            } else {
                Outcome::fail(format!(
                    "status {status}, expected {}-{}",
                    expect.start(),
                    expect.end()
                ))
            }
        }
        Err(ureq::Error::Timeout(_)) => Outcome::fail(format!("no answer within {timeout:?}")),
        Err(e) => Outcome::fail(format!("request failed: {}", redact(&e.to_string(), url))),
    }
}

/// Removes the URL (which may hold user:password) from an error text.
fn redact(text: &str, url: &str) -> String {
    text.replace(url, "<url>")
}

fn tcp(addr: &str, timeout: Duration) -> Outcome {
    let addrs = match addr.to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return Outcome::fail(format!("cannot resolve address: {e}")),
    };
    let mut last = String::from("address resolved to nothing");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(_) => return Outcome::ok("connected"),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = format!("no connection within {timeout:?}");
            }
            Err(e) => last = format!("connect failed: {e}"),
        }
    }
    Outcome::fail(last)
}

fn exec(argv: &[String], cwd: Option<&std::path::Path>, timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::fail("empty argv");
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::fail(format!("cannot start check program: {e}")),
    };
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Outcome::ok("exit code 0"),
            Ok(Some(status)) => {
                return Outcome::fail(match status.code() {
                    Some(code) => format!("exit code {code}"),
                    None => format!("ended by {status}"),
                });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::fail(format!("still running after {timeout:?}, killed"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Outcome::fail(format!("cannot wait for check program: {e}")),
        }
    }
}
