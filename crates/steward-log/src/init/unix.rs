//! Linux (any unix): journald, else syslog, else stderr; plus stderr unless it is the journal.

use super::{Destination, JOURNALD_SOCKET, LogOptions, linux_plan};
use crate::error::Error;
use crate::syslog::SyslogLayer;
use std::path::Path;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

/// journald with the service name as `SYSLOG_IDENTIFIER` and the same priorities as syslog:
/// ERROR 3, WARN 4, INFO 6, DEBUG and TRACE 7. Fields keep tracing-journald's `F_` prefix
/// (`F_EVENT_ID`), so no event field can pose as a journal field such as `PRIORITY`.
fn journald_layer(layer: tracing_journald::Layer, name: &str) -> tracing_journald::Layer {
    let mut priorities = tracing_journald::PriorityMappings::new();
    priorities.info = tracing_journald::Priority::Informational;
    priorities.debug = tracing_journald::Priority::Debug;
    layer
        .with_syslog_identifier(name.to_string())
        .with_priority_mappings(priorities)
}

/// Installs the global subscriber; returns where events go (empty if none was installed) and
/// what was skipped.
pub(super) fn install(options: &LogOptions) -> (Vec<Destination>, Vec<Error>) {
    let plan = linux_plan(
        Path::new(JOURNALD_SOCKET),
        &options.syslog_socket,
        stderr_is_journal(),
    );
    let mut problems = Vec::new();
    let mut journald = None;
    let mut syslog = None;
    let mut chosen = Destination::Stderr;
    for candidate in plan.candidates {
        let opened = match candidate {
            Destination::Journald => tracing_journald::layer()
                .map(|l| journald = Some(journald_layer(l, &options.name)))
                .map_err(Error::Journald),
            Destination::Syslog => {
                SyslogLayer::new(&options.name, &options.syslog_socket).map(|l| syslog = Some(l))
            }
            _ => Ok(()),
        };
        match opened {
            Ok(()) => {
                chosen = candidate;
                break;
            }
            Err(e) => problems.push(e),
        }
    }
    let mut destinations = vec![chosen];
    let stderr = chosen == Destination::Stderr || plan.also_stderr;
    if stderr && chosen != Destination::Stderr {
        destinations.push(Destination::Stderr);
    }
    let stderr_layer = stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
    });
    let filter = LevelFilter::from_level(options.max_level);
    let subscriber = tracing_subscriber::registry()
        .with(journald.with_filter(filter))
        .with(syslog.with_filter(filter))
        .with(stderr_layer.with_filter(filter));
    match tracing::subscriber::set_global_default(subscriber) {
        Ok(()) => (destinations, problems),
        Err(_) => (Vec::new(), problems),
    }
}

/// Whether stderr is the journal stream systemd connected (`JOURNAL_STREAM=<dev>:<inode>`
/// naming the file stderr points at).
fn stderr_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.split_once(':') else {
        return false;
    };
    match std::fs::metadata("/proc/self/fd/2") {
        Ok(meta) => dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino()),
        Err(_) => false,
    }
}
