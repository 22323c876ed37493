//! The bench itself: start-up, the holder process and shutdown.

use crate::error::BenchError;
use crate::tools::Tools;
use crate::{exe, prefix};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long the holder may take to come up (it starts wineserver and services.exe).
const HOLDER_TIMEOUT: Duration = Duration::from_secs(90);

/// Choices for [`WineBench::start_with`].
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// `WINEDEBUG` of the holder, and so of services.exe and every service it starts; their
    /// output goes to [`WineBench::debug_log`]. Default: `fixme-all,+eventlog`.
    pub service_debug: String,
    /// Extra packages to build for Windows (besides `wine-probe`) before the bench starts.
    pub build_packages: Vec<String>,
    /// Build with a nested `cargo build` (default). When false, existing binaries are used and
    /// a missing one is an error naming [`exe::BUILD_COMMAND`].
    pub build: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            service_debug: "fixme-all,+eventlog".into(),
            build_packages: Vec::new(),
            build: true,
        }
    }
}

/// How long each start-up step took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// The nested `cargo build` of the Windows binaries.
    pub build: Duration,
    /// `wineboot -i` plus ending that first session.
    pub prefix: Duration,
    /// Compiling and installing the shim DLL.
    pub shim: Duration,
    /// Starting the holder until it reported itself ready.
    pub holder: Duration,
}

/// A private Wine prefix with a running service manager. See the crate docs.
///
/// All methods take `&self` and are safe to call from parallel test threads.
#[derive(Debug)]
pub struct WineBench {
    /// The host programs in use.
    pub(crate) tools: Tools,
    /// The temporary directory holding the prefix and the log; `None` once shut down.
    root: Mutex<Option<tempfile::TempDir>>,
    /// `WINEPREFIX`.
    prefix: PathBuf,
    /// The holder's stderr.
    debug_log: PathBuf,
    /// Unix path of wine-probe.exe.
    probe: PathBuf,
    /// The holder process; `None` before start and after shutdown.
    holder: Mutex<Option<Child>>,
    /// Start-up timings.
    timings: Timings,
}

impl WineBench {
    /// Starts a bench with [`BenchOptions::default`].
    pub fn start() -> Result<WineBench, BenchError> {
        WineBench::start_with(BenchOptions::default())
    }

    /// Finds Wine, builds the Windows binaries, creates the prefix, installs the shim and starts
    /// the holder. Fails (never skips) when Wine or mingw is missing, naming the setup command.
    pub fn start_with(options: BenchOptions) -> Result<WineBench, BenchError> {
        let tools = Tools::find()?;
        let mut timings = Timings::default();
        let t = Instant::now();
        if options.build {
            let mut packages = vec!["wine-probe"];
            packages.extend(options.build_packages.iter().map(String::as_str));
            exe::build_windows(&packages)?;
        }
        timings.build = t.elapsed();
        let built_probe = exe::windows_exe("wine-probe")?;
        crate::stale::sweep(&std::env::temp_dir());
        let root = tempfile::Builder::new()
            .prefix(crate::stale::DIR_PREFIX)
            .tempdir()
            .map_err(BenchError::io("create the bench's temporary directory"))?;
        crate::stale::mark_owner(root.path()).map_err(BenchError::io("write owner.pid"))?;
        let mut bench = WineBench {
            prefix: root.path().join("prefix"),
            debug_log: root.path().join("debug.log"),
            root: Mutex::new(Some(root)),
            tools,
            // Replaced by the bench's own copy below, once the prefix exists.
            probe: built_probe.clone(),
            holder: Mutex::new(None),
            timings,
        };
        // From here on, Drop cleans up whatever the remaining steps leave behind.
        let t = Instant::now();
        prefix::create(&bench.tools, &bench.prefix)?;
        bench.timings.prefix = t.elapsed();
        // The bench runs its own copy of the probe: a concurrent `cargo build` in the target
        // directory (tests build what they need) can never replace it mid-run.
        let probe = bench.prefix.join("drive_c").join("wine-probe.exe");
        std::fs::copy(&built_probe, &probe).map_err(BenchError::io("copy wine-probe.exe"))?;
        bench.probe = probe;
        let t = Instant::now();
        prefix::install_shim(&bench.tools, &bench.prefix)?;
        bench.timings.shim = t.elapsed();
        let t = Instant::now();
        bench.start_holder(&options.service_debug)?;
        bench.timings.holder = t.elapsed();
        Ok(bench)
    }

