//! The layer's logic with a recording sink: types, IDs, text and filtering.

use super::*;
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;

/// Records every report.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(EventType, u32, String)>>>);

impl EventSink for Recorder {
    fn report(&self, kind: EventType, id: EventId, text: &str) {
        self.0
            .lock()
            .unwrap()
            .push((kind, id.get(), text.to_string()));
    }
}

fn reports(layer: EventLogLayer<Recorder>, f: impl FnOnce()) -> Vec<(EventType, u32, String)> {
    let seen = layer.sink.clone();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    seen.0.lock().unwrap().clone()
}

#[test]
fn levels_map_to_types_and_generic_ids_and_debug_is_left_out() {
    let got = reports(EventLogLayer::with_sink(Recorder::default()), || {
        tracing::error!("e");
        tracing::warn!("w");
        tracing::info!("i");
        tracing::debug!("d");
        tracing::trace!("t");
    });
    assert_eq!(
        got,
        [
            (EventType::Error, 3, "e".into()),
            (EventType::Warning, 2, "w".into()),
            (EventType::Information, 1, "i".into()),
        ]
    );
}

#[test]
fn the_event_id_field_picks_the_id_and_stays_out_of_the_text() {
    let got = reports(EventLogLayer::with_sink(Recorder::default()), || {
        tracing::error!(
            event_id = EventId::START_LIMIT_HIT.get(),
            burst = 5,
            "start limit hit"
        );
        tracing::info!(event_id = 77, "not in the table");
    });
    assert_eq!(
        got,
        [
            (EventType::Error, 1102, "start limit hit burst=5".into()),
            (EventType::Information, 1, "not in the table".into()),
        ]
    );
}

#[test]
fn a_wider_max_level_reports_debug_as_information() {
    let layer = EventLogLayer::with_sink(Recorder::default()).with_max_level(Level::DEBUG);
    let got = reports(layer, || {
        tracing::debug!("d");
        tracing::trace!("t");
    });
    assert_eq!(got, [(EventType::Information, 1, "d".into())]);
}

#[test]
fn source_names_must_be_one_key_name() {
    assert!(validate_source("hello-service").is_ok());
    for bad in ["", "  ", r"a\b", "a\0b"] {
        assert!(
            matches!(validate_source(bad), Err(Error::InvalidSource { .. })),
            "{bad:?}"
        );
    }
    assert!(validate_source(&"x".repeat(256)).is_err());
    assert_eq!(
        source_key("hello"),
        r"SYSTEM\CurrentControlSet\Services\EventLog\Application\hello"
    );
}

#[test]
fn event_strings_lose_nuls_and_are_cut_below_the_limit() {
    assert_eq!(event_string("a\0b"), "a b");
    let long = event_string(&"é".repeat(40_000));
    assert!(long.encode_utf16().count() <= MAX_STRING_CHARS);
    assert!(long.ends_with('…'));
    let fits = "x".repeat(MAX_STRING_CHARS - 1);
    assert_eq!(event_string(&fits), fits);
}
