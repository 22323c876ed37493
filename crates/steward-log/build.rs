//! Links the Event Log message table into this package's own binary (steward-log-probe), the
//! same way a service's build.rs does.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && let Err(e) = steward_log_build::embed_message_table()
    {
        panic!("steward-log-build: {e}");
    }
}
