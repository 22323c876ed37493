//! A service built on the steward library whose name tests choose, so parallel tests can
//! install their own services with `control-fixture install|start|stop|status|...`.
//!
//! The service's name is the content of `<exe>.name` beside the executable (trimmed) when that
//! file exists, else the executable's file stem: copy the binary to `C:\...\my-svc.exe` and it is
//! the service `my-svc`. It runs until stopped.

use std::path::Path;
use std::time::Duration;

use steward::{Context, ServiceSpec};

fn main() -> steward::Exit {
    let name = std::env::current_exe()
        .map(|exe| service_name(&exe))
        .unwrap_or_else(|_| "control-fixture".into());
    // Display names are unique per machine too.
    let display = format!("Steward Control Fixture {name}");
    let spec = ServiceSpec::new(name)
        .display_name(display)
        .description("A steward test service")
        .shutdown_grace(Duration::from_secs(5));
    steward::run(spec, |ctx: Context| {
        ctx.ready();
        while !ctx.wait_for_shutdown(Duration::from_secs(60)) {}
        Ok(())
    })
}

/// The name in `<exe>.name`, else the file stem.
fn service_name(exe: &Path) -> String {
    match std::fs::read_to_string(exe.with_extension("name")) {
        Ok(text) => text.trim_end_matches(['\r', '\n']).to_owned(),
        Err(_) => exe
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}
