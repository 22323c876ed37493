//! Odd output through a real pipe: a 10 MB line without a newline, invalid UTF-8, JSON lines.
#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::path::Path;

use base64::Engine;
use common::{DEADLINE, TempDir};
use steward_supervise::capture::{Capture, CaptureConfig, Format, Stream, read_logs};

/// Feeds `data` through an OS pipe into a capture configured by `setup`; returns the output of
/// `read_logs` and the final stats.
fn capture(
    dir: &Path,
    setup: impl FnOnce(&mut CaptureConfig),
    data: &[u8],
) -> (Vec<u8>, steward_supervise::capture::CaptureStats) {
    let mut config = CaptureConfig::new(dir, "odd");
    setup(&mut config);
    let mut capture = Capture::start(config).unwrap();
    let (reader, mut writer) = std::io::pipe().unwrap();
    capture.attach(Stream::Stdout, reader).unwrap();
    writer.write_all(data).unwrap();
    drop(writer);
    let stats = capture.finish(DEADLINE);
    let mut out = Vec::new();
    read_logs(dir, "odd", false, &mut out).unwrap();
    (out, stats)
}

/// Deterministic bytes of every value but `\n`.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 24) as u8 {
                b'\n' => b'x',
                b => b,
            }
        })
        .collect()
}

#[test]
fn a_10mb_line_without_newline_is_split_and_reassembles_byte_exact() {
    let dir = TempDir::new("capture-10mb");
    let line = noise(10 << 20);
    let setup = |c: &mut CaptureConfig| {
        c.max_size = Some(1_000_000);
        c.keep = 100;
    };
    let (out, stats) = capture(&dir.0, setup, &line);
    assert_eq!(stats.bytes_dropped, 0);
    let pieces: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    // Pieces of exactly max_line bytes, the last one shorter, then the final newline.
    let (last, full) = pieces[..pieces.len() - 1].split_last().unwrap();
    assert!(full.iter().all(|p| p.len() == 64 * 1024));
    assert!(!last.is_empty() && last.len() <= 64 * 1024);
    assert_eq!(pieces.last().unwrap(), b"");
    let rebuilt = pieces.concat();
    assert_eq!(rebuilt.len(), line.len(), "reassembled length");
    let first_difference = rebuilt.iter().zip(&line).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "reassembled line differs");
    let files = std::fs::read_dir(&dir.0).unwrap().count();
    assert!(files >= 10, "the line spans rotated files ({files} files)");
}

#[test]
fn invalid_utf8_passes_through_byte_exact() {
    let dir = TempDir::new("capture-utf8");
    let mut data = Vec::new();
    for i in 0..=255u8 {
        data.extend_from_slice(&[i, 0xff, 0xc3, b' ', 0xed, 0xa0, 0x80, i]);
        if i != b'\n' {
            data.push(b'\n');
        }
    }
    data.extend_from_slice(b"\xe2\x82 cut\n");
    let (out, stats) = capture(&dir.0, |_| {}, &data);
    assert_eq!(stats.bytes_dropped, 0);
    assert!(out == data, "captured bytes differ");
}

#[test]
fn json_lines_carry_invalid_utf8_and_long_lines_losslessly() {
    let dir = TempDir::new("capture-json");
    let mut data = b"plain \"quoted\" \\ line\n".to_vec();
    data.extend_from_slice(b"\xff\xfebinary\n");
    let long = noise(200_000);
    data.extend_from_slice(&long);
    data.push(b'\n');
    let (out, _) = capture(&dir.0, |c| c.format = Format::Json, &data);
    let mut rebuilt = Vec::new();
    for record in out.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
        let value: serde_json::Value = serde_json::from_slice(record).expect("a JSON record");
        assert_eq!(value["stream"], "stdout");
        assert!(value["ts"].as_str().unwrap().ends_with('Z'));
        match (value.get("line"), value.get("line_b64")) {
            (Some(line), None) => rebuilt.extend_from_slice(line.as_str().unwrap().as_bytes()),
            (None, Some(b64)) => rebuilt.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_str().unwrap())
                    .unwrap(),
            ),
            other => panic!("record without exactly one of line, line_b64: {other:?}"),
        }
        if value.get("partial").is_none() {
            rebuilt.push(b'\n');
        }
    }
    assert!(rebuilt == data, "rebuilt JSON content differs");
}
