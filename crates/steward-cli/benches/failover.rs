//! Failover of the real product: two `steward run` of one service in cold standby
//! (`[registry] standby = true`) against a real etcd on loopback, with the raw etcd lease floor
//! measured in the same run as the baseline. Prints figures only (no thresholds).
//!
//! `cargo bench -p steward-cli --bench failover` (Linux; needs `etcd` and `etcdctl`:
//! `apt-get install -y etcd-server etcd-client`). `STEWARD_BENCH_RUNS` sets the number of runs
//! of each measurement (default 5; about two minutes). For TTL 3 s and 5 s:
//!
//! - **steward failover**: the leader's `steward` is SIGKILLed; measured until the standby's
//!   program (`/bin/sleep <unique marker>`) is seen in `/proc` (scanned every 2 ms). The killed
//!   instance is then started again as the new standby for the next run.
//! - **raw lease expiry** (the floor, interleaved with the failovers): a key attached to a lease
//!   kept alive by `etcdctl lease keep-alive` with the same TTL; that etcdctl is SIGKILLed and the
//!   time until an `etcdctl watch` reports the key's deletion is measured.
//! - **graceful handover**: SIGTERM of the leader's `steward` → the standby's program running.
//!
//! A lease expires `ttl` after its last keepalive, and etcd deletes it at its next expiry check
//! (every 500 ms), so both expiries depend on two phases, made the same for both:
//!
//! - the kill's phase in the keepalive period: run `i` of `N` kills `(i + 0.5) / N × ttl / 3`
//!   after the last keepalive — for etcdctl the last answer it printed, for the leader its
//!   keepalive schedule (every `ttl / 3` from the moment it won: the timestamp of the election's
//!   `elected leader` line in its log);
//! - the phase against etcd's expiry check: random for both (etcdctl started after a random
//!   delay; the leader elected by a graceful handover at a random moment — that handover is the
//!   one measured).
//!
//! The same `/proc` scan checks throughout that two programs never run at once.

