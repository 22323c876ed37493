//! The supervisor's CPU and memory while it health-checks its program every second, against the
//! same `steward run` without checks, measured in the same run (issue 6).
//!
//! `cargo bench -p steward-cli --bench health_overhead` (Linux). Each variant runs `steward run`
//! wrapping `sleep`, the checked one with an HTTP check, a TCP check and an exec check, all every
//! 1 s, against a tiny HTTP server in this process; after a warm-up, CPU time (utime + stime of
//! steward, from /proc) is sampled over a fixed window and VmRSS at its end.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WARM_UP: Duration = Duration::from_secs(3);
const WINDOW: Duration = Duration::from_secs(20);

fn main() {
    if !cfg!(target_os = "linux") {
        eprintln!("health_overhead reads /proc: Linux only");
        return;
    }
    let port = serve_http();
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = measure(dir.path(), "plain", "");
    let checks = format!(
        "[health]\nhttp = \"http://127.0.0.1:{port}/\"\ninterval = \"1s\"\n\n\
         [[health.check]]\nname = \"port\"\ntcp = \"127.0.0.1:{port}\"\ninterval = \"1s\"\n\n\
         [[health.check]]\nname = \"true\"\nexec = [\"/bin/true\"]\ninterval = \"1s\"\n"
    );
    let checked = measure(dir.path(), "checked", &checks);
    println!(
        "steward run, {} s window after {} s warm-up:",
        WINDOW.as_secs(),
        WARM_UP.as_secs()
    );
    println!("  {:<28} {:>10} {:>10}", "variant", "CPU %", "RSS MiB");
    for (name, m) in [
        ("no checks (baseline)", &plain),
        ("3 checks every 1 s", &checked),
    ] {
        println!("  {name:<28} {:>10.3} {:>10.2}", m.cpu_percent, m.rss_mib);
    }
    let resolution = 100.0 / clock_ticks() / WINDOW.as_secs_f64();
    if plain.cpu_percent > 0.0 {
        println!(
            "  ratio checked/baseline: CPU x{:.2}, RSS x{:.2}",
            checked.cpu_percent / plain.cpu_percent,
            checked.rss_mib / plain.rss_mib
        );
    } else {
        println!(
            "  baseline CPU below one clock tick ({resolution:.3} %); RSS ratio x{:.2}",
            checked.rss_mib / plain.rss_mib
        );
    }
}

struct Measurement {
    cpu_percent: f64,
    rss_mib: f64,
}

fn measure(dir: &Path, name: &str, extra: &str) -> Measurement {
    let config = dir.join(format!("{name}.toml"));
    let text = format!(
        "[service]\nname = \"bench-{name}\"\n\n[program]\ncommand = \"/bin/sleep\"\nargs = [\"1000\"]\n\n\
         [log]\ndir = \"{}\"\n\n{extra}",
        dir.join(format!("{name}-logs")).display()
    );
    std::fs::write(&config, text).expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["run", "--config"])
        .arg(&config)
        .env("STEWARD_STATE_DIR", dir.join(format!("{name}-state")))
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn steward");
    std::thread::sleep(WARM_UP);
    let ticks = clock_ticks();
    let start = (cpu_ticks(child.id()), Instant::now());
    std::thread::sleep(WINDOW);
    let end = (cpu_ticks(child.id()), Instant::now());
    let rss_kib = rss_kib(child.id());
    stop(&mut child);
    let cpu_seconds = (end.0 - start.0) as f64 / ticks;
    Measurement {
        cpu_percent: 100.0 * cpu_seconds / (end.1 - start.1).as_secs_f64(),
        rss_mib: rss_kib as f64 / 1024.0,
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A minimal HTTP/1.0 server answering 200 to everything, on its own thread.
fn serve_http() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    port
}
