//! Turning a stream of bytes into the lines of a log file: splitting lines longer than the
//! limit, timestamps, JSON records and drop markers. Pure and unit-tested.

use std::time::SystemTime;

use base64::Engine;

use super::config::{Format, Stream};
use super::names::Stamper;

/// The line state of one stream.
#[derive(Debug)]
pub(crate) struct Framer {
    stream: Stream,
    format: Format,
    timestamps: bool,
    max_line: usize,
    /// Plain: bytes of the current line already written out (0: at a line start).
    line_len: usize,
    /// JSON: the current line, held until its end.
    pending: Vec<u8>,
    /// JSON: when the current line started.
    started: Option<SystemTime>,
    stamper: Stamper,
}

impl Framer {
    /// A framer for `stream`; `max_line` is at least 1.
    pub(crate) fn new(stream: Stream, format: Format, timestamps: bool, max_line: usize) -> Self {
        Framer {
            stream,
            format,
            timestamps,
            max_line: max_line.max(1),
            line_len: 0,
            pending: Vec::new(),
            started: None,
            stamper: Stamper::default(),
        }
    }

    /// Whether everything emitted so far ends at a line boundary.
    #[cfg(test)]
    pub(crate) fn at_boundary(&self) -> bool {
        self.line_len == 0
    }

    /// Appends the formatted form of `data`, which arrived at `now`, to `out`.
    pub(crate) fn push(&mut self, data: &[u8], now: SystemTime, out: &mut Vec<u8>) {
        match self.format {
            Format::Plain => self.push_plain(data, now, out),
            Format::Json => self.push_json(data, now, out),
        }
    }

    fn push_plain(&mut self, mut data: &[u8], now: SystemTime, out: &mut Vec<u8>) {
        while !data.is_empty() {
            if self.line_len == self.max_line {
                // Full: the line ends here, or is split here.
                out.push(b'\n');
                self.line_len = 0;
                if data[0] == b'\n' {
                    data = &data[1..];
                    continue;
                }
            }
            if self.line_len == 0 && self.timestamps {
                self.stamper.write(now, out);
                out.push(b' ');
            }
            let room = self.max_line - self.line_len;
            let window = &data[..room.min(data.len())];
            if let Some(i) = memchr::memchr(b'\n', window) {
                out.extend_from_slice(&data[..=i]);
                self.line_len = 0;
                data = &data[i + 1..];
            } else {
                out.extend_from_slice(window);
                self.line_len += window.len();
                data = &data[window.len()..];
            }
        }
    }

    fn push_json(&mut self, mut data: &[u8], now: SystemTime, out: &mut Vec<u8>) {
        while !data.is_empty() {
            if self.pending.len() == self.max_line {
                // Full: the line ends here, or is split here.
                let split = data[0] != b'\n';
                self.emit_json(split, out);
                if !split {
                    data = &data[1..];
                    continue;
                }
            }
            self.started.get_or_insert(now);
            let room = self.max_line - self.pending.len();
            let window = &data[..room.min(data.len())];
            match memchr::memchr(b'\n', window) {
                Some(i) => {
                    self.pending.extend_from_slice(&data[..i]);
                    self.emit_json(false, out);
                    data = &data[i + 1..];
                }
                None => {
                    self.pending.extend_from_slice(window);
                    data = &data[window.len()..];
                }
            }
        }
    }

    fn emit_json(&mut self, partial: bool, out: &mut Vec<u8>) {
        let ts = self.started.take().unwrap_or_else(SystemTime::now);
        self.record_start(ts, out);
        match std::str::from_utf8(&self.pending) {
            Ok(text) => {
                out.extend_from_slice(b",\"line\":");
                json_string(text, out);
            }
            Err(_) => {
                out.extend_from_slice(b",\"line_b64\":\"");
                let encoded = base64::engine::general_purpose::STANDARD.encode(&self.pending);
                out.extend_from_slice(encoded.as_bytes());
                out.push(b'"');
            }
        }
        if partial {
            out.extend_from_slice(b",\"partial\":true");
        }
        out.extend_from_slice(b"}\n");
        self.pending.clear();
    }

    fn record_start(&mut self, ts: SystemTime, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"ts\":\"");
        self.stamper.write(ts, out);
        out.extend_from_slice(b"\",\"stream\":\"");
        out.extend_from_slice(self.stream.as_str().as_bytes());
        out.push(b'"');
    }

    /// Ends the current line (the stream ended, or bytes were lost after it): plain output
    /// gets a newline if it stopped mid-line; a held JSON line is written.
    pub(crate) fn end_line(&mut self, out: &mut Vec<u8>) {
        if self.line_len > 0 {
            out.push(b'\n');
            self.line_len = 0;
        }
        if !self.pending.is_empty() || self.started.is_some() {
            self.emit_json(false, out);
        }
    }

    /// Appends a line saying that `bytes` bytes of the stream were lost, and why.
    pub(crate) fn marker(&mut self, bytes: u64, reason: &str, now: SystemTime, out: &mut Vec<u8>) {
        self.end_line(out);
        let stream = self.stream.as_str();
        match self.format {
            Format::Plain => {
                if self.timestamps {
                    self.stamper.write(now, out);
                    out.push(b' ');
                }
                let line = format!("[steward] {bytes} bytes of {stream} dropped: {reason}\n");
                out.extend_from_slice(line.as_bytes());
            }
            Format::Json => {
                self.record_start(now, out);
                out.extend_from_slice(format!(",\"dropped\":{bytes},\"reason\":").as_bytes());
                json_string(reason, out);
                out.extend_from_slice(b"}\n");
            }
        }
    }
}

