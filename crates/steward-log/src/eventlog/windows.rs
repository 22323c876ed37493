//! The Windows backend: `RegisterEventSourceW`/`ReportEventW`/`DeregisterEventSource` and the
//! source's registry key. FFI only; the logic lives in the parent module.

use super::{EventType, TYPES_SUPPORTED};
use crate::error::Error;
use crate::event_id::EventId;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::System::EventLog::{
    DeregisterEventSource, EVENTLOG_ERROR_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
    REPORT_EVENT_TYPE, RegisterEventSourceW, ReportEventW,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_SET_VALUE, REG_DWORD, REG_EXPAND_SZ, REG_OPTION_NON_VOLATILE,
    RegCloseKey, RegCreateKeyExW, RegDeleteKeyW, RegSetValueExW,
};

/// A NUL-terminated UTF-16 copy of `s`.
fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

/// A Win32 error code as [`Error::Os`].
fn os_error(operation: impl Into<String>, code: u32) -> Error {
    Error::Os {
        operation: operation.into(),
        source: std::io::Error::from_raw_os_error(code as i32),
    }
}

/// An event log handle from `RegisterEventSourceW`, closed with `DeregisterEventSource`.
#[derive(Debug)]
pub(super) struct SourceHandle(HANDLE);

// SAFETY: event log handles may be used from any thread; ReportEventW is thread-safe.
unsafe impl Send for SourceHandle {}
// SAFETY: as above; the handle is only read after construction.
unsafe impl Sync for SourceHandle {}

impl SourceHandle {
    /// Opens `source` on the local machine.
    pub(super) fn open(source: &str) -> Result<SourceHandle, Error> {
        let name = wide(source.as_ref());
        // SAFETY: `name` is NUL-terminated and outlives the call; a null server means local.
        let handle = unsafe { RegisterEventSourceW(std::ptr::null(), name.as_ptr()) };
        if handle.is_null() {
            let code = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(os_error(
                format!("RegisterEventSourceW({source})"),
                code as u32,
            ));
        }
        Ok(SourceHandle(handle))
    }

    /// Reports one event with one string; a failure is ignored (there is nowhere to log it).
    pub(super) fn report(&self, kind: EventType, id: EventId, text: &str) {
        let kind: REPORT_EVENT_TYPE = match kind {
            EventType::Error => EVENTLOG_ERROR_TYPE,
            EventType::Warning => EVENTLOG_WARNING_TYPE,
            EventType::Information => EVENTLOG_INFORMATION_TYPE,
        };
        let string = wide(text.as_ref());
        let strings = [string.as_ptr()];
        // SAFETY: the handle is open; `strings` holds one pointer to a NUL-terminated string,
        // both alive for the call; no SID and no raw data.
        unsafe {
            ReportEventW(
                self.0,
                kind,
                0,
                id.get(),
                std::ptr::null_mut(),
                1,
                0,
                strings.as_ptr(),
                std::ptr::null(),
            );
        }
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from RegisterEventSourceW and is closed only here.
        unsafe { DeregisterEventSource(self.0) };
    }
}

/// An open registry key, closed with `RegCloseKey`.
struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the key came from RegCreateKeyExW and is closed only here.
        unsafe { RegCloseKey(self.0) };
    }
}

impl Key {
    /// Creates (or opens) `HKLM\path` for writing values.
    fn create(path: &str) -> Result<Key, Error> {
        let name = wide(path.as_ref());
        let mut key: HKEY = std::ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; `key` receives the handle; the other pointers may
        // be null (no class, default security, disposition not wanted).
        let code = unsafe {
            RegCreateKeyExW(
                HKEY_LOCAL_MACHINE,
                name.as_ptr(),
                0,
                std::ptr::null(),
                REG_OPTION_NON_VOLATILE,
                KEY_SET_VALUE,
                std::ptr::null(),
                &mut key,
                std::ptr::null_mut(),
            )
        };
        if code != ERROR_SUCCESS {
            return Err(os_error(format!(r"RegCreateKeyExW(HKLM\{path})"), code));
        }
        Ok(Key(key))
    }

    /// Sets value `name` to the raw bytes `data` of type `kind`.
    fn set(&self, name: &str, kind: u32, data: &[u8]) -> Result<(), Error> {
        let value = wide(name.as_ref());
        let len = u32::try_from(data.len()).map_err(|_| os_error("RegSetValueExW", 87))?;
        // SAFETY: the key is open for KEY_SET_VALUE; `value` is NUL-terminated; `data` holds
        // `len` bytes.
        let code = unsafe { RegSetValueExW(self.0, value.as_ptr(), 0, kind, data.as_ptr(), len) };
        if code != ERROR_SUCCESS {
            return Err(os_error(format!("RegSetValueExW({name})"), code));
        }
        Ok(())
    }
}

/// Writes `EventMessageFile` and `TypesSupported` under `HKLM\key`.
pub(super) fn register(key: &str, message_file_exe: &Path) -> Result<(), Error> {
    let k = Key::create(key)?;
    let exe: Vec<u8> = wide(message_file_exe.as_os_str())
        .iter()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    k.set("EventMessageFile", REG_EXPAND_SZ, &exe)?;
    k.set("TypesSupported", REG_DWORD, &TYPES_SUPPORTED.to_le_bytes())
}

/// Deletes `HKLM\key`; a missing key is success.
pub(super) fn remove(key: &str) -> Result<(), Error> {
    let name = wide(key.as_ref());
    // SAFETY: `name` is NUL-terminated and outlives the call.
    let code = unsafe { RegDeleteKeyW(HKEY_LOCAL_MACHINE, name.as_ptr()) };
    match code {
        ERROR_SUCCESS | ERROR_FILE_NOT_FOUND => Ok(()),
        code => Err(os_error(format!(r"RegDeleteKeyW(HKLM\{key})"), code)),
    }
}
