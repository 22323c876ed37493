//! Cost of the health monitor: CPU and memory of the supervising process with HTTP, TCP and exec
//! checks, against a baseline in the same run: the same probes made in a plain loop (no monitor
//! threads, no state, no events). Also the figure that matters in production: CPU share with the
//! three checks every 1 s, extrapolated from the measured cost per round.
//!
//! Run: `cargo bench -p steward-health --bench monitor` (Unix: uses getrusage and /proc).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use steward_health::{CheckSpec, HealthMonitor, MonitorConfig};

const ROUNDS: u32 = 200;
const INTERVAL: Duration = Duration::from_millis(20);

fn http_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    addr
}

fn checks(http: SocketAddr, tcp: SocketAddr) -> Vec<CheckSpec> {
    vec![
        CheckSpec::http("http", &format!("http://{http}/healthz")),
        CheckSpec::tcp("tcp", &tcp.to_string()),
        CheckSpec::exec("exec", &["true"]),
    ]
    .into_iter()
    .map(|c| c.interval(INTERVAL).timeout(Duration::from_secs(2)))
    .collect()
}

/// Baseline: the same three probes per round, in a plain loop.
fn baseline(http: SocketAddr, tcp: SocketAddr) {
    for _ in 0..ROUNDS {
        let mut c = TcpStream::connect(http).unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        drop(TcpStream::connect(tcp).unwrap());
        assert!(
            std::process::Command::new("true")
                .status()
                .unwrap()
                .success()
        );
        std::thread::sleep(INTERVAL);
    }
}

/// The monitor with the same checks for ROUNDS intervals (it probes each check once per
/// interval, measured from the start of the previous probe). Returns the largest RSS seen.
fn monitored(http: SocketAddr, tcp: SocketAddr) -> u64 {
    let m = HealthMonitor::start(
        MonitorConfig {
            checks: checks(http, tcp),
            notify: None,
        },
        |_| {},
    )
    .unwrap();
    let h = m.handle();
    let end = Instant::now() + INTERVAL * ROUNDS;
    let mut rss_max = 0;
    while Instant::now() < end {
        rss_max = rss_max.max(sys::rss_bytes());
        std::thread::sleep(Duration::from_millis(50));
    }
    let s = h.snapshot();
    assert!(
        s.results.iter().all(|r| r.ok && r.failures_total == 0),
        "{s:?}"
    );
    rss_max
}

fn main() {
    let http = http_server();
    let tcp_l = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = tcp_l.local_addr().unwrap();
    std::thread::spawn(move || for _ in tcp_l.incoming() {});

    let rss0 = sys::rss_bytes();
    let (c0, w0) = (sys::cpu(), Instant::now());
    baseline(http, tcp);
    let (base_cpu, base_wall) = (sys::cpu() - c0, w0.elapsed());

    let (c1, w1) = (sys::cpu(), Instant::now());
    let rss_max = monitored(http, tcp);
    let (mon_cpu, mon_wall) = (sys::cpu() - c1, w1.elapsed());

    let per_round = |cpu: f64| cpu / f64::from(ROUNDS);
    println!("health monitor: http + tcp + exec checks, {ROUNDS} rounds, interval {INTERVAL:?}");
    println!(
        "{:<10} {:>10} {:>16} {:>8}",
        "", "wall", "CPU per round", "ratio"
    );
    println!(
        "{:<10} {:>10.2?} {:>13.0} µs {:>8.2}",
        "baseline",
        base_wall,
        per_round(base_cpu) * 1e6,
        1.0
    );
    println!(
        "{:<10} {:>10.2?} {:>13.0} µs {:>8.2}",
        "monitor",
        mon_wall,
        per_round(mon_cpu) * 1e6,
        mon_cpu / base_cpu
    );
    println!(
        "checks every 1 s: about {:.3}% of one core; RSS {:.1} MiB before, {:.1} MiB max with the monitor",
        per_round(mon_cpu) * 100.0,
        rss0 as f64 / 1048576.0,
        rss_max as f64 / 1048576.0
    );
}

#[cfg(unix)]
mod sys {
    /// User + system CPU seconds of this process (all threads; includes reaped children).
    pub fn cpu() -> f64 {
        let mut total = 0.0;
        for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
            // SAFETY: getrusage writes one rusage into the zeroed struct we own.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: `ru` is a valid, writable rusage.
            unsafe { libc::getrusage(who, &mut ru) };
            let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            total += tv(ru.ru_utime) + tv(ru.ru_stime);
        }
        total
    }
    /// Resident set size from /proc/self/status (0 where there is no /proc).
    pub fn rss_bytes() -> u64 {
        let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

#[cfg(not(unix))]
mod sys {
    pub fn cpu() -> f64 {
        unimplemented!("the monitor benchmark measures CPU with getrusage (Unix)")
    }
    pub fn rss_bytes() -> u64 {
        0
    }
}
