//! The Event Log message table is in the executables: hello-service.exe (through its build.rs)
//! and steward-log-probe.exe carry an RT_MESSAGETABLE resource (type 11) with exactly the IDs
//! of `EventId::TABLE`, each with the text `%1`. Reads the cross-built PE files on Linux.
#![cfg(target_os = "linux")]

use object::LittleEndian as LE;
use object::pe::RT_MESSAGETABLE;
use object::read::pe::{PeFile64, ResourceDirectoryEntryData, ResourceNameOrId};
use steward_log::EventId;

/// One message of a message table: its ID and text.
type Message = (u32, String);

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

/// Decodes a MESSAGE_RESOURCE_DATA block: blocks of (low id, high id, offset to entries), each
/// entry (length, flags, text); flags 1 means UTF-16.
fn decode_message_table(b: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    for block in 0..u32_at(b, 0) as usize {
        let at = 4 + block * 12;
        let (low, high, mut entry) = (u32_at(b, at), u32_at(b, at + 4), u32_at(b, at + 8) as usize);
        for id in low..=high {
            let (len, flags) = (u16_at(b, entry) as usize, u16_at(b, entry + 2));
            let raw = &b[entry + 4..entry + len];
            let text = if flags == 1 {
                let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16_at(c, 0)).collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(raw).into_owned()
            };
            out.push((id, text.trim_end_matches('\0').to_string()));
            entry += len;
        }
    }
    out
}

/// Every message of every RT_MESSAGETABLE resource of the PE file at `exe`.
fn message_tables(exe: &std::path::Path) -> Vec<Message> {
    let data = std::fs::read(exe).unwrap_or_else(|e| panic!("read {}: {e}", exe.display()));
    let pe = PeFile64::parse(&*data).expect("a PE32+ file");
    let sections = pe.section_table();
    let rsrc = pe
        .data_directories()
        .resource_directory(&*data, &sections)
        .expect("resource directory readable")
        .expect("the executable has resources");
    let root = rsrc.root().unwrap();
    let mut messages = Vec::new();
    for ty in root.entries {
        if !matches!(ty.name_or_id(), ResourceNameOrId::Id(RT_MESSAGETABLE)) {
            continue;
        }
        let names = ty.data(rsrc).unwrap().table().expect("name level");
        for name in names.entries {
            let langs = name.data(rsrc).unwrap().table().expect("language level");
            for lang in langs.entries {
                let ResourceDirectoryEntryData::Data(entry) = lang.data(rsrc).unwrap() else {
                    panic!("a data entry under the language level");
                };
                let rva = entry.offset_to_data.get(LE);
                let size = entry.size.get(LE) as usize;
                let bytes = sections
                    .pe_data_at(&*data, rva)
                    .expect("resource data mapped");
                messages.extend(decode_message_table(&bytes[..size]));
            }
        }
    }
    messages
}

fn assert_carries_the_table(package: &str, bin: &str) {
    let exe = steward_wine_bench::fresh_windows_exe(package, bin)
        .unwrap_or_else(|e| panic!("cross-build {package}: {e}"));
    let got = message_tables(&exe);
    let want: Vec<Message> = EventId::TABLE
        .iter()
        .map(|(id, _)| (id.get(), "%1\r\n".to_string()))
        .collect();
    assert_eq!(got, want, "message table of {}", exe.display());
}

#[test]
fn hello_service_exe_carries_the_message_table() {
    assert_carries_the_table("hello-service", "hello-service");
}

#[test]
fn the_probe_exe_carries_the_message_table() {
    assert_carries_the_table("steward-log", "steward-log-probe");
}
