//! Test bench that runs a real, isolated systemd user manager for end-to-end tests.
//!
//! [`UserManager::start`] launches `/lib/systemd/systemd --user` as root, isolated so that it can
//! never take over the machine's other processes:
//!
//! 1. the manager's launcher (a child of the test process, never the test process itself) moves
//!    into fresh cgroups `steward-bench-<pid>-<starttime>-<seq>` in the `name=systemd` and
//!    cgroup2 hierarchies before it execs the manager;
//! 2. in a private mount namespace it bind-mounts a bench directory (holding `system/`, which the
//!    manager insists on, and the manager's log socket `journal/socket`) over `/run/systemd`;
//! 3. the manager gets a fresh `XDG_RUNTIME_DIR` (mode 700), `SYSTEMD_UNIT_PATH=<units
//!    dir>:/usr/lib/systemd/user` (the bench's units plus the distribution's special targets, but
//!    not `/etc/systemd/user` or `~/.config`), private XDG config/data/state/cache homes, and no
//!    generators.
//!
//! `systemctl --user` then talks to it through `$XDG_RUNTIME_DIR/systemd/private`; [`UserManager::env`]
//! gives the variables that point any `systemctl --user` (e.g. one run by code under test) at it.
//! There is no journald: give units `StandardOutput=append:<file>`. The manager's own log is
//! collected by the bench ([`UserManager::manager_log`]) and appended to errors about it.
//!
//! [`verify_unit_file`] checks generated unit files offline with `systemd-analyze verify`.
//!
//! # Lifetime and cleanup
//!
//! Use [`shared`] in tests: one manager per test binary, started on first use. Statics never drop,
//! so [`shared`] registers an `atexit` handler that stops the manager (SIGTERM, wait with a
//! deadline, kill whatever is left in its cgroups, remove the cgroups and its temporary directory)
//! when the test binary exits, whether tests passed or failed. If the test process is killed
//! instead, the manager still receives SIGTERM (`PR_SET_PDEATHSIG`) and stops its units; the empty
//! cgroups and the temporary directory of such a crashed run are removed by the next
//! [`UserManager::start`], which also kills anything still inside them. An owned [`UserManager`]
//! stops in `Drop` (or explicitly with [`UserManager::stop`]).
//!
//! Parallel tests share the manager safely as long as each uses its own unit names
//! ([`UserManager::unique_name`]).
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//!
//! let bench = steward_systemd_bench::shared().expect("systemd user manager");
//! let unit = format!("{}.service", bench.unique_name("hello"));
//! bench
//!     .write_unit(&unit, "[Service]\nExecStart=/bin/sleep 60\n")
//!     .unwrap();
//! bench.systemctl_ok(&["start", &unit]).unwrap();
//! bench
//!     .wait_for_property(&unit, "SubState", "running", Duration::from_secs(5))
//!     .unwrap();
//! bench.systemctl_ok(&["stop", &unit]).unwrap();
//! assert_eq!(bench.show(&unit).unwrap()["Result"], "success");
//! ```
#![cfg(target_os = "linux")]
// A Linux-only bench: on other targets the crate is empty, so workspace-wide Windows builds pass.

mod cgroup;
mod error;
mod journal;
mod launch;
mod support;
mod verify;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use error::{BenchError, Result};
pub use verify::{Scope, verify_unit_file};

use cgroup::Cgroups;
use journal::JournalSink;
use support::{Layout, poll_until, summarize};

/// Where Debian (and most distributions) install the manager binary.
const SYSTEMD: &str = "/lib/systemd/systemd";
/// The distribution's user units (special targets such as `exit.target`, needed to stop cleanly).
const DISTRO_USER_UNITS: &str = "/usr/lib/systemd/user";
/// PATH given to the manager and thus to its units.
const UNIT_PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How long the manager may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the manager may take to stop its units and exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A number unique within this process, for names of bench directories.
pub(crate) fn next_global_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A running, isolated systemd user manager.
///
/// Dropping it stops the manager and removes everything the bench created (see the crate docs).
#[derive(Debug)]
pub struct UserManager {
    root: PathBuf,
    units_dir: PathBuf,
    runtime_dir: PathBuf,
    scratch: PathBuf,
    systemctl: PathBuf,
    env: Vec<(OsString, OsString)>,
    pid: u32,
    child: Mutex<Option<Child>>,
    cgroups: Cgroups,
    journal: JournalSink,
    seq: AtomicU64,
    startup: Duration,
}

