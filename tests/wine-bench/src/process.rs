//! Running host commands with a deadline and capturing their output.

use crate::error::BenchError;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// What a finished command printed and how it ended.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output, decoded lossily as UTF-8.
    pub stdout: String,
    /// Standard error, decoded lossily as UTF-8 (Wine's debug channels land here).
    pub stderr: String,
}

/// A printable form of a command for error messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// How long to keep reading a child's output after it exited. Wine programs may hand their
/// stdout/stderr to processes that outlive them (wineboot to services.exe and explorer.exe);
/// waiting for end-of-file would then take as long as those live.
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// A child's stream, read to the end on a detached thread.
struct Capture {
    /// Bytes read so far.
    buf: Arc<Mutex<Vec<u8>>>,
    /// Receives one message at end-of-file.
    done: mpsc::Receiver<()>,
}

impl Capture {
    /// Starts reading `stream` (nothing when `None`).
    fn start(stream: Option<impl Read + Send + 'static>) -> Capture {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = Arc::clone(&buf);
        std::thread::spawn(move || {
            if let Some(mut s) = stream {
                let mut chunk = [0u8; 8192];
                // A read error ends the capture like end-of-file; what arrived is kept.
                while let Ok(n @ 1..) = s.read(&mut chunk) {
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            }
            let _ = tx.send(());
        });
        Capture { buf, done }
    }

    /// Waits until end-of-file or `deadline`, then returns what was read, lossily decoded.
    fn finish(self, deadline: Instant) -> String {
        let _ = self
            .done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let bytes = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Runs `cmd` to completion, killing it if it outlives `timeout`.
pub(crate) fn run(mut cmd: Command, timeout: Duration) -> Result<RunOutput, BenchError> {
    let text = describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(BenchError::io(format!("spawn `{text}`")))?;
    let out = Capture::start(child.stdout.take());
    let err = Capture::start(child.stderr.take());
    let status = wait_deadline(&mut child, timeout, &text)?;
    let grace = Instant::now() + OUTPUT_GRACE;
    let stdout = out.finish(grace);
    let stderr = err.finish(grace);
    Ok(RunOutput {
        status,
        stdout,
        stderr,
    })
}

/// Polls `child` until it exits; kills and reaps it at the deadline.
pub(crate) fn wait_deadline(
    child: &mut Child,
    timeout: Duration,
    text: &str,
) -> Result<ExitStatus, BenchError> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(BenchError::io(format!("wait for `{text}`")))?
        {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            // Kill errors mean it exited meanwhile; wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
            return Err(BenchError::Timeout {
                what: format!("`{text}` still running after {timeout:?}"),
                last: None,
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` and fails unless it exits with status 0.
pub(crate) fn run_ok(cmd: Command, timeout: Duration) -> Result<RunOutput, BenchError> {
    let text = describe(&cmd);
    let out = run(cmd, timeout)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(BenchError::CommandFailed {
            command: text,
            status: out.status.to_string(),
            stderr: out.stderr.trim().to_string(),
        })
    }
}
