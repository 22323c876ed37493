//! Reading values below `HKEY_LOCAL_MACHINE` and printing them as one JSON object.

use super::wide;
use crate::failure::Failure;
use serde_json::{Map, Value, json};
use std::ptr::{null, null_mut};
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_READ, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ,
    RegCloseKey, RegEnumValueW, RegOpenKeyExW, RegQueryInfoKeyW, RegQueryValueExW,
};

/// An open registry key, closed on drop.
struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the key was opened by RegOpenKeyExW and is closed exactly once.
        unsafe { RegCloseKey(self.0) };
    }
}

/// Maps a registry status code to a failure; "not found" is a negative answer (exit 1).
fn check(code: u32, what: &str) -> Result<(), Failure> {
    match code {
        ERROR_SUCCESS => Ok(()),
        ERROR_FILE_NOT_FOUND => Err(Failure::not_reached(
            format!("{what}: not found"),
            Some(code),
        )),
        _ => Err(Failure::win32(what, code)),
    }
}

/// Prints `{"ValueName": value, ...}` for one value or for every value of `HKLM\key`.
pub fn query(key: &str, value: Option<&str>) -> Result<(), Failure> {
    let wkey = wide(key);
    let mut hkey: HKEY = null_mut();
    // SAFETY: `wkey` is NUL-terminated and `hkey` is a valid out pointer.
    let rc = unsafe { RegOpenKeyExW(HKEY_LOCAL_MACHINE, wkey.as_ptr(), 0, KEY_READ, &mut hkey) };
    check(rc, &format!("registry key HKLM\\{key}"))?;
    let key_handle = Key(hkey);
    let mut out = Map::new();
    match value {
        Some(name) => {
            let (kind, data) = read_value(&key_handle, name, key)?;
            out.insert(name.to_string(), decode(kind, &data));
        }
        None => enum_values(&key_handle, &mut out)?,
    }
    println!("{}", Value::Object(out));
    Ok(())
}

/// Reads one value's type and bytes.
fn read_value(key: &Key, name: &str, path: &str) -> Result<(u32, Vec<u8>), Failure> {
    let wname = wide(name);
    let what = format!("registry value HKLM\\{path}\\{name}");
    let (mut kind, mut len) = (0u32, 0u32);
    // SAFETY: a null data pointer asks only for the size, written to `len`.
    let rc = unsafe {
        RegQueryValueExW(
            key.0,
            wname.as_ptr(),
            null(),
            &mut kind,
            null_mut(),
            &mut len,
        )
    };
    check(rc, &what)?;
    let mut data = vec![0u8; len as usize];
    // SAFETY: `data` has room for `len` bytes, as the size query reported.
    let rc = unsafe {
        RegQueryValueExW(
            key.0,
            wname.as_ptr(),
            null(),
            &mut kind,
            data.as_mut_ptr(),
            &mut len,
        )
    };
    check(rc, &what)?;
    data.truncate(len as usize);
    Ok((kind, data))
}

/// Adds every value of the key to `out`.
fn enum_values(key: &Key, out: &mut Map<String, Value>) -> Result<(), Failure> {
    let (mut max_name, mut max_data) = (0u32, 0u32);
    // SAFETY: only the two requested out pointers are non-null; the rest are optional.
    let rc = unsafe {
        RegQueryInfoKeyW(
            key.0,
            null_mut(),
            null_mut(),
            null(),
            null_mut(),
            null_mut(),
            null_mut(),
            null_mut(),
            &mut max_name,
            &mut max_data,
            null_mut(),
            null_mut(),
        )
    };
    check(rc, "RegQueryInfoKeyW")?;
    for index in 0.. {
        let mut name = vec![0u16; max_name as usize + 1];
        let mut data = vec![0u8; max_data as usize];
        let (mut name_len, mut data_len, mut kind) = (name.len() as u32, data.len() as u32, 0u32);
        // SAFETY: the buffers have the lengths passed in `name_len` (chars) and `data_len` (bytes).
        let rc = unsafe {
            RegEnumValueW(
                key.0,
                index,
                name.as_mut_ptr(),
                &mut name_len,
                null(),
                &mut kind,
                data.as_mut_ptr(),
                &mut data_len,
            )
        };
        if rc == ERROR_NO_MORE_ITEMS {
            break;
        }
        check(rc, "RegEnumValueW")?;
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        out.insert(name, decode(kind, &data[..data_len as usize]));
    }
    Ok(())
}

/// Strings become JSON strings, DWORD/QWORD numbers, MULTI_SZ arrays; anything else
/// `{"type":N,"hex":".."}`.
fn decode(kind: u32, data: &[u8]) -> Value {
    let utf16: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    match kind {
        REG_SZ | REG_EXPAND_SZ => {
            let end = utf16.iter().position(|&c| c == 0).unwrap_or(utf16.len());
            Value::String(String::from_utf16_lossy(&utf16[..end]))
        }
        REG_MULTI_SZ => Value::Array(
            utf16
                .split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(String::from_utf16_lossy(s)))
                .collect(),
        ),
        REG_DWORD if data.len() == 4 => {
            json!(u32::from_le_bytes([data[0], data[1], data[2], data[3]]))
        }
        REG_QWORD if data.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(data);
            json!(u64::from_le_bytes(b))
        }
        _ => {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            json!({ "type": kind, "hex": hex })
        }
    }
}
