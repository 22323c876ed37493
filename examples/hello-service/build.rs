//! Links steward-log's Event Log message table into hello-service.exe, so Event Viewer shows
//! the service's own text for every event ID (Windows targets only).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && let Err(e) = steward_log_build::embed_message_table()
    {
        panic!("steward-log-build: {e}");
    }
}
