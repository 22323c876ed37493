//! The fixture's command line.

use std::path::PathBuf;
use std::time::Duration;

/// What the fixture service should do.
#[derive(Debug, Default)]
pub struct Options {
    pub init: Duration,
    pub fail_at_start: Option<u32>,
    pub fail: Option<u32>,
    pub panic: bool,
    pub ignore_stop: bool,
    pub stop_delay: Duration,
    pub grace: Duration,
    pub progress: Option<Duration>,
    pub pausable: bool,
    pub heartbeat_for: Option<Duration>,
    pub status: Option<String>,
    pub events: Option<PathBuf>,
    pub console: bool,
}

impl Options {
    /// Parses the flags; the error names the flag and what was expected.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            grace: steward::DEFAULT_SHUTDOWN_GRACE,
            ..Options::default()
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("{flag}: expected a value"))
            };
            match flag.as_str() {
                "--init" => options.init = duration(&flag, &value()?)?,
                "--fail-at-start" => options.fail_at_start = Some(number(&flag, &value()?)?),
                "--fail" => options.fail = Some(number(&flag, &value()?)?),
                "--panic" => options.panic = true,
                "--ignore-stop" => options.ignore_stop = true,
                "--stop-delay" => options.stop_delay = duration(&flag, &value()?)?,
                "--grace" => options.grace = duration(&flag, &value()?)?,
                "--progress" => options.progress = Some(duration(&flag, &value()?)?),
                "--pausable" => options.pausable = true,
                "--heartbeat-for" => options.heartbeat_for = Some(duration(&flag, &value()?)?),
                "--status" => options.status = Some(value()?),
                "--events" => options.events = Some(PathBuf::from(value()?)),
                "--console" => options.console = true,
                other => return Err(format!("unknown flag '{other}'")),
            }
        }
        Ok(options)
    }
}

fn number(flag: &str, text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("{flag}: expected a number, got '{text}'"))
}

/// `250ms`, `5s` or `2m`.
fn duration(flag: &str, text: &str) -> Result<Duration, String> {
    let bad = || format!("{flag}: expected a duration like 250ms or 5s, got '{text}'");
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let amount: u64 = digits.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(amount)),
        "s" => Ok(Duration::from_secs(amount)),
        "m" => Ok(Duration::from_secs(amount * 60)),
        _ => Err(bad()),
    }
}
