//! Windows: the Event Log under the service's name, plus stderr.

use super::{Destination, LogOptions};
use crate::error::Error;
use crate::eventlog::EventLogLayer;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

/// Installs the global subscriber; returns where events go (empty if none was installed) and
/// what was skipped.
pub(super) fn install(options: &LogOptions) -> (Vec<Destination>, Vec<Error>) {
    let mut problems = Vec::new();
    let mut destinations = Vec::new();
    let event_log = match EventLogLayer::new(&options.name) {
        Ok(layer) => {
            destinations.push(Destination::EventLog);
            Some(layer.with_max_level(options.max_level))
        }
        Err(e) => {
            problems.push(e);
            None
        }
    };
    destinations.push(Destination::Stderr);
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let filter = LevelFilter::from_level(options.max_level);
    let subscriber = tracing_subscriber::registry()
        .with(event_log)
        .with(stderr.with_filter(filter));
    match tracing::subscriber::set_global_default(subscriber) {
        Ok(()) => (destinations, problems),
        Err(_) => (Vec::new(), problems),
    }
}
