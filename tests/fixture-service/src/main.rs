//! A service built on the steward library whose behaviour tests choose with flags.
//!
//! ```text
//! fixture-service [--init DUR] [--fail-at-start CODE] [--fail CODE] [--panic] [--ignore-stop]
//!                 [--stop-delay DUR] [--grace DUR] [--progress DUR] [--pausable]
//!                 [--heartbeat-for DUR] [--status TEXT] [--events FILE] [--console]
//! ```
//!
//! `--events FILE` appends one line per thing the service's code sees (`ready`, `pause`,
//! `continue`, `reload`, `shutdown`, `exiting`), so tests can check what reached the code.

mod options;

use std::io::Write;
use std::time::{Duration, Instant};

use steward::{Context, Event, Failure, Mode, ServiceSpec};

use crate::options::Options;

fn main() -> steward::Exit {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => return steward::Exit::RuntimeError { message },
    };
    let mut spec = ServiceSpec::new("fixture-service")
        .pausable(options.pausable)
        .shutdown_grace(options.grace);
    if let Some(progress) = options.progress {
        spec = spec.progress_interval(progress);
    }
    let mode = if options.console {
        Mode::Console
    } else {
        Mode::Auto
    };
    steward::run_with(spec, mode, move |ctx| serve(ctx, options))
}

fn serve(ctx: Context, options: Options) -> Result<(), Failure> {
    let record = |line: &str| record_event(options.events.as_deref(), line);
    std::thread::sleep(options.init);
    if let Some(code) = options.fail_at_start {
        return Err(Failure::msg("failing during start as asked").with_exit_code(code));
    }
    if let Some(text) = &options.status {
        ctx.set_status(text.clone());
    }
    ctx.ready();
    record("ready");
    if options.panic {
        panic!("panicking as asked");
    }
    if let Some(code) = options.fail {
        return Err(Failure::msg("failing as asked").with_exit_code(code));
    }
    let heartbeat_until = options.heartbeat_for.map(|d| Instant::now() + d);
    loop {
        if heartbeat_until.is_some_and(|until| Instant::now() < until) {
            ctx.heartbeat();
        }
        match ctx.next_event(Duration::from_millis(100)) {
            Some(Event::Shutdown) => break,
            Some(Event::Pause) => record("pause"),
            Some(Event::Continue) => record("continue"),
            Some(Event::Reload) => record("reload"),
            _ => {}
        }
    }
    record("shutdown");
    if options.ignore_stop {
        loop {
            std::thread::park();
        }
    }
    std::thread::sleep(options.stop_delay);
    record("exiting");
    Ok(())
}

fn record_event(path: Option<&std::path::Path>, line: &str) {
    let Some(path) = path else { return };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(error) = written {
        tracing::error!(%error, path = %path.display(), "cannot record event");
    }
}
