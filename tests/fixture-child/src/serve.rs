//! The health-check side of the fixture: a tiny HTTP server and sd_notify pings.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

/// Serves `GET` with `200 ok` on `127.0.0.1:port` after `delay`, on a thread; after `answers`
/// requests (if given) it keeps accepting but never answers again (a hung program).
pub fn http(port: u16, delay: Duration, answers: Option<u64>) {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("binding the http port");
        let mut held = Vec::new();
        let mut served = 0u64;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if answers.is_some_and(|n| served >= n) {
                held.push(stream);
                continue;
            }
            served += 1;
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
}

/// Sends `READY=1`, then `WATCHDOG=1` `pings` times at a quarter of `WATCHDOG_USEC` (or every
/// 100 ms), then stops pinging (a hung program). Does nothing without `NOTIFY_SOCKET`.
pub fn notify(pings: u64) {
    let Some(address) = std::env::var_os("NOTIFY_SOCKET") else {
        eprintln!("fixture-child: no NOTIFY_SOCKET");
        return;
    };
    let period = std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_millis(100), |us| {
            Duration::from_micros(us / 4)
        });
    std::thread::spawn(move || {
        crate::sys::notify(&address, "READY=1");
        for _ in 0..pings {
            crate::sys::notify(&address, "WATCHDOG=1");
            std::thread::sleep(period);
        }
    });
}

/// Sends `READY=1` and then `STATUS=burst <i>` for i = 1..=`n`, back to back on the calling
/// thread, each on its own connection (open, write, close) and never retried. Returns how many
/// were lost (each printed as `notify lost`); all of them without `NOTIFY_SOCKET`.
pub fn notify_burst(n: u64) -> u64 {
    let Some(address) = std::env::var_os("NOTIFY_SOCKET") else {
        eprintln!("fixture-child: no NOTIFY_SOCKET");
        return n + 1;
    };
    let messages =
        std::iter::once("READY=1".to_owned()).chain((1..=n).map(|i| format!("STATUS=burst {i}")));
    let mut lost = 0;
    for message in messages {
        if let Err(e) = crate::sys::notify_once(&address, &message) {
            eprintln!("fixture-child: notify lost: {message:?}: {e}");
            lost += 1;
        }
    }
    lost
}
