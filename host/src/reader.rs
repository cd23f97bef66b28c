//! Reading a manifest stream from a pipe (Helm's rendered chart on stdin) in pieces, so the
//! whole text is never held: each piece ends where a document starts (a `---` line at column
//! 0, which YAML reserves as a document marker everywhere), is checked to be UTF-8, parsed,
//! and dropped. A stream that starts like JSON is read whole (concatenated JSON has no
//! markers to cut at).

use crate::error;
use crate::stream::{self, Object, Position};
use anyhow::Result;
use std::io::{ErrorKind, Read};

/// How much is read at a time.
const BLOCK: usize = 1 << 20;

/// Reads `reader` to its end, at most `limit` bytes of UTF-8, handing each object to `f` as
/// soon as its document has been read. `origin` names the stream in errors, whose document
/// numbers, lines and byte offsets are the whole stream's.
pub fn visit(
    mut reader: impl Read,
    limit: usize,
    origin: &str,
    mut f: impl FnMut(Object) -> Result<()>,
) -> Result<()> {
    let mut pending: Vec<u8> = Vec::new();
    let mut at = Position::default();
    let mut offset = 0; // bytes of the stream before `pending`
    let mut read = 0;
    let mut first = true;
    loop {
        let filled = pending.len();
        pending.resize(filled + BLOCK, 0);
        let n = loop {
            match reader.read(&mut pending[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(error::input(format!("reading {origin}: {e}"))),
            }
        };
        pending.truncate(filled + n);
        read += n;
        if read > limit {
            return Err(error::input(format!(
                "{origin} is larger than {} MiB; split the stream or raise FLINKWASM_MAX_INPUT",
                limit >> 20
            )));
        }
        let end = n == 0;
        if first && (end || pending.iter().any(|b| !b.is_ascii_whitespace())) {
            first = false;
            let start = pending.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(start, Some(b'{' | b'[')) {
                (&mut reader)
                    .take((limit - read) as u64 + 1)
                    .read_to_end(&mut pending)
                    .map_err(|e| error::input(format!("reading {origin}: {e}")))?;
                if offset + pending.len() > limit {
                    return Err(error::input(format!(
                        "{origin} is larger than {} MiB; split the stream or raise \
                         FLINKWASM_MAX_INPUT",
                        limit >> 20
                    )));
                }
                return stream::visit(utf8(&pending, offset, origin)?, origin, f);
            }
        }
        let cut = if end {
            pending.len()
        } else {
            last_document_start(&pending, filled.saturating_sub(4), offset == 0)
        };
        if cut > 0 {
            let text = utf8(&pending[..cut], offset, origin)?;
            at.documents += stream::visit_yaml(text, origin, at, &mut f)?;
            at.lines += text.bytes().filter(|b| *b == b'\n').count();
            offset += cut;
            pending.drain(..cut);
        }
        if end {
            return Ok(());
        }
    }
}

/// `bytes` as text; the error gives the stream offset of the first invalid byte.
fn utf8<'a>(bytes: &'a [u8], offset: usize, origin: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        error::input(format!(
            "{origin} is not UTF-8 (invalid byte at offset {})",
            offset + e.valid_up_to()
        ))
    })
}

/// Where the last complete document marker line of `buf` starts (0 when there is none after
/// the start): a `---` at the start of a line followed by a space, tab or line end. A marker
/// at the very end of `buf` may still be followed by more text, so it does not count. At the
/// start of the stream, text before the first marker (comments, directives, or an implicit
/// first document) belongs with the document after it, so the first marker is not a cut.
/// Only markers from `from` on are new (earlier ones were cut at already).
fn last_document_start(buf: &[u8], from: usize, stream_start: bool) -> usize {
    let marker_at = |i: &usize| buf[i - 1] == b'\n' && is_marker(&buf[*i..]);
    let Some(last) = (from.max(1)..buf.len()).rev().find(marker_at) else {
        return 0;
    };
    if stream_start && !is_marker(buf) && !(1..last).any(|i| marker_at(&i)) {
        return 0;
    }
    last
}

/// Whether `line` (the rest of a buffer from a line start) starts with a document marker.
fn is_marker(line: &[u8]) -> bool {
    line.len() > 3 && line.starts_with(b"---") && matches!(line[3], b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out a few bytes at a time, to cut documents anywhere.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn names(text: &str, step: usize) -> Result<Vec<String>> {
        let mut out = Vec::new();
        visit(Trickle(text.as_bytes(), step), 1 << 20, "stdin", |o| {
            out.push(stream::describe(&o));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn pieces_give_the_same_objects_and_errors_as_the_whole() {
        let text = "# c\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  s: |\n    ---\n    x\n--- # b\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: c}}\n";
        let whole: Vec<_> = stream::parse(text, "stdin")
            .unwrap()
            .iter()
            .map(stream::describe)
            .collect();
        for step in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(names(text, step).unwrap(), whole, "step {step}");
        }
        let bad = format!("{text}---\napiVersion: v1\nkind: [oops\n");
        let expected = stream::parse(&bad, "stdin").unwrap_err().to_string();
        for step in [1, 5, 4096] {
            assert_eq!(names(&bad, step).unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn json_streams_limits_and_utf8() {
        let json = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}} {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"#;
        assert_eq!(names(json, 3).unwrap(), ["ConfigMap/a", "ConfigMap/b"]);
        let err = visit(&b"a: b\n"[..], 3, "stdin", |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        let err = visit(&b"---\nname: \xff\n"[..], 100, "stdin", |_| Ok(())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stdin is not UTF-8 (invalid byte at offset 10)"
        );
        assert!(names("", 1).unwrap().is_empty());
    }
}
