//! The classic "Service is running..." loop, done right.
//!
//! Logs a line every five seconds while running, stops within milliseconds of a stop request,
//! supports pause and continue, and reports every state to the service manager (Windows SCM or
//! systemd) through steward.
//!
//! ```text
//! hello-service run     # in the foreground; Ctrl-C stops it
//! hello-service         # as a service when the service manager starts it, else in the foreground
//! ```

use std::time::{Duration, Instant};

use steward::{Context, Event, Failure, ServiceSpec};
use tracing::info;

/// How often the service says it is running.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

fn main() -> steward::Exit {
    // The Event Log on Windows, journald or syslog on Linux, and stderr in a terminal.
    let _log = steward_log::init("hello-service");
    let spec = ServiceSpec::new("hello-service")
        .display_name("Hello Service")
        .description("Says it is running every five seconds; a steward example")
        .pausable(true)
        .shutdown_grace(Duration::from_secs(5));
    steward::run(spec, serve)
}

/// The service's code: nothing to initialise, so it is ready at once; then it waits for events
/// and logs on schedule.
fn serve(ctx: Context) -> Result<(), Failure> {
    ctx.ready();
    info!(
        event_id = steward_log::EventId::SERVICE_STARTED.get(),
        "Service started"
    );
    let mut paused = false;
    let mut next_log = Instant::now() + LOG_INTERVAL;
    loop {
        let timeout = next_log.saturating_duration_since(Instant::now());
        match ctx.next_event(timeout) {
            None => {
                if !paused {
                    info!("Service is running...");
                }
                next_log += LOG_INTERVAL;
            }
            Some(Event::Pause) => {
                paused = true;
                info!("Service paused");
            }
            Some(Event::Continue) => {
                paused = false;
                info!("Service continued");
            }
            Some(Event::Reload) => info!("Reload requested: nothing to reload"),
            Some(Event::Shutdown) => break,
            Some(_) => {}
        }
    }
    info!("Service stopping");
    Ok(())
}
