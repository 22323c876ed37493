//! Failover time (leader SIGKILLed → standby's program running) and keepalive traffic per
//! instance (bytes counted at a TCP proxy between the client and etcd). Prints figures only.
//!
//! `cargo bench -p steward-registry --bench failover` (needs `etcd`; runs about two minutes).
//! `STEWARD_BENCH_RUNS` sets the number of failovers (default 5).

#[path = "../tests/common/etcd.rs"]
#[allow(missing_docs)]
mod etcd;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use etcd::Etcd;

const WAIT: Duration = Duration::from_secs(30);

fn main() {
    let etcd = Etcd::start();
    let runs: usize = std::env::var("STEWARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    for ttl in [3u64, 5] {
        failover(&etcd, Duration::from_secs(ttl), runs);
    }
    for (ttl, window) in [(3u64, 30u64), (10, 60)] {
        keepalive_traffic(&etcd, ttl, Duration::from_secs(window));
    }
}

fn standby(etcd: &Etcd, service: &str, name: &str, ttl: Duration, dir: &Path) -> Child {
    Command::new(etcd::example("standby"))
        .args([
            &etcd.endpoint(),
            service,
            name,
            &ttl.as_secs().to_string(),
            &dir.display().to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn standby example")
}

fn markers(dir: &Path) -> Vec<u32> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".active")?
                        .parse()
                        .ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn wait_marker(dir: &Path) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(pid) = markers(dir).first() {
            return *pid;
        }
        assert!(Instant::now() < deadline, "no leader within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn failover(etcd: &Etcd, ttl: Duration, runs: usize) {
    let mut times = Vec::new();
    for run in 0..runs {
        let dir = tempfile::tempdir().expect("temp dir");
        let service = format!("bench-{}-{run}", ttl.as_secs());
        let mut a = standby(etcd, &service, "a", ttl, dir.path());
        let mut b = standby(etcd, &service, "b", ttl, dir.path());
        let first = wait_marker(dir.path());
        // Let the standby settle into its watch, and vary the kill's phase against keepalives.
        std::thread::sleep(Duration::from_millis(1000 + 337 * run as u64));
        let (leader, other) = if first == a.id() {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        leader.kill().expect("SIGKILL");
        let killed = Instant::now();
        leader.wait().expect("reap");
        let _ = std::fs::remove_file(dir.path().join(format!("{first}.active")));
        let second = wait_marker(dir.path());
        let took = killed.elapsed();
        assert_eq!(second, other.id());
        times.push(took);
        println!(
            "failover ttl={}s run {run}: {:.3}s ({:.2} x ttl)",
            ttl.as_secs(),
            took.as_secs_f64(),
            took.as_secs_f64() / ttl.as_secs_f64()
        );
        let _ = other.kill();
        let _ = other.wait();
    }
    let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    let mean = secs.iter().sum::<f64>() / secs.len() as f64;
    let min = secs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = secs.iter().cloned().fold(0.0, f64::max);
    println!(
        "failover ttl={}s over {runs} runs: min {min:.3}s mean {mean:.3}s max {max:.3}s (max/ttl {:.2})",
        ttl.as_secs(),
        max / ttl.as_secs_f64()
    );
}

/// Byte counts in both directions through a loopback TCP proxy.
struct Proxy {
    port: u16,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
}

fn proxy(target: u16) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    let up = Arc::new(AtomicU64::new(0));
    let down = Arc::new(AtomicU64::new(0));
    let connections = Arc::new(AtomicU64::new(0));
    let (u, d, c) = (up.clone(), down.clone(), connections.clone());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            c.fetch_add(1, Ordering::SeqCst);
            pump(
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
                u.clone(),
            );
            pump(server, client, d.clone());
        }
    });
    Proxy {
        port,
        up,
        down,
        connections,
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, counter: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
            counter.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

fn keepalive_traffic(etcd: &Etcd, ttl: u64, window: Duration) {
    let proxy = proxy(etcd.port());
    let endpoint = format!("http://127.0.0.1:{}", proxy.port);
    let mut child = Command::new(etcd::example("register"))
        .args([&endpoint, "traffic", &format!("ttl{ttl}"), &ttl.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn register example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    assert_eq!(line.trim(), "registered");
    let registered = (
        proxy.up.load(Ordering::SeqCst),
        proxy.down.load(Ordering::SeqCst),
    );
    std::thread::sleep(window);
    let up = proxy.up.load(Ordering::SeqCst) - registered.0;
    let down = proxy.down.load(Ordering::SeqCst) - registered.1;
    let _ = child.kill();
    let _ = child.wait();
    let per_minute = 60.0 / window.as_secs_f64();
    let keepalives = 60.0 / (ttl as f64 / 3.0);
    println!(
        "keepalive traffic ttl={ttl}s: {:.0} B/min up, {:.0} B/min down, {:.0} B/min total; \
         registration itself {} B up / {} B down over {} connection(s); \
         {keepalives:.0} lease keepalives/min + as many HTTP/2 pings/min by design \
         ({:.0} B per keepalive+ping round)",
        up as f64 * per_minute,
        down as f64 * per_minute,
        (up + down) as f64 * per_minute,
        registered.0,
        registered.1,
        proxy.connections.load(Ordering::SeqCst),
        (up + down) as f64 * per_minute / keepalives,
    );
}