    /// Starts `wine-probe hold` as the session's first process and waits for its ready line.
    fn start_holder(&self, service_debug: &str) -> Result<(), BenchError> {
        let log = File::create(&self.debug_log).map_err(BenchError::io("create debug.log"))?;
        let mut cmd = self.wine_command(service_debug);
        // The holder exits when its stdin closes, i.e. when this process ends in any way
        // (even SIGKILL); Wine then ends services.exe and the wineserver on its own.
        cmd.arg(&self.probe)
            .args(["hold", "--until-stdin-closes"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = cmd.spawn().map_err(BenchError::io("start the holder"))?;
        let stdout = child.stdout.take();
        self.lock_holder().replace(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                // EOF or an error leaves `line` empty, which the receiver reports.
                let _ = BufReader::new(out).read_line(&mut line);
            }
            let _ = tx.send(line);
        });
        match rx.recv_timeout(HOLDER_TIMEOUT) {
            Ok(line) if line.contains("\"holding\"") => Ok(()),
            Ok(line) => Err(BenchError::CommandFailed {
                command: "wine-probe hold".into(),
                status: format!("exited before it was ready (printed {line:?})"),
                stderr: self.debug_log_text().unwrap_or_default(),
            }),
            Err(_) => Err(BenchError::Timeout {
                what: format!("wine-probe hold not ready after {HOLDER_TIMEOUT:?}"),
                last: None,
            }),
        }
    }

    /// Locks the holder slot, ignoring poisoning.
    fn lock_holder(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        // A poisoned lock only means a panic elsewhere; the Option inside is still valid.
        self.holder.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A command for the Wine loader with this prefix's environment and `WINEDEBUG=winedebug`;
    /// add the program (Unix or Windows path) and its arguments.
    pub fn wine_command(&self, winedebug: &str) -> Command {
        prefix::wine_env(&self.tools, &self.tools.wine, &self.prefix, winedebug)
    }

    /// The Unix path of the prefix (`WINEPREFIX`).
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The file that receives the holder's stderr, hence the Wine debug output of services.exe
    /// and of every service (see the crate docs).
    pub fn debug_log(&self) -> &Path {
        &self.debug_log
    }

    /// The current contents of [`WineBench::debug_log`].
    pub fn debug_log_text(&self) -> Result<String, BenchError> {
        let bytes = std::fs::read(&self.debug_log).map_err(BenchError::io("read debug.log"))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Polls [`WineBench::debug_log`] until it contains `needle`; returns the whole log.
    pub fn wait_for_debug_log(
        &self,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, BenchError> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.debug_log_text()?;
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout {
                    what: format!("{needle:?} in {}", self.debug_log.display()),
                    last: None,
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The Unix path of the wine-probe.exe this bench uses.
    pub fn probe_path(&self) -> &Path {
        &self.probe
    }

    /// How long the start-up steps took.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// Kills the holder, ends this prefix's wineserver and removes the temporary directory.
    /// Idempotent; called by `Drop` and, for [`crate::shared`], at process exit. Set
    /// `STEWARD_WINE_BENCH_KEEP=1` to keep the directory for inspection.
    pub fn shutdown(&self) {
        if let Some(mut child) = self.lock_holder().take() {
            // Errors mean it already exited; wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
        let root = self.root.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(root) = root {
            // Best effort: a failure here must not hide the test's own result.
            let _ = prefix::shutdown(&self.tools, &self.prefix);
            if std::env::var_os("STEWARD_WINE_BENCH_KEEP").is_some_and(|v| v == "1") {
                let _ = root.keep();
            }
        }
    }
}

impl Drop for WineBench {
    fn drop(&mut self) {
        self.shutdown();
    }
}
