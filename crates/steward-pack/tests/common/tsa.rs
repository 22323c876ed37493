//! A local RFC 3161 timestamp authority on loopback: a tiny HTTP server (std `TcpListener` on
//! its own thread) that answers each POSTed `application/timestamp-query` with what
//! `openssl ts -reply` makes of it, signed by the throwaway TSA of [`super::pki::test_tsa`].

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running timestamp authority; stopped when dropped.
pub struct Tsa {
    /// Its URL: `http://127.0.0.1:<port>/tsa`.
    pub url: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Log {
    /// Timestamp tokens issued.
    issued: usize,
    /// Requests it could not answer, and why.
    errors: Vec<String>,
}

impl Tsa {
    /// Starts the TSA whose `tsa.cnf` is in `dir` (made by `test_tsa`).
    pub fn start(dir: &Path) -> Tsa {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Log::default()));
        let (thread_stop, thread_log, dir) = (stop.clone(), log.clone(), dir.to_path_buf());
        let thread = std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let result = serve(stream, &dir, n);
                let mut log = thread_log.lock().unwrap();
                match result {
                    Ok(()) => log.issued += 1,
                    Err(e) => log.errors.push(e),
                }
            }
        });
        Tsa {
            url: format!("http://{addr}/tsa"),
            addr,
            stop,
            log,
            thread: Some(thread),
        }
    }

    /// How many timestamp tokens it issued so far.
    pub fn issued(&self) -> usize {
        self.log.lock().unwrap().issued
    }

    /// The requests it could not answer.
    pub fn errors(&self) -> Vec<String> {
        self.log.lock().unwrap().errors.clone()
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one connection: reads a POST with a timestamp query, replies with a token.
fn serve(mut stream: TcpStream, dir: &Path, n: usize) -> Result<(), String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let (head, mut body) = read_head(&mut stream)?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut length = None;
    let mut content_type = String::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "content-type" => content_type = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let refuse = |stream: &mut TcpStream, why: String| {
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        Err(why)
    };
    if !request_line.starts_with("POST ") || content_type != "application/timestamp-query" {
        return refuse(
            &mut stream,
            format!("not a timestamp query: {request_line:?} ({content_type})"),
        );
    }
    let Some(length) = length else {
        return refuse(&mut stream, "no Content-Length".into());
    };
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let read = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if read == 0 {
            return Err("the request body ended early".into());
        }
        body.extend_from_slice(&chunk[..read]);
    }
    let token = reply(dir, n, &body)?;
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        token.len()
    )
    .into_bytes();
    response.extend_from_slice(&token);
    stream.write_all(&response).map_err(|e| e.to_string())?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

/// Reads up to the blank line; returns the head and whatever body bytes came with it.
fn read_head(stream: &mut TcpStream) -> Result<(String, Vec<u8>), String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            return Ok((head, buffer[end + 4..].to_vec()));
        }
        let read = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if read == 0 {
            return Err("the connection closed before the request head ended".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// `openssl ts -reply` for the query `body`.
fn reply(dir: &Path, n: usize, body: &[u8]) -> Result<Vec<u8>, String> {
    let query: PathBuf = dir.join(format!("query-{n}.tsq"));
    let token: PathBuf = dir.join(format!("reply-{n}.tsr"));
    std::fs::write(&query, body).map_err(|e| e.to_string())?;
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(dir.join("tsa.cnf"))
        .arg("-queryfile")
        .arg(&query)
        .arg("-out")
        .arg(&token)
        .output()
        .map_err(|e| format!("openssl: {e} (apt-get install openssl)"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl ts -reply: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::read(&token).map_err(|e| e.to_string())
}
