//! Helpers shared by the Wine suites of steward.exe that drive it with its own verbs: the
//! shared bench, fresh Windows builds placed in the prefix, verbs that must succeed, and polling
//! with a deadline.
#![allow(dead_code)] // each suite uses a different subset

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, WineBench, fresh_windows_exe};

/// How long one verb may take (a `--wait` inside it included).
pub const VERB_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest a poll may take.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The bench shared by the suite's tests.
pub fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// A fresh Windows build of `package`'s `bin` copied to `dir\file`: its Windows path.
pub fn place(dir: &str, package: &str, bin: &str, file: &str) -> Result<String, BenchError> {
    bench().copy_into_prefix(&fresh_windows_exe(package, bin)?, &format!(r"{dir}\{file}"))
}

/// Runs steward.exe with `args`; asserts success and returns stdout.
pub fn steward(exe: &str, args: &[&str]) -> Result<String, BenchError> {
    let out = bench().run(exe, args, "-all", VERB_TIMEOUT)?;
    assert_eq!(out.status.code(), Some(0), "steward {args:?}: {out:?}");
    println!("steward {}: {}", args.join(" "), out.stdout.trim_end());
    Ok(out.stdout)
}

/// Writes `text` to the Windows path `path` inside the prefix.
pub fn write(path: &str, text: &str) -> Result<(), BenchError> {
    let unix = bench().to_unix(path)?;
    std::fs::write(&unix, text).map_err(|source| BenchError::Io {
        what: format!("write {}", unix.display()),
        source,
    })
}

/// Polls `check` until it is true or `limit` passes; returns the last answer.
pub fn eventually(
    limit: Duration,
    mut check: impl FnMut() -> Result<bool, BenchError>,
) -> Result<bool, BenchError> {
    let deadline = Instant::now() + limit;
    loop {
        if check()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A loopback port nobody listens on right now (Wine programs share the host's loopback).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// `steward status NAME --json`, parsed.
pub fn status_json(exe: &str, name: &str) -> Result<serde_json::Value, BenchError> {
    let line = steward(exe, &["status", name, "--json"])?;
    Ok(serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{line}: {e}")))
}

/// Whether PID runs, asked inside Wine with `fixture-child.exe pid-alive PID`.
pub fn pid_alive(fixture: &str, pid: u64) -> Result<bool, BenchError> {
    let out = bench().run(fixture, &["pid-alive", &pid.to_string()], "-all", DEADLINE)?;
    match out.stdout.trim() {
        "alive" => Ok(true),
        "gone" => Ok(false),
        other => panic!("pid-alive {pid}: {other:?} {}", out.stderr),
    }
}

/// Reads the Windows path `path` inside the prefix; `None` while it does not exist.
pub fn read(path: &str) -> Result<Option<String>, BenchError> {
    let unix = bench().to_unix(path)?;
    match std::fs::read_to_string(&unix) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(BenchError::Io {
            what: format!("read {}", unix.display()),
            source,
        }),
    }
}

/// An installed service that is stopped and uninstalled when dropped, so a failing test leaves
/// nothing behind (a passing test uninstalls it itself; the guard then finds nothing to do).
pub struct Installed {
    exe: String,
    name: String,
}

impl Installed {
    /// Guards service `name`, managed with steward.exe `exe`.
    pub fn new(exe: &str, name: &str) -> Installed {
        Installed {
            exe: exe.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let installed = bench()
            .reg_query(&steward_wine_bench::service_key(&self.name), None)
            .is_ok();
        if installed {
            for args in [
                &["stop", &self.name, "--wait"][..],
                &["uninstall", &self.name],
            ] {
                let _ = bench().run(&self.exe, args, "-all", VERB_TIMEOUT);
            }
        }
    }
}

/// One HTTP answer: status code, header lines and body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<String>,
    pub body: String,
}

impl HttpAnswer {
    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{self:?}: {e}"))
    }
}

/// A plain HTTP/1.1 request (`Connection: close`, empty body) to `127.0.0.1:port`, with
/// `Authorization: Bearer <token>` when a token is given. Errors are the connection's (the
/// endpoint may not listen yet).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<HttpAnswer> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(DEADLINE))?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no status line in {text:?}"));
    let mut answer = HttpAnswer {
        status,
        headers: lines.map(str::to_owned).collect(),
        body: body.to_owned(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        answer.body = dechunk(&answer.body);
    }
    Ok(answer)
}

/// The payload of a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size in {rest:?}"));
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    body
}
