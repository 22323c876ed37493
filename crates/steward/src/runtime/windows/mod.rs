//! Windows backend: the SCM dispatcher and status reporting, with a console fallback.

mod console;
mod scm_status;

use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use windows_service::service::ServiceControl;
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::{define_windows_service, service_dispatcher};

use self::scm_status::ScmReporter;
use crate::driver::{Driver, Notice, Reporter, ServiceFn};
use crate::exit::Exit;
use crate::runtime::Mode;
use crate::shared::{Control, Shared};
use crate::spec::ServiceSpec;

/// `ERROR_FAILED_SERVICE_CONTROLLER_CONNECT`: the process was not started by the SCM.
const NOT_STARTED_BY_SCM: i32 = 1063;

/// What the SCM's callback needs, parked here because the dispatcher calls a plain function.
static PENDING: Mutex<Option<(ServiceSpec, ServiceFn)>> = Mutex::new(None);
/// How the service ended, handed back from the SCM's thread to `run`.
static OUTCOME: Mutex<Option<Exit>> = Mutex::new(None);

define_windows_service!(ffi_service_main, service_main);

/// Runs under the SCM when it started the process, in the console otherwise.
pub(crate) fn run(spec: ServiceSpec, mode: Mode, service: ServiceFn) -> Exit {
    if mode == Mode::Console {
        return console::run(spec, service);
    }
    let name = spec.name().to_owned();
    *lock(&PENDING) = Some((spec, service));
    match service_dispatcher::start(&name, ffi_service_main) {
        Ok(()) => lock(&OUTCOME).take().unwrap_or_else(|| Exit::RuntimeError {
            message: "the service manager never started the service".into(),
        }),
        Err(windows_service::Error::Winapi(error))
            if error.raw_os_error() == Some(NOT_STARTED_BY_SCM) =>
        {
            match lock(&PENDING).take() {
                Some((spec, service)) => console::run(spec, service),
                None => Exit::RuntimeError {
                    message: "service code vanished before console mode".into(),
                },
            }
        }
        Err(error) => Exit::RuntimeError {
            message: format!("cannot connect to the service control manager: {error}"),
        },
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Called by the SCM on its own thread; the first argument is the name the service is installed
/// under, which may differ from the spec's name.
fn service_main(arguments: Vec<OsString>) {
    let Some((spec, service)) = lock(&PENDING).take() else {
        return;
    };
    let installed_name = arguments
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from(spec.name()));
    let exit = run_under_scm(&spec, &installed_name, service);
    log_exit(&spec, &exit);
    if exit == Exit::GraceExpired {
        // The service's thread cannot be stopped; STOPPED is already reported: end the process.
        std::process::exit(i32::from(exit.process_exit_code()));
    }
    *lock(&OUTCOME) = Some(exit);
}

fn run_under_scm(spec: &ServiceSpec, installed_name: &OsString, service: ServiceFn) -> Exit {
    let shared = Arc::new(Shared::new(spec.accepts_pause()));
    let handler_shared = Arc::clone(&shared);
    // The handler only records the control and returns: it never blocks, whatever the code does.
    let handler = move |control| match control_from_scm(control) {
        Some(HandlerAction::Deliver(control)) => {
            handler_shared.deliver(control);
            ServiceControlHandlerResult::NoError
        }
        Some(HandlerAction::Acknowledge) => ServiceControlHandlerResult::NoError,
        None => ServiceControlHandlerResult::NotImplemented,
    };
    let status = match service_control_handler::register(installed_name, handler) {
        Ok(status) => status,
        Err(error) => {
            return Exit::RuntimeError {
                message: format!("cannot register the service control handler: {error}"),
            };
        }
    };
    let reporter = ScmReporter::new(status, spec.accepts_pause());
    Driver {
        spec,
        shared,
        reporter: &reporter,
        watchdog: None,
    }
    .run(service)
}

/// What the control handler does with one SCM control.
enum HandlerAction {
    Deliver(Control),
    /// Answer without doing anything (INTERROGATE: the SCM already has the last status).
    Acknowledge,
}

fn control_from_scm(control: ServiceControl) -> Option<HandlerAction> {
    match control {
        ServiceControl::Stop | ServiceControl::Preshutdown | ServiceControl::Shutdown => {
            Some(HandlerAction::Deliver(Control::Stop))
        }
        ServiceControl::Pause => Some(HandlerAction::Deliver(Control::Pause)),
        ServiceControl::Continue => Some(HandlerAction::Deliver(Control::Continue)),
        ServiceControl::ParamChange => Some(HandlerAction::Deliver(Control::Reload)),
        ServiceControl::Interrogate => Some(HandlerAction::Acknowledge),
        _ => None,
    }
}

fn log_exit(spec: &ServiceSpec, exit: &Exit) {
    if exit.is_clean() {
        tracing::info!(
            event_id = steward_log::EventId::SERVICE_STOPPED.get(),
            service = spec.name(),
            "service stopped"
        );
    } else {
        tracing::error!(
            event_id = steward_log::EventId::SERVICE_FAILED.get(),
            service = spec.name(),
            code = exit.code(),
            "service {exit}"
        );
    }
}

/// Console mode has no manager to tell: notices are only traced.
struct ConsoleReporter;

impl Reporter for ConsoleReporter {
    fn notify(&self, notice: Notice) {
        tracing::debug!(?notice, "service state");
    }
}
