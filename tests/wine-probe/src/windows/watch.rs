//! Sampling a service's status over time in one process: `watch` and `wait`.

use super::scm::open_service;
use crate::failure::Failure;
use crate::status::{state_name, to_json};
use std::time::{Duration, Instant};

/// Prints one status line per sample (with `t_ms` since the start) until the duration ends or
/// the `until` state is seen.
pub fn watch(
    name: &str,
    interval_ms: u64,
    duration_ms: u64,
    until: Option<&str>,
) -> Result<(), Failure> {
    let service = open_service(name)?;
    let started = Instant::now();
    let end = started + Duration::from_millis(duration_ms);
    loop {
        let status = service.query()?;
        let mut line = to_json(&status);
        line["t_ms"] = (started.elapsed().as_millis() as u64).into();
        println!("{line}");
        if until == Some(state_name(status.state).as_str()) || Instant::now() >= end {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(interval_ms));
    }
}

/// Polls every 20 ms until `state`; prints the last status and fails with exit 1 on timeout.
pub fn wait(name: &str, state: &str, timeout_ms: u64) -> Result<(), Failure> {
    let service = open_service(name)?;
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    loop {
        let status = service.query()?;
        let reached = state_name(status.state) == state;
        if reached || Instant::now() >= deadline {
            println!("{}", to_json(&status));
            if reached {
                return Ok(());
            }
            return Err(Failure::not_reached(
                format!(
                    "{name} did not reach {state} within {timeout_ms} ms (last: {})",
                    state_name(status.state)
                ),
                None,
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
