//! Text from plugins, made safe to show.
//!
//! A plugin's log lines, diagnostics and object names reach a terminal (stderr), the Argo CD UI
//! (the CMP's stderr) and kpt's output (KRM `results`, printed raw). A raw newline or carriage
//! return would let a plugin forge whole lines (`error: plugin flink-operator: ...`), escape
//! sequences would drive the terminal, and bidirectional overrides would make a line read other
//! than it is. So every such text passes through [`safe`] first: one line, control and
//! invisible formatting characters escaped, length bounded.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The most characters of one plugin-provided text that are shown; the rest is cut with a note.
pub const MAX_CHARS: usize = 4096;

/// Whether `c` must not reach a terminal raw: C0 and C1 controls (newline and tab included),
/// DEL, the Unicode line and paragraph separators, and every character that shows as nothing
/// or changes how its neighbours show: Unicode's default-ignorable code points (zero-width
/// and bidirectional formatting characters, the byte-order mark, soft hyphen, fillers,
/// variation selectors, tags) and the other format characters (prepended marks, interlinear
/// annotation), so two names that read the same are the same.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{00ad}'
                | '\u{034f}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061c}'
                | '\u{06dd}'
                | '\u{070f}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08e2}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// `text` as one safe line: unsafe characters escaped (`\n`, `\r`, `\t`, `\u{1b}`), at most
/// [`MAX_CHARS`] characters kept. Borrowed when nothing had to change.
pub fn safe(text: &str) -> Cow<'_, str> {
    safe_within(text, MAX_CHARS)
}

/// [`safe`] with a bound of `max` characters.
pub fn safe_within(text: &str, max: usize) -> Cow<'_, str> {
    let long = text.chars().nth(max).is_some();
    if !long && !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(2)));
    for (kept, (at, c)) in text.char_indices().enumerate() {
        if kept == max {
            let _ = write!(out, "… ({} more bytes)", text.len() - at);
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A message of several lines made safe line by line: each line is kept as a line, but
/// carriage returns, escape sequences and other unsafe characters inside a line are escaped.
/// For the host's own messages, which may join several findings with newlines and may quote
/// plugin text.
pub fn safe_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && unsafe_char(c)) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .map(|l| safe_within(l, usize::MAX))
        .collect();
    Cow::Owned(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_lines_and_escape_sequences_are_escaped() {
        assert_eq!(safe("plain text"), "plain text");
        assert!(matches!(safe("plain"), Cow::Borrowed(_)));
        assert_eq!(
            safe("ok\nerror: plugin flink-operator: forged"),
            "ok\\nerror: plugin flink-operator: forged"
        );
        assert_eq!(safe("a\rb\u{1b}[2Jc"), "a\\rb\\u{1b}[2Jc");
        assert_eq!(safe("x\u{85}y\u{2028}z"), "x\\u{85}y\\u{2028}z");
        assert_eq!(safe("abc\u{202e}def"), "abc\\u{202e}def");
        // Invisible characters that would make two names read the same.
        for c in [
            '\u{61c}',
            '\u{ad}',
            '\u{2060}',
            '\u{2064}',
            '\u{3164}',
            '\u{e0041}',
            '\u{fe0f}',
        ] {
            assert_eq!(safe(&format!("a{c}b")), format!("a\\u{{{:x}}}b", c as u32));
        }
        assert_eq!(safe("naïve café ü"), "naïve café ü");
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let long = "é".repeat(MAX_CHARS + 10);
        let s = safe(&long);
        assert!(s.starts_with(&"é".repeat(MAX_CHARS)));
        assert!(s.ends_with("… (20 more bytes)"), "{s}");
    }

    #[test]
    fn lines_stay_lines_but_their_insides_are_escaped() {
        assert_eq!(safe_lines("one\ntwo"), "one\ntwo");
        assert_eq!(safe_lines("one\rX\ntwo\u{1b}"), "one\\rX\ntwo\\u{1b}");
    }
}
