//! Helpers shared by the Wine suites of steward.exe that drive it with its own verbs: the
//! shared bench, fresh Windows builds placed in the prefix, verbs that must succeed, and polling
//! with a deadline.
#![allow(dead_code)] // each suite uses a different subset

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, WineBench, fresh_windows_exe};

/// How long one verb may take (a `--wait` inside it included).
pub const VERB_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest a poll may take.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The bench shared by the suite's tests.
pub fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// A fresh Windows build of `package`'s `bin` copied to `dir\file`: its Windows path.
pub fn place(dir: &str, package: &str, bin: &str, file: &str) -> Result<String, BenchError> {
    bench().copy_into_prefix(&fresh_windows_exe(package, bin)?, &format!(r"{dir}\{file}"))
}

/// Runs steward.exe with `args`; asserts success and returns stdout.
pub fn steward(exe: &str, args: &[&str]) -> Result<String, BenchError> {
    let out = bench().run(exe, args, "-all", VERB_TIMEOUT)?;
    assert_eq!(out.status.code(), Some(0), "steward {args:?}: {out:?}");
    println!("steward {}: {}", args.join(" "), out.stdout.trim_end());
    Ok(out.stdout)
}

/// Writes `text` to the Windows path `path` inside the prefix.
pub fn write(path: &str, text: &str) -> Result<(), BenchError> {
    let unix = bench().to_unix(path)?;
    std::fs::write(&unix, text).map_err(|source| BenchError::Io {
        what: format!("write {}", unix.display()),
        source,
    })
}

/// Polls `check` until it is true or `limit` passes; returns the last answer.
pub fn eventually(
    limit: Duration,
    mut check: impl FnMut() -> Result<bool, BenchError>,
) -> Result<bool, BenchError> {
    let deadline = Instant::now() + limit;
    loop {
        if check()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
