//! Links steward-log's Event Log message table into steward.exe, so Event Viewer shows the text
//! of every event a wrapped service logs (Windows targets only).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && let Err(e) = steward_log_build::embed_message_table()
    {
        panic!("steward-log-build: {e}");
    }
}
