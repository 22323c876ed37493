//! Console mode: the same executable started from a terminal runs in the foreground; Ctrl-C,
//! Ctrl-Break and closing the console stop it gracefully.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT,
    SetConsoleCtrlHandler,
};
use windows_sys::core::BOOL;

use super::{ConsoleReporter, lock, log_exit};
use crate::driver::{Driver, ServiceFn};
use crate::exit::Exit;
use crate::shared::{Control, Shared};
use crate::spec::ServiceSpec;

/// The running service the console handler talks to (the handler is a plain function).
static TARGET: Mutex<Option<(Arc<Shared>, Duration)>> = Mutex::new(None);

pub(super) fn run(spec: ServiceSpec, service: ServiceFn) -> Exit {
    let shared = Arc::new(Shared::new(spec.accepts_pause()));
    *lock(&TARGET) = Some((Arc::clone(&shared), spec.grace()));
    if let Err(error) = install_handler(true) {
        return Exit::RuntimeError {
            message: format!("cannot install the console control handler: {error}"),
        };
    }
    let exit = Driver {
        spec: &spec,
        shared,
        reporter: &ConsoleReporter,
        watchdog: None,
    }
    .run(service);
    log_exit(&spec, &exit);
    if exit == Exit::GraceExpired {
        std::process::exit(i32::from(exit.process_exit_code()));
    }
    let _ = install_handler(false);
    *lock(&TARGET) = None;
    exit
}

fn install_handler(add: bool) -> std::io::Result<()> {
    // SAFETY: `on_console_control` is a valid handler for the whole life of the process.
    let ok =
        unsafe { SetConsoleCtrlHandler(Some(on_console_control), if add { TRUE } else { FALSE }) };
    if ok == 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Runs on a thread Windows creates for each console event.
unsafe extern "system" fn on_console_control(event: u32) -> BOOL {
    let Some((shared, grace)) = lock(&TARGET).clone() else {
        return FALSE;
    };
    match event {
        CTRL_C_EVENT | CTRL_BREAK_EVENT => {
            shared.deliver(Control::Stop);
            TRUE
        }
        CTRL_CLOSE_EVENT | CTRL_LOGOFF_EVENT | CTRL_SHUTDOWN_EVENT => {
            shared.deliver(Control::Stop);
            // Windows ends the process when this handler returns: give the code its grace first.
            let deadline = Instant::now() + grace + Duration::from_secs(1);
            shared.wait_until(Some(deadline), |state| state.finished.as_ref().map(drop));
            TRUE
        }
        _ => FALSE,
    }
}