/// The manager shared by every test of the current test binary, started on first use and stopped
/// when the process exits (through `atexit`, since statics are never dropped).
///
/// A failed start is remembered: every caller gets the same error.
///
/// # Examples
///
/// ```no_run
/// let bench = steward_systemd_bench::shared().expect("systemd user manager");
/// println!("manager pid {}", bench.pid());
/// ```
pub fn shared() -> Result<&'static UserManager, &'static BenchError> {
    static SHARED: OnceLock<Result<UserManager>> = OnceLock::new();
    extern "C" fn stop_shared() {
        if let Some(Ok(manager)) = SHARED.get() {
            // A panic must not unwind into libc's exit(): swallow it.
            let _ = std::panic::catch_unwind(|| manager.stop());
        }
    }
    SHARED
        .get_or_init(|| {
            let manager = UserManager::start()?;
            // SAFETY: registers a plain `extern "C" fn()` that does not unwind.
            unsafe { libc::atexit(stop_shared) };
            Ok(manager)
        })
        .as_ref()
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| UNIT_PATH_ENV.into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

impl UserManager {
    /// Starts a new isolated user manager and waits until it reports `running` (or `degraded`).
    ///
    /// Fails (never skips) when not root, when systemd is missing, or when the cgroup layout is
    /// unknown, naming what to install or change. Before starting, it removes what crashed earlier
    /// runs left behind (see the crate docs).
    pub fn start() -> Result<UserManager> {
        // SAFETY: geteuid(2) cannot fail and takes no arguments.
        let euid = unsafe { libc::geteuid() };
        if euid != 0 {
            return Err(BenchError::NotRoot { euid });
        }
        if !Path::new(SYSTEMD).is_file() {
            return Err(BenchError::Missing {
                what: "systemd",
                path: SYSTEMD.into(),
                hint: "apt-get install -y systemd",
            });
        }
        let systemctl = find_in_path("systemctl").ok_or(BenchError::Missing {
            what: "systemctl",
            path: "$PATH".into(),
            hint: "apt-get install -y systemd",
        })?;
        let hierarchies = cgroup::hierarchies()?;
        let temp_root = std::env::temp_dir();
        cgroup::clean_stale(&hierarchies, &temp_root)?;

        let (pid, start) = cgroup::process_identity(std::process::id()).ok_or_else(|| {
            BenchError::io(
                "reading /proc/self/stat",
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        let seq = next_global_id();
        let id = format!("{}{pid}-{start}-{seq}", cgroup::PREFIX);
        let root = temp_root.join(&id);
        let layout = Layout::new(&root);
        layout.create()?;

        let unit_path = format!("{}:{DISTRO_USER_UNITS}", layout.units.display());
        let env: Vec<(OsString, OsString)> = vec![
            ("XDG_RUNTIME_DIR".into(), layout.runtime.clone().into()),
            ("SYSTEMD_UNIT_PATH".into(), unit_path.into()),
            ("XDG_CONFIG_HOME".into(), root.join("config").into()),
            ("XDG_DATA_HOME".into(), root.join("data").into()),
            ("XDG_STATE_HOME".into(), root.join("state").into()),
            ("XDG_CACHE_HOME".into(), root.join("cache").into()),
        ];
        let journal = JournalSink::bind(&layout.run_systemd.join("journal/socket"))?;
        let cgroups = match Cgroups::create(&hierarchies, &id) {
            Ok(c) => c,
            Err(e) => {
                journal.close();
                let _ = fs::remove_dir_all(&root);
                return Err(e);
            }
        };
        // From here on, Drop (via `stop`) cleans up whatever happens.
        let mut manager = UserManager {
            units_dir: layout.units.clone(),
            runtime_dir: layout.runtime.clone(),
            scratch: layout.scratch.clone(),
            root,
            systemctl,
            env,
            pid: 0,
            child: Mutex::new(None),
            cgroups,
            journal,
            seq: AtomicU64::new(0),
            startup: Duration::ZERO,
        };
        let began = Instant::now();
        let child = manager.spawn(&layout)?;
        manager.pid = child.id();
        *manager.child.get_mut().unwrap_or_else(|p| p.into_inner()) = Some(child);
        manager.wait_ready()?;
        manager.startup = began.elapsed();
        Ok(manager)
    }

    fn spawn(&self, layout: &Layout) -> Result<Child> {
        let out = fs::File::create(self.root.join("manager.out"))
            .map_err(|e| BenchError::io("creating manager.out", e))?;
        let err = out
            .try_clone()
            .map_err(|e| BenchError::io("duplicating manager.out", e))?;
        let level = std::env::var("STEWARD_BENCH_LOG_LEVEL").unwrap_or_else(|_| "info".into());
        let mut cmd = Command::new(SYSTEMD);
        cmd.args(["--user", "--log-target=journal-or-kmsg"])
            .arg(format!("--log-level={level}"))
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("PATH", UNIT_PATH_ENV)
            .env("HOME", &layout.home)
            .env("LANG", "C.UTF-8")
            .env("SYSTEMD_GENERATOR_PATH", &layout.empty)
            .env("SYSTEMD_ENVIRONMENT_GENERATOR_PATH", &layout.empty)
            .current_dir(&layout.home)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let what = || {
            format!(
                "launching {SYSTEMD} --user (join cgroups {}, private mount namespace, bind {} over /run/systemd)",
                self.cgroups.describe(),
                layout.run_systemd.display()
            )
        };
        launch::isolate(&mut cmd, &self.cgroups.procs_files(), &layout.run_systemd)
            .map_err(|e| BenchError::io(what(), e))?;
        launch::spawn_kept(cmd).map_err(|e| BenchError::io(what(), e))
    }

    fn wait_ready(&self) -> Result<()> {
        let socket = self.runtime_dir.join("systemd/private");
        let mut last = String::from("no private socket yet");
        poll_until(
            "the user manager to reach SystemState=running",
            START_TIMEOUT,
            || {
                self.ensure_running("starting up")?;
                if socket.exists() {
                    let out = self.systemctl(&["show", "--property=SystemState", "--value"])?;
                    last = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                    if matches!(last.as_str(), "running" | "degraded") {
                        return Ok(Some(()));
                    }
                }
                Ok(None)
            },
        )
        .map_err(|e| match e {
            BenchError::Timeout { what, waited, .. } => BenchError::Timeout {
                what,
                waited,
                last: format!(
                    "SystemState={last}\n--- manager log ---\n{}",
                    self.manager_log()
                ),
            },
            other => other,
        })
    }

    /// Errors with the manager's exit status and log if it is no longer running.
    fn ensure_running(&self, when: &str) -> Result<()> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let Some(c) = child.as_mut() else {
            return Err(BenchError::Stopped);
        };
        match c.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                child.take();
                Err(BenchError::ManagerExited {
                    status,
                    when: when.to_owned(),
                    log: self.manager_log(),
                })
            }
            Err(e) => Err(BenchError::io("waiting for the manager", e)),
        }
    }

    /// The directory the manager loads units from (first in its `SYSTEMD_UNIT_PATH`).
    pub fn units_dir(&self) -> &Path {
        &self.units_dir
    }

    /// The manager's `XDG_RUNTIME_DIR` (holds `systemd/private`, the socket `systemctl` uses).
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime_dir
    }

    /// The manager's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How long [`UserManager::start`] took from spawning the manager to `SystemState=running`.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// The environment variables a `systemctl --user` call needs to reach this manager and to see
    /// the same unit search path and config home (for `enable`/`disable`, which work on files).
    ///
    /// Also remove `DBUS_SESSION_BUS_ADDRESS` from such a call, or use [`UserManager::apply_env`].
    pub fn env(&self) -> &[(OsString, OsString)] {
        &self.env
    }

    /// Points `cmd` at this manager: sets [`UserManager::env`] and removes
    /// `DBUS_SESSION_BUS_ADDRESS`, so `systemctl --user` uses the manager's private socket.
    pub fn apply_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
    }

    /// Runs `systemctl --user <args>` against this manager and returns its output, whatever its
    /// exit status (see [`UserManager::systemctl_ok`] for one that checks it).
    pub fn systemctl(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = Command::new(&self.systemctl);
        cmd.arg("--user").args(args).stdin(Stdio::null());
        self.apply_env(&mut cmd)
            .output()
            .map_err(|e| BenchError::io(format!("running {}", self.systemctl.display()), e))
    }

    /// Runs `systemctl --user <args>` and returns its standard output; a non-zero exit status is
    /// an error carrying its standard error.
    pub fn systemctl_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.systemctl(args)?;
        if !out.status.success() {
            return Err(BenchError::Systemctl {
                args: args.join(" "),
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `systemctl --user daemon-reload`. Not needed for units that were never loaded before
    /// (the manager looks for new unit files on its own); needed after changing a loaded one.
    pub fn daemon_reload(&self) -> Result<()> {
        self.systemctl_ok(&["daemon-reload"]).map(drop)
    }

    /// All properties of `unit`, parsed from `systemctl --user show <unit>`.
    pub fn show(&self, unit: &str) -> Result<HashMap<String, String>> {
        let text = self.systemctl_ok(&["show", unit])?;
        Ok(text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    }

    /// The `ActiveState` of `unit` (`active`, `inactive`, `failed`, `activating`, ...).
    pub fn active_state(&self, unit: &str) -> Result<String> {
        Ok(self.show(unit)?.remove("ActiveState").unwrap_or_default())
    }

    /// Polls `unit`'s properties until `done` accepts them, and returns them; fails after
    /// `timeout` with the last properties seen, or as soon as the manager exits.
    pub fn wait_for(
        &self,
        unit: &str,
        timeout: Duration,
        mut done: impl FnMut(&HashMap<String, String>) -> bool,
    ) -> Result<HashMap<String, String>> {
        let mut last = HashMap::new();
        poll_until(
            &format!("{unit} to reach the expected state"),
            timeout,
            || {
                self.ensure_running("while waiting for a unit")?;
                last = self.show(unit)?;
                Ok(done(&last).then(|| last.clone()))
            },
        )
        .map_err(|e| match e {
            BenchError::Timeout { what, waited, .. } => BenchError::Timeout {
                what,
                waited,
                last: summarize(&last),
            },
            other => other,
        })
    }

    /// Waits until `unit`'s property `key` equals `value` (see [`UserManager::wait_for`]).
    pub fn wait_for_property(
        &self,
        unit: &str,
        key: &str,
        value: &str,
        timeout: Duration,
    ) -> Result<HashMap<String, String>> {
        self.wait_for(unit, timeout, |p| p.get(key).is_some_and(|v| v == value))
            .map_err(|e| match e {
                BenchError::Timeout { waited, last, .. } => BenchError::Timeout {
                    what: format!("{unit} to have {key}={value}"),
                    waited,
                    last,
                },
                other => other,
            })
    }

    /// Writes a unit file into [`UserManager::units_dir`] atomically (write, then rename), and
    /// returns its path. Call [`UserManager::daemon_reload`] when replacing a loaded unit.
    pub fn write_unit(&self, name: &str, contents: &str) -> Result<PathBuf> {
        let staged = self.scratch.join(format!(".unit-{}", self.next()));
        let path = self.units_dir.join(name);
        fs::write(&staged, contents)
            .map_err(|e| BenchError::io(format!("writing {}", staged.display()), e))?;
        fs::rename(&staged, &path)
            .map_err(|e| BenchError::io(format!("moving unit into {}", path.display()), e))?;
        Ok(path)
    }

    /// A name unique within this manager, `<stem>-<n>`, for units of parallel tests.
    pub fn unique_name(&self, stem: &str) -> String {
        format!("{stem}-{}", self.next())
    }

    /// Creates and returns a fresh directory for one test's files (scripts, output files), removed
    /// with the manager.
    pub fn temp_dir(&self, label: &str) -> Result<PathBuf> {
        let dir = self.scratch.join(format!("{label}-{}", self.next()));
        fs::create_dir(&dir)
            .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
        Ok(dir)
    }

    /// The manager's most recent log lines (up to 200), as `<priority> message`.
    ///
    /// Set `STEWARD_BENCH_LOG_LEVEL=debug` before starting for a detailed log.
    pub fn manager_log(&self) -> String {
        let mut log = self.journal.tail(200);
        if let Ok(out) = fs::read_to_string(self.root.join("manager.out"))
            && !out.trim().is_empty()
        {
            log.push_str("--- manager stdout/stderr ---\n");
            log.push_str(&out);
        }
        log
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Stops the manager: SIGTERM (it stops its units and exits), wait up to 20 s, kill whatever
    /// is left in its cgroups, remove the cgroups and its temporary directory. Idempotent.
    ///
    /// Returns an error if the manager did not exit in time (cleanup still happens).
    pub fn stop(&self) -> Result<()> {
        let child = self.child.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut result = Ok(());
        if let Some(mut child) = child {
            result = self.terminate(&mut child);
        }
        self.journal.close();
        if let Err(e) = self.cgroups.remove(Duration::from_secs(10)) {
            result = result.and(Err(e));
        }
        if self.root.exists()
            && let Err(e) = fs::remove_dir_all(&self.root)
        {
            result = result.and(Err(BenchError::io(
                format!("removing {}", self.root.display()),
                e,
            )));
        }
        result
    }

    fn terminate(&self, child: &mut Child) -> Result<()> {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Ok(());
        }
        // SAFETY: kill(2) on our own child's PID, which is not yet reaped (so not reused).
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) };
        let waited = poll_until("the manager to exit after SIGTERM", STOP_TIMEOUT, || {
            child
                .try_wait()
                .map_err(|e| BenchError::io("waiting for the manager", e))
        });
        if waited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
        waited.map(drop).map_err(|e| match e {
            BenchError::Timeout { what, waited, .. } => BenchError::Timeout {
                what,
                waited,
                last: self.manager_log(),
            },
            other => other,
        })
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
