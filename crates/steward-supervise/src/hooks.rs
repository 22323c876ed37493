//! Running a hook command with a timeout.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::spec::Hook;

/// Runs `hook` and returns its exit code (0 on success). A hook that cannot start returns 127;
/// one that outlives its timeout is killed and returns 124; one killed by a signal returns 1.
pub(crate) fn run_hook(hook: &Hook) -> u32 {
    let mut child = match Command::new(&hook.command).args(&hook.args).spawn() {
        Ok(child) => child,
        Err(_) => return 127,
    };
    let deadline = Instant::now() + hook.timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return status.code().map_or(1, |code| code as u32);
            }
            Ok(None) if Instant::now() < deadline => {
                // Poll with a growing pause, bounded by the deadline.
                let left = deadline.saturating_duration_since(Instant::now());
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            _ => {
                // std holds the unreaped child, so this kill cannot hit a reused PID.
                let _ = child.kill();
                let _ = child.wait();
                return 124;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str, timeout: Duration) -> Hook {
        Hook {
            command: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            timeout,
        }
    }

    #[test]
    fn a_hook_reports_its_exit_code() {
        assert_eq!(run_hook(&shell("exit 0", Duration::from_secs(10))), 0);
        assert_eq!(run_hook(&shell("exit 3", Duration::from_secs(10))), 3);
    }

    #[test]
    fn a_hook_that_cannot_start_counts_as_127() {
        let missing = Hook {
            command: "/nonexistent/steward-hook".into(),
            args: Vec::new(),
            timeout: Duration::from_secs(10),
        };
        assert_eq!(run_hook(&missing), 127);
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_and_counts_as_124() {
        let started = Instant::now();
        assert_eq!(
            run_hook(&shell("exec sleep 30", Duration::from_millis(200))),
            124
        );
        // Killed at the timeout, not left to run its 30 s.
        assert!(started.elapsed() < Duration::from_secs(25));
    }
}
