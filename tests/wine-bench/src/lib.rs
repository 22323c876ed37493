//! Test bench that runs Windows binaries in a private Wine prefix with a live service manager.
//!
//! [`WineBench::start`] finds Wine, builds the Windows helper `wine-probe` with a nested
//! `cargo build` (so binaries are never stale), creates a private headless `WINEPREFIX` in a
//! temporary directory (`wineboot -i`, about 6 s), installs the `ProcessPrng` shim DLL that
//! Rust programs need under Wine 8, and starts a *holder* process (`wine-probe hold`) that keeps
//! Wine's service manager alive: Wine ends services once no ordinary Wine process is left.
//!
//! Because prefix creation is slow, tests of one test binary share one bench through
//! [`shared`]; it is shut down at process exit (`atexit`), since statics are never dropped.
//! Parallel tests may use it concurrently; giving each test unique service names is the
//! caller's job. A bench made with [`WineBench::start`] is shut down when dropped.
//!
//! Shutting down kills exactly the holder the bench started, runs `wineserver -k` for its own
//! prefix only, and removes the directory. If the test process is killed outright, the holder
//! still exits (it holds on until its stdin pipe closes), Wine's session ends by itself, and
//! the next bench removes the orphaned directory (it records its owner's pid).
//!
//! # Debug output of services
//!
//! Services are started by `services.exe`, which inherits the environment and the standard
//! error of the first Wine process of the session. The bench makes the holder that first
//! process: after `wineboot -i` it shuts the session down, then starts the holder with
//! `WINEDEBUG` = [`BenchOptions::service_debug`] (default `fixme-all,+eventlog`) and its
//! stderr redirected to [`WineBench::debug_log`]. Everything a service writes to Wine's debug
//! channels (for instance `ReportEventW` strings as `err:eventlog`/`warn:eventlog`/
//! `trace:eventlog`) therefore lands in that file. Programs run with [`WineBench::run`] get
//! their own `WINEDEBUG` and their own captured stderr.
//!
//! # Console mode
//!
//! [`WineBench::console_run`] starts a program outside the service manager on a console of its
//! own (`wine-probe console-run`), waits until it is ready ([`Readiness`]), sends Ctrl-C or
//! Ctrl-Break and reports its exit code ([`ConsoleRun`]). Wine 8 can generate only Ctrl-C on a
//! console; [`CtrlDelivery::CtrlRoutine`] delivers Ctrl-Break by running the process's console
//! control routine directly (see [`CtrlDelivery`]).
//!
//! # Examples
//!
//! ```no_run
//! use steward_wine_bench::{Control, State, shared};
//! use std::time::Duration;
//!
//! let bench = shared()?;
//! let exe = bench.copy_into_prefix(
//!     &steward_wine_bench::windows_exe("wine-probe")?,
//!     r"C:\Program Files\Steward Test\wine-probe.exe",
//! )?;
//! bench.create_service("doc-svc", &exe, &["serve", "doc-svc"])?;
//! bench.start_service("doc-svc", &[])?;
//! bench.wait_state("doc-svc", State::Running, Duration::from_secs(10))?;
//! bench.control("doc-svc", Control::Stop)?;
//! bench.wait_state("doc-svc", State::Stopped, Duration::from_secs(10))?;
//! bench.delete_service("doc-svc")?;
//! # Ok::<(), steward_wine_bench::BenchError>(())
//! ```
#![cfg(target_os = "linux")]
// The bench drives Wine from Linux: on other targets the crate is empty, so workspace-wide
// Windows builds pass.

mod bench;
mod console;
mod error;
mod exe;
mod paths;
mod prefix;
mod probe;
mod process;
mod registry;
mod service;
mod shared;
mod stale;
mod storm;
mod tools;
mod wait;

pub use bench::{BenchOptions, Timings, WineBench};
pub use console::{ConsoleCtrl, ConsoleRun, CtrlDelivery, Readiness};
pub use error::{BenchError, ERROR_SERVICE_DOES_NOT_EXIST};
pub use exe::{
    BUILD_COMMAND, WINDOWS_TARGET, build_windows, fresh_windows_exe, target_dir, windows_exe,
    workspace_root,
};
pub use prefix::DLL_OVERRIDES;
pub use probe::service_key;
pub use process::RunOutput;
pub use registry::RegValue;
pub use service::{Control, ServiceStatus, State};
pub use shared::shared;
pub use storm::StormCounts;
pub use wait::{io_error, poll, try_poll};
