//! Creating a private, headless Wine prefix with the ProcessPrng shim installed.

use crate::error::BenchError;
use crate::process::run_ok;
use crate::tools::Tools;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// DLL overrides for every Wine process of the bench: no Mono or Gecko installer dialogs.
///
/// The shim needs no override: Wine 8 has no builtin `bcryptprimitives.dll`, so the native DLL
/// in `system32` is loaded as is.
pub const DLL_OVERRIDES: &str = "mscoree,mshtml=";

/// The C source of the shim, kept in the repository.
const SHIM_SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/shim/bcryptprimitives.c");
/// Its module definition (exports).
const SHIM_DEF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/shim/bcryptprimitives.def");

/// A command for a Wine program with the bench's environment for `prefix`.
pub(crate) fn wine_env(tools: &Tools, program: &Path, prefix: &Path, debug: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("WINEPREFIX", prefix)
        .env("WINELOADER", &tools.wine)
        .env("WINEDEBUG", debug)
        .env("WINEDLLOVERRIDES", DLL_OVERRIDES)
        .env("WINEARCH", "win64")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    cmd
}

/// Runs `wineboot -i` in an empty `prefix`, then shuts the session down again so that the
/// bench's holder becomes the first process (and parent of services.exe) of the next session.
pub(crate) fn create(tools: &Tools, prefix: &Path) -> Result<(), BenchError> {
    // One retry on a fresh directory: `wineboot -i` was seen once (under a cold CI run) to fail
    // with "could not load kernel32.dll, status c0000135" on a brand-new prefix. That is the
    // environment, not the code under test; a second failure is reported as it is.
    if let Err(first) = boot(tools, prefix) {
        eprintln!("wine-bench: prefix creation failed, retrying once on a fresh prefix: {first}");
        let _ = shutdown(tools, prefix);
        let _ = std::fs::remove_dir_all(prefix);
        boot(tools, prefix)?;
    }
    shutdown(tools, prefix)
}

/// `wineboot -i` for a new prefix.
fn boot(tools: &Tools, prefix: &Path) -> Result<(), BenchError> {
    let mut boot = wine_env(tools, &tools.wine, prefix, "-all");
    boot.args(["wineboot", "-i"]);
    run_ok(boot, Duration::from_secs(180)).map(drop)
}

/// `wineserver -k` then `wineserver -w` for this prefix only: ends its processes and server.
pub(crate) fn shutdown(tools: &Tools, prefix: &Path) -> Result<(), BenchError> {
    let mut kill = wine_env(tools, &tools.wineserver, prefix, "-all");
    kill.arg("-k");
    // -k fails when no server runs for the prefix, which is the desired end state anyway.
    let _ = crate::process::run(kill, Duration::from_secs(30))?;
    let mut wait = wine_env(tools, &tools.wineserver, prefix, "-all");
    wait.arg("-w");
    let _ = crate::process::run(wait, Duration::from_secs(30))?;
    Ok(())
}

/// Compiles the ProcessPrng shim with mingw into the prefix's `system32`.
///
/// Rust's std (1.78+) imports `ProcessPrng` from `bcryptprimitives.dll`, which Wine 8 lacks.
pub(crate) fn install_shim(tools: &Tools, prefix: &Path) -> Result<(), BenchError> {
    let system32 = prefix.join("drive_c/windows/system32");
    let out = system32.join("bcryptprimitives.dll");
    let mut gcc = Command::new(&tools.gcc);
    gcc.args(["-shared", "-O2", "-Wall", "-o"]).arg(&out).args([
        SHIM_SOURCE,
        SHIM_DEF,
        "-ladvapi32",
    ]);
    run_ok(gcc, Duration::from_secs(120))?;
    Ok(())
}
