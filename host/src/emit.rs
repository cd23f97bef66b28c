//! The canonical YAML emitter: JSON values out as block YAML that every Kubernetes tool reads
//! back as the same value.
//!
//! `serde_yaml` writes YAML 1.2, where `yes`, `on` or `0755` are plain strings; but Helm,
//! kubectl and Argo CD read YAML through go-yaml v2 / `sigs.k8s.io/yaml`, which follow YAML 1.1
//! and would read `value: yes` as a boolean and `0755` as an octal number. This emitter
//! therefore writes a string plain only when it is unambiguous under both versions, and quotes
//! everything else. Keys come out in the map's order (sorted: the host's maps are BTreeMaps),
//! sequences are not indented under their key (kubectl's style), multi-line strings become
//! literal blocks, and control characters are escaped in double quotes.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Appends `value` as a YAML document body (no `---`) to `out`.
pub fn document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => mapping(out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(out, items, 0),
        scalar => {
            inline(out, scalar, 0);
            out.push('\n');
        }
    }
}

/// About how many bytes [`mapping_document`] writes for `map`, from one walk that allocates
/// nothing: at least what it writes, so a caller can refuse an object whose YAML would be too
/// large before it is written. Indentation is what makes YAML larger than its JSON: every line
/// is indented to its depth.
pub fn document_cost(map: &Map<String, Value>) -> usize {
    map.iter().fold(4, |n, (k, v)| {
        n.saturating_add(cost(v, 2).saturating_add(k.len() * 6 + 3))
    })
}

/// The cost of `value` written at indentation `level`, its line included.
fn cost(value: &Value, level: usize) -> usize {
    let line = level.saturating_add(4);
    match value {
        Value::Object(m) => m.iter().fold(1, |n, (k, v)| {
            // A key may be escaped (6 bytes a character at worst).
            n.saturating_add(line + k.len() * 6)
                .saturating_add(cost(v, level + 2))
        }),
        Value::Array(a) => a.iter().fold(1, |n, v| {
            n.saturating_add(line).saturating_add(cost(v, level + 2))
        }),
        // Escaped, 6 bytes a character at worst; a literal block is at most five times its
        // text and 4 KiB ([`literal`]).
        Value::String(s) => s
            .len()
            .saturating_mul(6)
            .saturating_add(if s.contains('\n') { 4096 } else { 4 }),
        _ => 32,
    }
}

/// Appends one object as a YAML document body (no `---`); an empty object is written `{}`.
pub fn mapping_document(out: &mut String, map: &Map<String, Value>) {
    if map.is_empty() {
        out.push_str("{}\n");
    } else {
        mapping(out, map, 0);
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// YAML limits an implicit key to 1024 characters; longer keys need the explicit `? key`.
const MAX_IMPLICIT_KEY: usize = 1000;

/// Whether `key` is written as an implicit key, the only kind the Go YAML readers accept:
/// go-yaml refuses a key whose text runs past 1,024 characters, and kustomize refuses even
/// the explicit `? key` form this emitter uses for longer ones. The host refuses such keys in
/// its input and in what plugins return, so only YAML 1.2 readers ever see an explicit key.
pub fn key_fits(key: &str) -> bool {
    if key.len() > MAX_IMPLICIT_KEY {
        return false;
    }
    // Quoting adds two characters, escaping more; without escapes or quotes to double, the
    // length is known without writing the key out.
    if key.len() + 2 <= MAX_IMPLICIT_KEY
        && !key
            .chars()
            .any(|c| needs_escape(c) || c == '\'' || c == '\n')
    {
        return true;
    }
    rendered_key(key, 0).len() <= MAX_IMPLICIT_KEY
}

/// Whether `c` is one the Go YAML readers cannot take back however it is written: DEL, the C1
/// controls (U+0080 to U+009F, NEL included) and the noncharacters U+FFFE and U+FFFF. go-yaml
/// reads them from an escape, but kustomize and kpt write them out raw and then refuse their
/// own output, so the host refuses them in its input and in what plugins return.
pub fn go_unreadable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

fn rendered_key(key: &str, level: usize) -> String {
    let mut k = String::new();
    string(&mut k, key, level, true);
    k
}

fn mapping(out: &mut String, map: &Map<String, Value>, level: usize) {
    for (key, value) in map {
        let k = rendered_key(key, level);
        indent(out, level);
        if k.len() > MAX_IMPLICIT_KEY {
            // `? key` then `:` and the value, indented as under any key.
            out.push_str("? ");
            out.push_str(&k);
            out.push('\n');
            indent(out, level);
            out.push(':');
            match value {
                Value::Array(items) if !items.is_empty() => {
                    out.push('\n');
                    sequence(out, items, level + 2);
                }
                _ => value_after_key(out, value, level),
            }
        } else {
            out.push_str(&k);
            out.push(':');
            value_after_key(out, value, level);
        }
    }
}

/// Writes what follows `key:` (or `- ` for nested sequences handled by the caller).
fn value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            mapping(out, m, level + 2);
        }
        // Sequences sit at the key's own indentation, as kubectl writes them.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, level);
        }
        scalar => {
            out.push(' ');
            inline(out, scalar, level + 2);
            out.push('\n');
        }
    }
}

