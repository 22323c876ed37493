//! Load benchmark of the admin endpoint on loopback: latency (p50/p99) and throughput of
//! `/metrics` and `/status`, against a baseline in the same run: a trivial static route served
//! by an identical axum/tokio setup (single-threaded runtime on its own thread).
//!
//! Run: `cargo bench -p steward-admin --bench admin`. The load generator is our own: N client
//! threads, one keep-alive connection each, exact HTTP/1.1 requests, bodies read by
//! Content-Length.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use steward_admin::*;
use steward_health::{CheckResult, CheckRole, HealthState};

const TOKEN: &str = "bench-read-token-0123456789";
const REQUESTS_PER_CONN: usize = 3000;

struct Sup;

impl StatusSource for Sup {
    fn status(&self) -> ServiceStatus {
        let results = (0..4)
            .map(|i| CheckResult {
                name: format!("check-{i}"),
                role: CheckRole::Both,
                ok: true,
                duration: Duration::from_micros(850),
                message: "status 200".into(),
                consecutive_failures: 0,
                failures_total: 17,
            })
            .collect();
        ServiceStatus {
            name: "bench".into(),
            state: ServiceState::Running,
            pid: Some(std::process::id()),
            uptime: Some(Duration::from_secs(3600)),
            restarts: 2,
            last_exit: Some(LastExit {
                code: Some(1),
                signal: None,
            }),
            health: Some(Arc::new(HealthState {
                ready: true,
                live: true,
                results,
                status: None,
            })),
            log: LogCounters {
                bytes_written: 1 << 30,
                bytes_dropped: 0,
            },
            registry: None,
        }
    }
}

impl ControlSink for Sup {
    fn control(&self, _: ControlAction) -> Result<(), ControlError> {
        Ok(())
    }
}

/// The baseline: a static route on the same stack.
fn baseline_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().route("/static", axum::routing::get(|| async { "ok\n" }));
            axum::serve(l, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// One keep-alive connection sending `n` requests; returns each latency.
fn client(addr: SocketAddr, path: &str, n: usize) -> Vec<Duration> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let req = format!("GET {path} HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    let mut lat = Vec::with_capacity(n);
    let mut line = String::new();
    let mut body = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        w.write_all(req.as_bytes()).unwrap();
        let mut len = 0usize;
        line.clear();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{path}: {line}");
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        body.resize(len, 0);
        r.read_exact(&mut body).unwrap();
        lat.push(t.elapsed());
    }
    lat
}

struct Figures {
    p50: Duration,
    p99: Duration,
    rps: f64,
}

fn run(addr: SocketAddr, path: &str, conns: usize) -> Figures {
    client(addr, path, 200); // warm up
    let t = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let path = path.to_owned();
            std::thread::spawn(move || client(addr, &path, REQUESTS_PER_CONN))
        })
        .collect();
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let elapsed = t.elapsed();
    all.sort();
    Figures {
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
        rps: all.len() as f64 / elapsed.as_secs_f64(),
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("read:{TOKEN}\n")).unwrap();
    restrict(&tokens);
    let sup = Arc::new(Sup);
    let config = AdminConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tokens_file: Some(tokens),
    };
    let admin = AdminHandle::start(&config, sup.clone(), sup).unwrap();
    let base = baseline_server();
    let metrics_len = client(admin.local_addr(), "/metrics", 1).len();
    assert_eq!(metrics_len, 1);

    println!("admin endpoint on loopback, {REQUESTS_PER_CONN} requests per connection, keep-alive");
    println!(
        "{:<10} {:>5} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
        "route", "conns", "p50", "p99", "req/s", "p50 x", "p99 x", "req/s x"
    );
    let routes = [
        ("baseline", base, "/static"),
        ("/status", admin.local_addr(), "/status"),
        ("/metrics", admin.local_addr(), "/metrics"),
    ];
    for conns in [1, 4] {
        // Three interleaved rounds; each route's round with the median throughput is reported.
        let mut rounds: Vec<Vec<Figures>> = routes.iter().map(|_| Vec::new()).collect();
        for _ in 0..3 {
            for (i, (_, addr, path)) in routes.iter().enumerate() {
                rounds[i].push(run(*addr, path, conns));
            }
        }
        let median: Vec<Figures> = rounds
            .into_iter()
            .map(|mut r| {
                r.sort_by(|a, b| a.rps.total_cmp(&b.rps));
                r.swap_remove(1)
            })
            .collect();
        let b = &median[0];
        for ((name, _, _), f) in routes.iter().zip(&median) {
            println!(
                "{name:<10} {conns:>5} {:>10.1?} {:>10.1?} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
                f.p50,
                f.p99,
                f.rps,
                f.p50.as_secs_f64() / b.p50.as_secs_f64(),
                f.p99.as_secs_f64() / b.p99.as_secs_f64(),
                f.rps / b.rps,
            );
        }
    }
    admin.shutdown().unwrap();
}

#[cfg(unix)]
fn restrict(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[cfg(not(unix))]
fn restrict(_: &std::path::Path) {}
