//! A cold-standby candidate: while leader it "runs the program", i.e. holds a marker file
//! `<MARKER_DIR>/<pid>.active`; on losing leadership it removes the marker, then campaigns again.
//!
//! Usage: `standby ENDPOINT SERVICE CANDIDATE TTL_SECS MARKER_DIR`. Prints `leader` / `lost`.

use std::time::Duration;

use steward_registry::{Election, RegistryConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, service, candidate, ttl, marker_dir] = args.as_slice() else {
        eprintln!("usage: standby ENDPOINT SERVICE CANDIDATE TTL_SECS MARKER_DIR");
        std::process::exit(2);
    };
    let mut config = RegistryConfig::new([endpoint.clone()]);
    config.ttl = Duration::from_secs(ttl.parse().unwrap_or(10));
    let election = match Election::start(config, service.clone(), candidate.clone()) {
        Ok(election) => election,
        Err(error) => {
            eprintln!("standby: {error}");
            std::process::exit(1);
        }
    };
    let marker = std::path::Path::new(marker_dir).join(format!("{}.active", std::process::id()));
    loop {
        if let Err(error) = election.elected().await {
            eprintln!("standby: {error}");
            std::process::exit(1);
        }
        // "Start the program".
        std::fs::write(&marker, std::process::id().to_string()).expect("write marker");
        println!("leader");
        let reason = election.lost().await;
        // "Stop the program" before anyone else can be elected.
        let _ = std::fs::remove_file(&marker);
        println!("lost {reason:?}");
    }
}