fn json_string(text: &str, out: &mut Vec<u8>) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_795_621_320_005)
    }

    fn frame(format: Format, ts: bool, max: usize, chunks: &[&[u8]]) -> (String, Framer) {
        let mut framer = Framer::new(Stream::Stdout, format, ts, max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, now(), &mut out);
        }
        (String::from_utf8_lossy(&out).into_owned(), framer)
    }

    #[test]
    fn plain_passes_lines_through_across_chunks() {
        let (out, framer) = frame(Format::Plain, false, 100, &[b"ab", b"c\nde", b"f\n"]);
        assert_eq!(out, "abc\ndef\n");
        assert!(framer.at_boundary());
        let (_, framer) = frame(Format::Plain, false, 100, &[b"abc\nde"]);
        assert!(!framer.at_boundary());
    }

    #[test]
    fn long_lines_are_split_into_pieces_of_max_line() {
        let (out, _) = frame(Format::Plain, false, 4, &[b"abcdefghij\n", b"wxyz\n"]);
        assert_eq!(out, "abcd\nefgh\nij\nwxyz\n");
        let (out, _) = frame(Format::Plain, false, 4, &[b"ab", b"cd", b"ef"]);
        assert_eq!(out, "abcd\nef");
        let (out, framer) = frame(Format::Plain, false, 4, &[b"abcd"]);
        assert_eq!(out, "abcd");
        assert!(
            !framer.at_boundary(),
            "the next byte decides whether the line was split"
        );
        let (out, _) = frame(Format::Plain, false, 4, &[b"abcd", b"\nx"]);
        assert_eq!(out, "abcd\nx", "a line of exactly max_line is not split");
    }

    #[test]
    fn timestamps_prefix_every_line_and_piece() {
        let (out, _) = frame(Format::Plain, true, 4, &[b"a\nbcdefg\n"]);
        let ts = "2026-11-25T15:42:00.005Z";
        assert_eq!(out, format!("{ts} a\n{ts} bcde\n{ts} fg\n"));
    }

    #[test]
    fn invalid_utf8_passes_through_plain_byte_exact() {
        let mut framer = Framer::new(Stream::Stderr, Format::Plain, false, 64);
        let mut out = Vec::new();
        framer.push(b"\xff\xfe ok \xc3\n", now(), &mut out);
        assert_eq!(out, b"\xff\xfe ok \xc3\n");
    }

    #[test]
    fn json_records_escape_and_encode_losslessly() {
        let (out, _) = frame(Format::Json, false, 100, &[b"say \"hi\"\t\n\xff\x00\n"]);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["line"], "say \"hi\"\t");
        assert_eq!(lines[0]["stream"], "stdout");
        assert_eq!(lines[0]["ts"], "2026-11-25T15:42:00.005Z");
        assert_eq!(lines[1]["line_b64"], "/wA=");
        assert!(lines[1].get("line").is_none());
    }

    #[test]
    fn json_splits_with_partial_flags() {
        let (out, mut framer) = frame(Format::Json, false, 3, &[b"abcdefg", b"h\nxyz", b"\n"]);
        let mut out = out.into_bytes();
        framer.end_line(&mut out);
        let parsed: Vec<(String, bool)> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["line"].as_str().unwrap().to_owned(),
                    v.get("partial").is_some(),
                )
            })
            .collect();
        let expected = [("abc", true), ("def", true), ("gh", false), ("xyz", false)];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(l, p)| (l.to_string(), *p)).collect();
        assert_eq!(parsed, expected);
    }

    #[test]
    fn markers_start_on_their_own_line() {
        let mut framer = Framer::new(Stream::Stdout, Format::Plain, false, 64);
        let mut out = Vec::new();
        framer.push(b"half", now(), &mut out);
        framer.marker(42, "queue full", now(), &mut out);
        framer.push(b"next\n", now(), &mut out);
        assert_eq!(
            out,
            b"half\n[steward] 42 bytes of stdout dropped: queue full\nnext\n"
        );
        let mut framer = Framer::new(Stream::Stdout, Format::Json, false, 64);
        let mut out = Vec::new();
        framer.marker(7, "disk full", now(), &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            (v["dropped"].as_u64(), v["reason"].as_str()),
            (Some(7), Some("disk full"))
        );
    }
}
