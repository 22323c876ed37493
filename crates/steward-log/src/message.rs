//! Formatting a tracing event into one line of text: its message, then its other fields as
//! `key=value`, with the `event_id` field taken out.

use std::fmt::{Debug, Write};
use tracing::Event;
use tracing::field::{Field, Visit};

/// The name of the field that picks an event ID.
pub const EVENT_ID_FIELD: &str = "event_id";

/// A tracing event as text, with its `event_id` field apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventText {
    /// The `event_id` field when it was an integer (or a string holding one).
    pub event_id: Option<u64>,
    /// The message followed by ` key=value` for every other field.
    pub text: String,
}

impl EventText {
    /// Formats `event`.
    pub fn of(event: &Event<'_>) -> EventText {
        let mut visitor = Collector::default();
        event.record(&mut visitor);
        let mut text = visitor.message;
        for (key, value) in visitor.fields {
            if !text.is_empty() {
                text.push(' ');
            }
            let _ = write!(text, "{key}={value}");
        }
        EventText {
            event_id: visitor.event_id,
            text,
        }
    }
}

/// Collects the fields of one event.
#[derive(Default)]
struct Collector {
    /// The `message` field, formatted.
    message: String,
    /// The `event_id` field.
    event_id: Option<u64>,
    /// Every other field, in order.
    fields: Vec<(&'static str, String)>,
}

impl Visit for Collector {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == EVENT_ID_FIELD {
            self.event_id = Some(value);
        } else {
            self.fields.push((field.name(), value.to_string()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == EVENT_ID_FIELD {
            self.event_id = u64::try_from(value).ok();
        } else {
            self.fields.push((field.name(), value.to_string()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            EVENT_ID_FIELD if value.parse::<u64>().is_ok() => self.event_id = value.parse().ok(),
            name => self.fields.push((name, format!("{value:?}"))),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            name => self.fields.push((name, format!("{value:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EventText;
    use std::sync::{Arc, Mutex};
    use tracing::Subscriber;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// Records the text of every event.
    struct Record(Arc<Mutex<Vec<EventText>>>);

    impl<S: Subscriber> tracing_subscriber::Layer<S> for Record {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            self.0.lock().unwrap().push(EventText::of(event));
        }
    }

    fn texts(f: impl FnOnce()) -> Vec<EventText> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Record(Arc::clone(&seen)));
        tracing::subscriber::with_default(subscriber, f);
        seen.lock().unwrap().clone()
    }

    #[test]
    fn message_then_fields_and_the_event_id_apart() {
        let got = texts(|| {
            tracing::info!(event_id = 1100, code = 3, path = "C:\\app", "child exited");
            tracing::warn!(retry = true, "slow {}", "disk");
            tracing::error!(event_id = "1002", "failed");
            tracing::info!(event_id = -1, "negative");
        });
        assert_eq!(got[0].event_id, Some(1100));
        assert_eq!(got[0].text, r#"child exited code=3 path="C:\\app""#);
        assert_eq!(got[1].event_id, None);
        assert_eq!(got[1].text, "slow disk retry=true");
        assert_eq!(got[2].event_id, Some(1002));
        assert_eq!(got[2].text, "failed");
        assert_eq!(got[3].event_id, None);
    }

    #[test]
    fn an_event_with_fields_only_has_no_leading_space() {
        let got = texts(|| tracing::info!(a = 1, b = 2));
        assert_eq!(got[0].text, "a=1 b=2");
    }
}
