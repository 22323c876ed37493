//! Registers one instance and keeps it registered until killed.
//!
//! Usage: `register ENDPOINT SERVICE INSTANCE_ID TTL_SECS`. Prints `registered` once visible.

use std::time::Duration;

use steward_registry::{InstanceInfo, Registration, RegistryConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, service, instance_id, ttl] = args.as_slice() else {
        eprintln!("usage: register ENDPOINT SERVICE INSTANCE_ID TTL_SECS");
        std::process::exit(2);
    };
    let mut config = RegistryConfig::new([endpoint.clone()]);
    config.ttl = Duration::from_secs(ttl.parse().unwrap_or(10));
    config.address = Some("127.0.0.1:8080".into());
    let mut instance = InstanceInfo::new(service.clone());
    instance.instance_id = instance_id.clone();
    instance.address = "127.0.0.1:8080".into();
    instance.version = env!("CARGO_PKG_VERSION").into();
    let registration = match Registration::start(config, instance) {
        Ok(registration) => registration,
        Err(error) => {
            eprintln!("register: {error}");
            std::process::exit(1);
        }
    };
    while !registration.wait_registered(Duration::from_secs(1)) {
        eprintln!("register: {:?}", registration.status());
    }
    println!("registered");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