fn sequence(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(m)
                if m.keys()
                    .any(|k| rendered_key(k, level + 2).len() > MAX_IMPLICIT_KEY) =>
            {
                // A mapping with an explicit key starts on the line after the dash.
                out.push('\n');
                mapping(out, m, level + 2);
            }
            Value::Object(m) if !m.is_empty() => {
                // The first key shares the dash's line; the rest align under it.
                let mut first = true;
                for (key, value) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    string(out, key, level + 2, true);
                    out.push(':');
                    value_after_key(out, value, level + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, level + 2);
            }
            scalar => {
                out.push(' ');
                inline(out, scalar, level + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection on the current line; `level` is the indentation of the
/// lines of a literal block, should the scalar become one.
fn inline(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(out, s, level, false),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Characters YAML treats as line breaks or byte-order marks beyond the C0/C1 controls:
/// they cannot appear raw in a plain, single-quoted or block scalar.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn string(out: &mut String, s: &str, level: usize, key: bool) {
    if s.chars().any(needs_escape) {
        double_quoted(out, s);
    } else if s.contains('\n') {
        if key {
            double_quoted(out, s);
        } else {
            literal(out, s, level);
        }
    } else if plain_safe(s) {
        out.push_str(s);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A literal block (`|`, `|-` or `|+`), or double quotes where a block cannot keep the text
/// exactly (leading spaces, lines of only spaces).
fn literal(out: &mut String, s: &str, level: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    // A line that is only spaces and then ends the text, or text that is only newlines,
    // cannot be kept exactly by a block; quote it instead.
    // A block cannot start with a space without an indentation indicator; keep it simple.
    // Indenting many short lines deep in an object could make the block many times the
    // text (two million lines of one character, 250 spaces deep, are half a gigabyte): past
    // four times, one quoted line it is.
    let indented = body.split('\n').filter(|l| !l.is_empty()).count();
    if body.is_empty()
        || body.starts_with(' ')
        || body.lines().any(|l| l.trim().is_empty() && !l.is_empty())
        || indented.saturating_mul(level) > body.len().saturating_mul(4) + 4096
    {
        double_quoted(out, s);
        return;
    }
    out.push('|');
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    for line in s[..body.len()].split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// The punctuation a plain string may hold: never an indicator in block context.
const PLAIN_MARKS: &str = " ._/-:=+@(),~$^;";

/// What, besides hex digits, a YAML 1.1 or 1.2 number or timestamp may hold: a plain string
/// made only of these (and starting with a digit or `.`) is quoted.
const NUMBER_MARKS: &str = "._:+-xXoObB TtZz";

/// True when `s` reads back as this same string, plain and unquoted, under YAML 1.1 and 1.2.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    let starts_plain = first.is_ascii_alphanumeric()
        || matches!(first, '/' | '_')
        || (first == '.' && !lower.starts_with(".inf") && !lower.starts_with(".nan"));
    if !starts_plain {
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") {
        return false;
    }
    // Only characters that are never indicators in block context.
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || PLAIN_MARKS.contains(c))
    {
        return false;
    }
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    ) {
        return false;
    }
    // Anything that might be read as a number (decimal, octal, hex, binary, floats,
    // sexagesimal `1:30`) or a timestamp (`2024-01-02`) under either version is quoted.
    let numeric_start = first.is_ascii_digit() || first == '.';
    if numeric_start
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() || NUMBER_MARKS.contains(c))
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn emit(v: &Value) -> String {
        let mut s = String::new();
        document(&mut s, v);
        s
    }

    #[test]
    fn ambiguous_strings_are_quoted_and_everything_reads_back() {
        let tricky = [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "true",
            "null",
            "~",
            "",
            " lead",
            "trail ",
            "0755",
            "1e3",
            "0x1F",
            "12:30",
            "2024-01-02",
            "1.0",
            ".5",
            ".inf",
            "-1",
            "+1",
            "a: b",
            "a #b",
            "#c",
            "- x",
            "*ref",
            "&a",
            "!tag",
            "%x",
            "@x",
            "`x",
            "{a}",
            "[a]",
            "'q'",
            "\"dq\"",
            "tab\there",
            "bell\u{7}",
            "one\ntwo\n",
            "one\ntwo",
            "lines\n\n",
            "  indented\nblock\n",
            "1024m",
            "3Gi",
            "60s",
            "rocksdb",
            "file:///tmp/x",
            "http://a:8081",
            "v1_19",
            "key=value",
            "a,b",
            "kafka.confluent.svc.cluster.local:9092",
            "ends:",
            "ünïcode",
        ];
        for s in tricky {
            let v = json!({"k": s, s: 1, "list": [s, {"in": s}]});
            let text = emit(&v);
            let back: Value =
                serde_json::Value::deserialize(serde_yaml::Deserializer::from_str(&text))
                    .unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back, v, "{s:?} did not read back:\n{text}");
        }
        for s in ["yes", "on", "0755", "12:30", "2024-01-02", "y"] {
            assert!(
                emit(&json!({"k": s})).contains(&format!("'{s}'")),
                "{s} must be quoted"
            );
        }
        for s in [
            "1024m",
            "3Gi",
            "rocksdb",
            "file:///tmp/x",
            "flink-main-container",
        ] {
            assert_eq!(emit(&json!({"k": s})), format!("k: {s}\n"));
        }
    }

    #[test]
    fn keys_longer_than_yaml_allows_implicitly_are_explicit() {
        // Found by the `stream` fuzz target: a 1,100-character key made unparsable output.
        let long = "k".repeat(1100);
        let multi = format!("{long}\nsecond line");
        for v in [
            json!({&long: 1, "b": {&long: [1, {&multi: "x"}]}}),
            json!({"list": [{&long: {"a": 1}, "z": 2}]}),
            json!({&multi: [1, 2]}),
        ] {
            let text = emit(&v);
            let back: Value =
                serde_json::Value::deserialize(serde_yaml::Deserializer::from_str(&text))
                    .unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, v, "{text}");
        }
    }

    /// Inputs cargo fuzz found (`fuzz/`), replayed here so CI keeps them fixed.
    const FUZZ_REGRESSIONS: &[(&str, &str)] = &[
        (
            "stream-long-key",
            include_str!("../fuzz-regressions/stream-long-key.yaml"),
        ),
        (
            "stream-line-separator",
            include_str!("../fuzz-regressions/stream-line-separator.yaml"),
        ),
    ];

    #[test]
    fn fuzz_regressions_read_back() {
        for (name, text) in FUZZ_REGRESSIONS {
            let objects = crate::stream::parse(text, name).expect("the regression input parses");
            let written = crate::stream::write(&objects).unwrap();
            let back = crate::stream::parse(&written, "rewritten")
                .unwrap_or_else(|e| panic!("{name}: {e:#}\n{written}"));
            assert_eq!(back, objects, "{name}");
        }
    }

    #[test]
    fn layout_matches_kubectl_style() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "a", "labels": {}},
            "data": {"script": "line1\nline2\n", "n": 2, "f": 1.5, "b": false, "z": null},
            "list": [{"name": "x", "ports": [{"p": 1}]}, [], [1, 2]],
        });
        assert_eq!(
            emit(&v),
            "apiVersion: v1\ndata:\n  b: false\n  f: 1.5\n  'n': 2\n  script: |\n    line1\n    line2\n  z: null\nkind: ConfigMap\nlist:\n- name: x\n  ports:\n  - p: 1\n- []\n-\n  - 1\n  - 2\nmetadata:\n  labels: {}\n  name: a\n"
        );
    }
}
