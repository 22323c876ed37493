//! `control-storm NAME COUNT`: COUNT controls to a service in a tight loop, errors counted, not
//! fatal.

use super::scm::open_service;
use crate::failure::Failure;
use crate::storm::{ACCEPT_PARAMCHANGE, StormCounts, control_for};
use windows_sys::Win32::System::Services::{ControlService, SERVICE_STATUS};

/// Sends `count` controls to `name` (INTERROGATE, alternating with PARAMCHANGE when the service
/// accepts it) and prints the counts as one JSON line.
pub fn storm(name: &str, count: u64) -> Result<(), Failure> {
    let service = open_service(name)?;
    let accepts = service.query()?.controls_accepted & ACCEPT_PARAMCHANGE != 0;
    let mut counts = StormCounts::default();
    for i in 0..count {
        let control = control_for(i, accepts);
        let mut status = SERVICE_STATUS {
            dwServiceType: 0,
            dwCurrentState: 0,
            dwControlsAccepted: 0,
            dwWin32ExitCode: 0,
            dwServiceSpecificExitCode: 0,
            dwCheckPoint: 0,
            dwWaitHint: 0,
        };
        // SAFETY: the handle is open for the whole loop (`service` lives until the function
        // returns) and `status` is a live SERVICE_STATUS the call may fill.
        let ok = unsafe { ControlService(service.raw(), control, &mut status) } != 0;
        counts.record(control, if ok { Ok(()) } else { Err(super::last_error()) });
    }
    println!("{}", counts.to_json());
    Ok(())
}
