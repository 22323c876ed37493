//! `fixture-child`: a program for the supervisor's tests.
//!
//! ```text
//! fixture-child [--pid-file FILE] [--record FILE] [--ignore-stop] [--spawn-grandchild FILE]
//!               [--ready-after DUR] [--listen-after DUR] [--answers N] [--http PORT]
//!               [--notify-pings N] [--notify-burst N] [--print-env NAME] [--spew N]
//!               [--exit N | --hang]
//! ```
//!
//! Health fixtures: `--http PORT` serves `200 ok` on `127.0.0.1:PORT` from a thread, binding
//! only after `--listen-after DUR` (given before it) and answering only `--answers N` requests
//! (then it accepts but never answers, like a hung server). `--notify-pings N` sends `READY=1`
//! and then `N` `WATCHDOG=1` to `NOTIFY_SOCKET`, a quarter of `WATCHDOG_USEC` apart, then stops
//! pinging (and keeps running); one datagram per message on Unix, and on Windows, where it is a
//! named pipe, open-write-close per message, retrying the open while the pipe is busy.
//! `--notify-burst N` sends `READY=1` and then `STATUS=burst 1` .. `STATUS=burst N` at once, back
//! to back, each on its own connection (open-write-close on Windows) and never retried: a busy
//! pipe or a failed send is a lost message, printed as `notify lost` on stderr; if any was lost,
//! the program exits with 3 at the end (instead of `--exit N` or `--hang`).
//! `--print-env NAME` prints `NAME=value` (or `NAME unset`) on stdout, e.g. to show a test what
//! `NOTIFY_SOCKET` the supervisor gave it; it may be repeated.
//!
//! Steps run in this order: write the PID file; append `<pid> <monotonic ns>` to the record
//! file; ignore the stop request (SIGTERM/SIGINT, or Ctrl-C on Windows); double-fork a grandchild
//! (in its own session on Unix) that writes its PID to FILE and sleeps; sleep DUR (`250ms`, `2s`)
//! and print `ready`; print N numbered lines; then exit with N (default 0) or hang forever.
//!
//! Two helper commands for tests that cannot inspect processes from outside (Wine):
//! `fixture-child pid-alive PID` exits 0 and prints `alive` while PID runs, else exits 1 and
//! prints `gone`; `fixture-child kill PID` kills PID at once (`TerminateProcess`, `SIGKILL`).

mod serve;
mod sys;

use std::io::Write;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, file] = args.as_slice() {
        if flag == "--be-grandchild" {
            be_grandchild(file);
        }
        if flag == "--be-middle" {
            spawn_grandchild(file);
            return;
        }
        if flag == "pid-alive" || flag == "kill" {
            let Ok(pid) = file.parse::<u32>() else {
                eprintln!("fixture-child: {flag} needs a pid");
                std::process::exit(2);
            };
            if flag == "kill" {
                if let Err(e) = sys::kill(pid) {
                    eprintln!("fixture-child: kill {pid}: {e}");
                    std::process::exit(1);
                }
                return;
            }
            let alive = sys::pid_alive(pid);
            println!("{}", if alive { "alive" } else { "gone" });
            std::process::exit(if alive { 0 } else { 1 });
        }
    }
    if let Err(message) = run(&args) {
        eprintln!("fixture-child: {message}");
        std::process::exit(2);
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut exit = 0;
    let mut hang = false;
    let mut listen_after = Duration::ZERO;
    let mut answers = None;
    let mut lost = 0;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--pid-file" => write_file(&value()?, &std::process::id().to_string())?,
            "--record" => {
                let line = format!("{} {}\n", std::process::id(), sys::monotonic_ns());
                append(&value()?, &line)?;
            }
            "--ignore-stop" => sys::ignore_stop(),
            "--spawn-grandchild" => {
                let file = value()?;
                let me = std::env::current_exe().map_err(|e| e.to_string())?;
                let status = std::process::Command::new(me)
                    .args(["--be-middle", &file])
                    .status()
                    .map_err(|e| e.to_string())?;
                if !status.success() {
                    return Err("the middle process failed".into());
                }
            }
            "--ready-after" => {
                std::thread::sleep(parse_duration(&value()?)?);
                println!("ready");
            }
            "--spew" => {
                let n: u64 = value()?.parse().map_err(|_| "--spew needs a number")?;
                let mut out = std::io::stdout().lock();
                for i in 1..=n {
                    writeln!(out, "line {i}").map_err(|e| e.to_string())?;
                }
                out.flush().map_err(|e| e.to_string())?;
            }
            "--listen-after" => listen_after = parse_duration(&value()?)?,
            "--answers" => {
                answers = Some(value()?.parse().map_err(|_| "--answers needs a number")?)
            }
            "--http" => {
                let port = value()?.parse().map_err(|_| "--http needs a port")?;
                serve::http(port, listen_after, answers);
            }
            "--notify-pings" => {
                serve::notify(
                    value()?
                        .parse()
                        .map_err(|_| "--notify-pings needs a number")?,
                );
            }
            "--notify-burst" => {
                let n = value()?
                    .parse()
                    .map_err(|_| "--notify-burst needs a number")?;
                lost += serve::notify_burst(n);
            }
            "--print-env" => {
                let name = value()?;
                match std::env::var_os(&name) {
                    Some(v) => println!("{name}={}", v.to_string_lossy()),
                    None => println!("{name} unset"),
                }
            }
            "--exit" => exit = value()?.parse().map_err(|_| "--exit needs a number")?,
            "--hang" => hang = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if lost > 0 {
        eprintln!("fixture-child: {lost} notify message(s) lost");
        std::process::exit(3);
    }
    if hang {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    std::process::exit(exit);
}

/// The middle process of the double fork: starts the grandchild detached, then exits.
fn spawn_grandchild(file: &str) {
    let me = std::env::current_exe().expect("current exe");
    let mut command = std::process::Command::new(me);
    command.args(["--be-grandchild", file]);
    sys::detach(&mut command);
    // Deliberately not waited for: this process exits at once, orphaning the grandchild (the
    // double fork the supervisor must still contain).
    let grandchild = command.spawn().expect("spawning the grandchild");
    std::mem::forget(grandchild);
}

fn be_grandchild(file: &str) -> ! {
    write_file(file, &std::process::id().to_string()).expect("writing the grandchild pid");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn write_file(path: &str, text: &str) -> Result<(), String> {
    let temp = format!("{path}.tmp");
    std::fs::write(&temp, text).map_err(|e| format!("{temp}: {e}"))?;
    std::fs::rename(&temp, path).map_err(|e| format!("{path}: {e}"))
}

fn append(path: &str, text: &str) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{path}: {e}"))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{path}: {e}"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {text}");
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    let secs = text.strip_suffix('s').ok_or_else(bad)?;
    secs.parse().map(Duration::from_secs_f64).map_err(|_| bad())
}
