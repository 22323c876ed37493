//! Windows-side helper of the Wine bench: drives the service control manager and keeps Wine alive.
//!
//! Every subcommand prints its result as JSON lines on stdout; a failure prints one JSON line on
//! stderr (`{"error":..,"win32_error":..,"detail":..}`) and exits with a status from [`failure`].

// On other hosts only the portable modules and their unit tests are compiled.
#![cfg_attr(not(windows), allow(dead_code))]

mod cli;
mod command;
mod console;
mod failure;
mod status;
mod storm;
#[cfg(windows)]
mod windows;

#[cfg(windows)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n{}", cli::USAGE);
            std::process::exit(failure::EXIT_USAGE);
        }
    };
    if let Err(f) = windows::run(command) {
        eprintln!("{}", f.to_line());
        std::process::exit(f.exit_code);
    }
}

#[cfg(not(windows))]
fn main() {
    eprintln!("wine-probe only runs on Windows");
    std::process::exit(failure::EXIT_USAGE);
}
