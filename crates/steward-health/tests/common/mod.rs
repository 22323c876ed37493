//! Helpers shared by the health tests: an event collector and tiny loopback servers.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use steward_health::{HealthEvent, HealthMonitor, MonitorConfig};

/// Starts a monitor whose events land in the returned receiver.
pub fn start(config: MonitorConfig) -> (HealthMonitor, Receiver<HealthEvent>) {
    let (tx, rx) = channel();
    let m = HealthMonitor::start(config, move |e| {
        let _ = tx.send(e);
    })
    .expect("monitor starts");
    (m, rx)
}

/// Waits (with a deadline) for the first event matching `pred`; panics naming `what`.
pub fn expect_event(
    rx: &Receiver<HealthEvent>,
    within: Duration,
    what: &str,
    pred: impl Fn(&HealthEvent) -> bool,
) -> HealthEvent {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return e,
            Ok(_) => {}
            Err(_) => panic!("no {what} event within {within:?}"),
        }
    }
}

/// Polls `cond` every 10 ms until it holds or `within` passes.
pub fn wait_until(within: Duration, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what} not reached within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// An HTTP server on loopback that answers `answers` requests with `status`, then accepts
/// connections and never answers (a hung program).
pub fn http_server_then_hang(status: u16, answers: usize) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (i, conn) in l.incoming().enumerate() {
            let Ok(mut c) = conn else { continue };
            if i < answers {
                let mut buf = [0u8; 2048];
                let _ = c.read(&mut buf);
                let body = "ok";
                let _ = write!(
                    c,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            } else {
                held.push(c); // read nothing, answer nothing
            }
        }
    });
    addr
}