#[path = "../../steward-registry/tests/common/etcd.rs"]
#[allow(missing_docs)]
mod etcd;
#[cfg(target_os = "linux")]
#[path = "../tests/common/procs.rs"]
#[allow(dead_code, missing_docs)]
mod procs;
#[cfg(target_os = "linux")]
#[path = "../tests/common/steward_run.rs"]
#[allow(dead_code, missing_docs)]
mod steward_run;

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("failover: Linux only (scans /proc, signals with kill)");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{Receiver, RecvTimeoutError};
    use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use crate::etcd::Etcd;
    use crate::procs::running_programs;
    use crate::steward_run::StewardRun as Steward;

    /// Deadline of every wait.
    const WAIT: Duration = Duration::from_secs(30);
    /// How often the monitor scans `/proc`.
    const SCAN_EVERY: Duration = Duration::from_millis(2);
    /// The least time a leader (or a lease) runs before it is killed.
    const SETTLE: Duration = Duration::from_secs(1);
    /// The least time a (re)started standby waits before the leader is killed or stopped, so
    /// that it has granted its lease and watches the leader key.
    const STANDBY_SETTLE: Duration = Duration::from_millis(500);
    /// How often etcd looks for expired leases.
    const EXPIRY_CHECK: Duration = Duration::from_millis(500);
    /// The line `steward run` logs once it campaigns.
    const CAMPAIGNING: &str = "standby: waiting for the leadership";
    const TTLS: [u64; 2] = [3, 5];
    /// The monotonic and the wall clock read at the same moment, to place log timestamps.
    static CLOCKS: OnceLock<(Instant, SystemTime)> = OnceLock::new();

    pub fn main() {
        let runs: usize = std::env::var("STEWARD_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
            .max(1);
        CLOCKS.get_or_init(|| (Instant::now(), SystemTime::now()));
        let etcd = Etcd::start();
        println!(
            "steward failover bench: {runs} runs per measurement, ttl {TTLS:?} s, etcd {}",
            etcd.endpoint()
        );
        let mut summary = Vec::new();
        for ttl in TTLS {
            summary.extend(bench_ttl(&etcd, ttl, runs));
        }
        println!("\nsummary ({runs} runs each):");
        for line in summary {
            println!("  {line}");
        }
    }

    /// All three measurements for one TTL; returns the summary lines.
    fn bench_ttl(etcd: &Etcd, ttl: u64, runs: usize) -> Vec<String> {
        let tmp = tempfile::tempdir().expect("temp dir");
        let marker = marker(ttl);
        let monitor = Monitor::start(marker.clone());
        let period = Duration::from_secs(ttl) / 3;
        let mut pair = Pair::start(etcd, tmp.path(), ttl, &marker, &monitor);

        let mut failovers = Vec::new();
        let mut expiries = Vec::new();
        let mut handovers = Vec::new();
        for run in 0..runs {
            // The same phase in the keepalive period for both kills of this run.
            let offset = period.mul_f64((run as f64 + 0.5) / runs as f64);
            let expiry = lease_expiry(etcd, ttl, run, offset);
            // The handover at a random moment makes the standby leader at a random phase of
            // etcd's expiry check; the failover then kills that new leader.
            let handover = pair.handover(etcd, &monitor);
            let failover = pair.failover(etcd, &monitor, offset);
            println!(
                "ttl {ttl}s run {}/{runs}: killed {:.2} s into the keepalive period: \
                 raw lease expiry {:.3} s, steward failover {:.3} s; graceful handover {:.3} s",
                run + 1,
                offset.as_secs_f64(),
                expiry.as_secs_f64(),
                failover.as_secs_f64(),
                handover.as_secs_f64()
            );
            expiries.push(expiry);
            failovers.push(failover);
            handovers.push(handover);
        }
        drop(pair);

        let (f, e, h) = (
            Stats::of(&failovers),
            Stats::of(&expiries),
            Stats::of(&handovers),
        );
        let check = monitor.report();
        let lines = vec![
            format!(
                "ttl {ttl}s: steward failover {f}; raw lease expiry {e}; ratio {:.2} ({:+.2} s)",
                f.mean / e.mean,
                f.mean - e.mean
            ),
            format!("ttl {ttl}s: graceful handover {}", h.precise()),
            format!("ttl {ttl}s: {check}"),
        ];
        for line in &lines {
            println!("{line}");
        }
        lines
    }

    /// min / mean / max in seconds.
    #[derive(Clone, Copy)]
    struct Stats {
        min: f64,
        mean: f64,
        max: f64,
    }

    impl Stats {
        fn of(times: &[Duration]) -> Stats {
            let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
            Stats {
                min: secs.iter().copied().fold(f64::INFINITY, f64::min),
                mean: secs.iter().sum::<f64>() / secs.len() as f64,
                max: secs.iter().copied().fold(0.0, f64::max),
            }
        }

        fn precise(self) -> String {
            format!(
                "min {:.3} s mean {:.3} s max {:.3} s",
                self.min, self.mean, self.max
            )
        }
    }

    impl std::fmt::Display for Stats {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "min {:.2} s mean {:.2} s max {:.2} s",
                self.min, self.mean, self.max
            )
        }
    }

    /// The first `reference + k * period + offset` (k ≥ 0) not before `not_before`.
    fn slot(
        reference: Instant,
        period: Duration,
        offset: Duration,
        not_before: Instant,
    ) -> Instant {
        let mut at = reference + offset;
        while at < not_before {
            at += period;
        }
        at
    }

    /// A random time below [`EXPIRY_CHECK`].
    ///
    /// etcd looks for expired leases every 500 ms, so an expiry waits 0–0.5 s for that check.
    /// Everything in this bench follows from earlier expiries, hence from those checks: without
    /// a random delay the phases of the leases against the check would repeat from run to run
    /// (a leader elected by a failover, with `ttl = 3s`, kept alive every whole second from just
    /// after a check, was measured expiring 0.3 s sooner than the baseline every time).
    fn random_phase() -> Duration {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        EXPIRY_CHECK.mul_f64((random % 1_000_000) as f64 / 1_000_000.0)
    }

    fn sleep_until(at: Instant) {
        let left = at.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
    }

    /// Polls `probe` every 20 ms until it returns `Some`; panics after [`WAIT`] with `what`
    /// and `context()`.
    fn wait_until<T>(
        what: &str,
        mut probe: impl FnMut() -> Option<T>,
        context: impl Fn() -> String,
    ) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = probe() {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {what}\n{}",
                context()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A number for `sleep` that no other process has on its command line.
    fn marker(ttl: u64) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        format!(
            "{ttl}{}.{:06}",
            100_000 + std::process::id() % 100_000,
            nanos % 1_000_000
        )
    }

    // ---------------------------------------------------------------- the /proc monitor

    /// One scan of `/proc`: the programs seen, and when the scan ended.
    #[derive(Clone)]
    struct Scan {
        pids: BTreeSet<u32>,
        at: Instant,
    }

    struct MonitorState {
        latest: Scan,
        scans: u64,
        max: usize,
        overlaps: u64,
    }

    struct Shared {
        state: Mutex<MonitorState>,
        changed: Condvar,
        stop: AtomicBool,
    }

    impl Shared {
        fn lock(&self) -> MutexGuard<'_, MonitorState> {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// Scans `/proc` every [`SCAN_EVERY`] for the programs (command line with the marker):
    /// the latest scan for the measurements, and how many ran at once for the safety check.
    struct Monitor {
        shared: Arc<Shared>,
        thread: Option<JoinHandle<()>>,
    }

    impl Monitor {
        fn start(marker: String) -> Monitor {
            let shared = Arc::new(Shared {
                state: Mutex::new(MonitorState {
                    latest: Scan {
                        pids: running_programs(&marker),
                        at: Instant::now(),
                    },
                    scans: 0,
                    max: 0,
                    overlaps: 0,
                }),
                changed: Condvar::new(),
                stop: AtomicBool::new(false),
            });
            let scanner = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name("proc-monitor".into())
                .spawn(move || {
                    while !scanner.stop.load(Ordering::Acquire) {
                        let pids = running_programs(&marker);
                        let at = Instant::now();
                        {
                            let mut state = scanner.lock();
                            state.scans += 1;
                            state.max = state.max.max(pids.len());
                            if pids.len() > 1 {
                                state.overlaps += 1;
                            }
                            state.latest = Scan { pids, at };
                        }
                        scanner.changed.notify_all();
                        std::thread::sleep(SCAN_EVERY);
                    }
                })
                .expect("spawn the monitor");
            Monitor {
                shared,
                thread: Some(thread),
            }
        }

        /// The first scan whose programs satisfy `done`; `None` after [`WAIT`].
        fn wait(&self, done: impl Fn(&BTreeSet<u32>) -> bool) -> Option<Scan> {
            let deadline = Instant::now() + WAIT;
            let mut state = self.shared.lock();
            loop {
                if done(&state.latest.pids) {
                    return Some(state.latest.clone());
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                state = self
                    .shared
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }

        fn report(&self) -> String {
            let state = self.shared.lock();
            if state.overlaps == 0 {
                format!(
                    "/proc monitor ({} scans, every {} ms): never two programs at once",
                    state.scans,
                    SCAN_EVERY.as_millis()
                )
            } else {
                format!(
                    "/proc monitor ({} scans, every {} ms): TWO PROGRAMS AT ONCE in {} scans \
                     (at most {})",
                    state.scans,
                    SCAN_EVERY.as_millis(),
                    state.overlaps,
                    state.max
                )
            }
        }
    }

    impl Drop for Monitor {
        fn drop(&mut self) {
            self.shared.stop.store(true, Ordering::Release);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    // ---------------------------------------------------------------- steward run

    /// The two instances `a` and `b` of one service in cold standby.
    struct Pair<'a> {
        root: &'a Path,
        config: [String; 2],
        stewards: [Option<Steward>; 2],
        name: String,
        ttl: Duration,
        generation: usize,
        /// When the current leader won (its keepalives go out every `ttl / 3` from then).
        leading_since: Instant,
        /// When the current standby was seen campaigning.
        standby_since: Instant,
    }

    const IDS: [&str; 2] = ["a", "b"];

    impl<'a> Pair<'a> {
        fn start(etcd: &Etcd, root: &'a Path, ttl: u64, marker: &str, monitor: &Monitor) -> Self {
            let name = format!("bench-failover-{}-ttl{ttl}", std::process::id());
            let config = IDS.map(|id| {
                format!(
                    "[service]\nname = \"{name}\"\n\
                     [program]\ncommand = \"/bin/sleep\"\nargs = [\"{marker}\"]\nstop_timeout = \"5s\"\n\
                     [registry]\nendpoints = [\"{}\"]\nttl = \"{ttl}s\"\nstandby = true\n\
                     instance_id = \"{id}\"\n",
                    etcd.endpoint()
                )
            });
            let mut pair = Pair {
                root,
                config,
                stewards: [None, None],
                name,
                ttl: Duration::from_secs(ttl),
                generation: 0,
                leading_since: Instant::now(),
                standby_since: Instant::now(),
            };
            pair.restart(0);
            pair.restart(1);
            let first = monitor
                .wait(|pids| pids.len() == 1)
                .unwrap_or_else(|| panic!("no program started\n{}", pair.logs()));
            let leader = pair.wait_leader(etcd, None);
            pair.leading_since = pair.elected_at(leader, first.at);
            pair.wait_campaigning(1 - leader);
            pair
        }

        fn steward(&mut self, index: usize) -> &mut Steward {
            self.stewards[index].as_mut().expect("started")
        }

        /// Starts instance `index` afresh (after its previous process ended).
        fn restart(&mut self, index: usize) {
            self.generation += 1;
            let dir = self
                .root
                .join(format!("{}-{}", IDS[index], self.generation));
            let old =
                self.stewards[index].replace(Steward::start(&dir, IDS[index], &self.config[index]));
            drop(old);
        }

        /// Waits until instance `index` logs that it campaigns.
        fn wait_campaigning(&mut self, index: usize) {
            wait_until(
                "the standby to campaign",
                || {
                    let log = self.stewards[index].as_ref().map(Steward::log);
                    log.filter(|l| l.contains(CAMPAIGNING)).map(drop)
                },
                || self.logs(),
            );
            self.standby_since = Instant::now();
        }

        /// Waits until the leader key names an instance (`expected`, when given); its index.
        fn wait_leader(&self, etcd: &Etcd, expected: Option<usize>) -> usize {
            let key = format!("/services/{}/leader", self.name);
            wait_until(
                "the leader key",
                || {
                    let out = etcd.etcdctl(&["get", &key, "--print-value-only"], None);
                    let index = IDS.iter().position(|id| *id == out.trim())?;
                    expected.is_none_or(|e| e == index).then_some(index)
                },
                || self.logs(),
            )
        }

        fn logs(&self) -> String {
            self.stewards
                .iter()
                .flatten()
                .map(Steward::log)
                .collect::<Vec<_>>()
                .join("\n")
        }

        /// SIGKILLs the leader's steward at `offset` into its keepalive period; the time until
        /// the standby's program runs. The killed instance then comes back as the standby.
        fn failover(&mut self, etcd: &Etcd, monitor: &Monitor, offset: Duration) -> Duration {
            let period = self.ttl / 3;
            let leader = self.wait_leader(etcd, None);
            let before = self.one_program(monitor);
            let not_before = (self.leading_since + SETTLE)
                .max(self.standby_since + STANDBY_SETTLE)
                .max(Instant::now());
            sleep_until(slot(self.leading_since, period, offset, not_before));
            let killed = self.steward(leader).kill9();
            let took = self.taken_over(monitor, &before, killed, 1 - leader);
            self.wait_leader(etcd, Some(1 - leader));
            self.restart(leader);
            self.wait_campaigning(leader);
            took
        }

        /// SIGTERMs the leader's steward at a random moment; the time until the standby's
        /// program runs. The stopped instance then comes back as the standby.
        fn handover(&mut self, etcd: &Etcd, monitor: &Monitor) -> Duration {
            let leader = self.wait_leader(etcd, None);
            let before = self.one_program(monitor);
            sleep_until((self.standby_since + STANDBY_SETTLE).max(Instant::now()) + random_phase());
            self.steward(leader).terminate();
            let stopped = Instant::now();
            let took = self.taken_over(monitor, &before, stopped, 1 - leader);
            let status = self.steward(leader).wait_exit(WAIT);
            assert!(
                status.success(),
                "the stopped leader exited with {status}\n{}",
                self.logs()
            );
            self.wait_leader(etcd, Some(1 - leader));
            self.restart(leader);
            self.wait_campaigning(leader);
            took
        }

        /// The leader's program, alone.
        fn one_program(&self, monitor: &Monitor) -> BTreeSet<u32> {
            monitor
                .wait(|pids| pids.len() == 1)
                .unwrap_or_else(|| panic!("not exactly one program running\n{}", self.logs()))
                .pids
        }

        /// Waits for a program other than `before`, started by instance `winner`; the time from
        /// `since` to the scan that saw it.
        fn taken_over(
            &mut self,
            monitor: &Monitor,
            before: &BTreeSet<u32>,
            since: Instant,
            winner: usize,
        ) -> Duration {
            let scan = monitor
                .wait(|pids| pids.iter().any(|pid| !before.contains(pid)))
                .unwrap_or_else(|| panic!("the standby's program never ran\n{}", self.logs()));
            self.leading_since = self.elected_at(winner, scan.at);
            scan.at.saturating_duration_since(since)
        }

        /// When instance `index` won the election, from the timestamp of the election's
        /// `elected leader` line in its log (the leader's first keepalive goes out then; the
        /// program starts up to 0.1 s later, when `steward run` next looks at its role).
        /// `seen` (when its program was seen) if the line cannot be read.
        fn elected_at(&self, index: usize, seen: Instant) -> Instant {
            let log = self.stewards[index].as_ref().map(Steward::log);
            let elected = log.as_deref().and_then(|log| {
                let line = log
                    .lines()
                    .rfind(|l| l.contains("elected leader") && !l.contains("standby:"))?;
                let stamp = humantime::parse_rfc3339_weak(line.split_whitespace().next()?).ok()?;
                let (instant, wall) = *CLOCKS.get()?;
                let at = instant.checked_add(stamp.duration_since(wall).ok()?)?;
                // A wall clock that jumped gives a time outside of this window: not used.
                (at <= seen && seen.duration_since(at) < Duration::from_secs(1)).then_some(at)
            });
            elected.unwrap_or_else(|| {
                eprintln!(
                    "warning: no usable `elected leader` line for {}; the phase counts from \
                     its program instead",
                    IDS[index]
                );
                seen
            })
        }
    }

    impl Drop for Pair<'_> {
        fn drop(&mut self) {
            // Both at once rather than one handover after the other.
            for steward in self.stewards.iter_mut().flatten() {
                if steward.running() {
                    steward.terminate();
                }
            }
        }
    }

    // ---------------------------------------------------------------- raw lease baseline

    /// A child process killed (SIGKILL) and reaped when dropped.
    struct KillOnDrop(Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn etcdctl(etcd: &Etcd, args: &[&str]) -> KillOnDrop {
        let child = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", etcd.endpoint()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcdctl not found: apt-get install -y etcd-client");
        KillOnDrop(child)
    }

    /// The lines of the child's stdout, each with the time it was read.
    fn lines(child: &mut KillOnDrop) -> Receiver<(String, Instant)> {
        let stdout = child.0.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send((line, Instant::now())).is_err() {
                    return;
                }
            }
        });
        rx
    }

    /// Waits for a line satisfying `wanted` (given the line and when it was read); the time it
    /// was read.
    fn line(
        lines: &Receiver<(String, Instant)>,
        what: &str,
        wanted: impl Fn(&str, Instant) -> bool,
    ) -> Instant {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok((line, at)) if wanted(&line, at) => return at,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no {what} within {WAIT:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("etcdctl ended before {what}"),
            }
        }
    }

    /// A key on a lease of `ttl` kept alive by `etcdctl lease keep-alive`; that etcdctl is
    /// SIGKILLed `offset` after a keepalive's answer (etcdctl prints each one). The time until a
    /// watch sees the key go.
    ///
    /// etcdctl's keepalives do not come at a fixed rate (the next one is due `ttl / 3` after an
    /// answer and is sent by a loop that wakes every 500 ms: every 1.0–1.5 s with `ttl = 3s`),
    /// so the phase counts from the last answer, not from the first.
    fn lease_expiry(etcd: &Etcd, ttl: u64, run: usize, offset: Duration) -> Duration {
        let key = format!("/bench/lease/{}/ttl{ttl}/{run}", std::process::id());
        let grant = etcd.etcdctl(&["lease", "grant", &ttl.to_string()], None);
        let id = grant
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("no lease id in {grant:?}"))
            .to_owned();
        // etcdctl sends its keepalives from a loop that wakes every 500 ms from its start: a
        // random start puts them at a random phase of etcd's expiry check.
        std::thread::sleep(random_phase());
        let mut keeper = etcdctl(etcd, &["lease", "keep-alive", &id]);
        let keepalives = lines(&mut keeper);
        let first = line(&keepalives, "a keepalive", |l, _| l.contains("keepalived"));
        let put = etcd.etcdctl(
            &["put", &format!("--lease={id}"), &key, "v", "-w", "json"],
            None,
        );
        let revision = serde_json::from_str::<serde_json::Value>(&put)
            .ok()
            .and_then(|v| v["header"]["revision"].as_i64())
            .unwrap_or_else(|| panic!("no revision in {put:?}"));
        // From the put's revision: the watch replays the put, so once it is printed the watch
        // is in place.
        let mut watch = etcdctl(etcd, &["watch", &key, &format!("--rev={revision}")]);
        let events = lines(&mut watch);
        line(&events, "the PUT event", |l, _| l == "PUT");
        let settled = first + SETTLE;
        let last = line(&keepalives, "a keepalive after settling", |l, at| {
            l.contains("keepalived") && at >= settled
        });
        sleep_until(last + offset);
        keeper.0.kill().expect("SIGKILL etcdctl lease keep-alive");
        let killed = Instant::now();
        let gone = line(&events, "the DELETE event", |l, _| l == "DELETE");
        gone.saturating_duration_since(killed)
    }
}
