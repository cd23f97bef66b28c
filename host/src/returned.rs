//! The JSON text a plugin returns, checked in one pass before the host keeps it.
//!
//! The host holds a returned manifest as the text the plugin wrote and parses it whole only when
//! it writes the final YAML. Everything that could fail then, or come out different from what
//! the plugin wrote, is refused here instead, while the plugin can still be named:
//! - syntax, lone surrogates (`"\ud800"`) and numbers out of range (`1e400`);
//! - nesting deeper than [`MAX_DEPTH`] levels (the contract's bound);
//! - integers that do not fit 64 bits: serde would round them to floats, silently;
//! - what the Go YAML readers (Helm, kubectl, Argo CD, kustomize) do not read back: `<<` keys
//!   (a merge key to go-yaml, however it is quoted), keys longer than go-yaml's 1,024
//!   characters ([`crate::emit::key_fits`]), and strings holding DEL, a C1 control or U+FFFE/F
//!   ([`crate::emit::go_unreadable`]).
//!
//! The same pass keeps the three fields an identity needs (`apiVersion`, `kind`, `metadata`),
//! and notes whether the object has a top-level `items` field: the Go tools take any such
//! object as a list and apply the objects it holds ([`Checked::items`]).

use crate::stream::Object;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;

/// What each value of a returned manifest costs the host when it parses the manifest to write
/// it (a `serde_json::Value` is 32 bytes): a 60 MB array of 30 million zeros is a gigabyte
/// parsed, so it counts as one.
pub const VALUE_COST: usize = 32;

/// The deepest nesting a returned manifest may have (`wit/plugin.wit`: "nested at most 128
/// levels deep"; the object itself is level 1).
pub const MAX_DEPTH: usize = 128;

/// What the one pass keeps of a returned object.
#[derive(Debug)]
pub struct Checked {
    /// The object with only its `apiVersion`, `kind` and `metadata`.
    pub head: Object,
    /// Whether it has a top-level `items` field.
    pub items: bool,
    /// About what it costs the host: its JSON text, two spaces of indentation per level on
    /// every line of its YAML, and [`VALUE_COST`] for each value. JSON nested deep and wide is
    /// small, its YAML many times larger (a 4 MiB object became 484 MiB), so this, not the
    /// JSON, counts against the output limit.
    pub cost: usize,
}

/// Why a returned manifest is refused. Displayed as the end of a sentence that names the
/// manifest (`returned manifest 3` + ` is not JSON: …`, or + `: has a key of 1200 characters…`).
#[derive(Debug)]
pub enum Refusal {
    /// JSON, but not an object.
    NotObject,
    /// Not JSON.
    Syntax(serde_json::Error),
    /// JSON that breaks the contract or that the Go readers would not read back.
    Content(String),
    /// An object without a usable identity (`apiVersion`, `kind`, `metadata.name`).
    Identity(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotObject => f.write_str(" is not a JSON object"),
            Refusal::Syntax(e) => write!(f, " is not JSON: {e}"),
            Refusal::Content(why) | Refusal::Identity(why) => write!(f, ": {why}"),
        }
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Refusal::Syntax(e) => Some(e),
            _ => None,
        }
    }
}

/// Checks `text` and returns the object's head.
pub fn check(text: &str) -> Result<Checked, Refusal> {
    // serde reads a struct from a JSON array too, so only an object may go on.
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => Refusal::NotObject,
            Err(e) => Refusal::Syntax(e),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    // The depth is bounded by `Node` below (at MAX_DEPTH), not by serde_json's own limit,
    // which stops one level short of what the contract allows.
    de.disable_recursion_limit();
    let indent = Cell::new(0usize);
    let checked = Top { indent: &indent }
        .deserialize(&mut de)
        .and_then(|checked| de.end().map(|()| checked))
        .map_err(|e| {
            let msg = e.to_string();
            match msg.strip_prefix(REFUSED) {
                Some(why) => {
                    Refusal::Content(why.split(" at line ").next().unwrap_or(why).to_string())
                }
                None => Refusal::Syntax(e),
            }
        })?;
    Ok(Checked {
        cost: text.len().saturating_add(indent.get()),
        ..checked
    })
}

/// Marks the errors this module raises, to tell them from syntax errors.
const REFUSED: &str = "refused: ";

fn refuse<E: de::Error>(why: impl fmt::Display) -> E {
    E::custom(format!("{REFUSED}{why}"))
}

/// Checks one string: readable by the Go YAML readers.
fn check_str<E: de::Error>(s: &str) -> Result<(), E> {
    match s.chars().find(|c| crate::emit::go_unreadable(*c)) {
        None => Ok(()),
        Some(c) => Err(refuse(format!(
            "has a string with the character U+{:04X}, which the Go YAML readers (kubectl \
             kustomize, kpt) do not read back; remove it",
            c as u32
        ))),
    }
}

/// Checks one key: readable by the Go YAML readers.
fn check_key<E: de::Error>(key: &str) -> Result<(), E> {
    check_str(key)?;
    if key == "<<" {
        return Err(refuse(
            "has a key `<<`, which the Go YAML readers (kubectl, Helm, Argo CD) take as a merge \
             key and drop; rename it",
        ));
    }
    if !crate::emit::key_fits(key) {
        return Err(refuse(format!(
            "has a key of {} characters, longer than the Go YAML readers accept (1,024)",
            key.chars().count()
        )));
    }
    Ok(())
}

/// Checks a float: an integral float beyond 64-bit integers is what serde makes of an integer
/// it cannot hold, rounded.
fn check_float<E: de::Error>(v: f64) -> Result<(), E> {
    const U64_END: f64 = 18_446_744_073_709_551_616.0; // 2^64
    const I64_START: f64 = -9_223_372_036_854_775_808.0; // -2^63
    // An integer just below -2^63 rounds to -2^63 itself; an integer token of exactly -2^63
    // is read as an i64 and never comes here, so an integral float at or below it is refused.
    if v.fract() == 0.0 && (v >= U64_END || v <= I64_START) {
        return Err(refuse(format!(
            "has the number {v:e}, an integer beyond 64 bits that cannot be kept exactly; write \
             it as a string"
        )));
    }
    Ok(())
}

/// The top-level object: `apiVersion`, `kind` and `metadata` are kept, the rest checked.
/// `indent` sums the indentation of every line of its YAML.
struct Top<'a> {
    indent: &'a Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Checked;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut head = Object::new();
        let mut items = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            check_key(&key)?;
            if matches!(key.as_ref(), "apiVersion" | "kind" | "metadata") {
                let value = map.next_value_seed(Node {
                    depth: 2,
                    keep: true,
                    indent: self.indent,
                })?;
                head.insert(key.into_owned(), value);
            } else {
                items |= key == "items";
                map.next_value_seed(Node {
                    depth: 2,
                    keep: false,
                    indent: self.indent,
                })?;
            }
        }
        Ok(Checked {
            head,
            items,
            cost: 0,
        })
    }
}

/// Any value at `depth` (the top-level object is 1), checked; built as a [`Value`] when `keep`,
/// else dropped as it is read.
#[derive(Clone, Copy)]
struct Node<'a> {
    depth: usize,
    keep: bool,
    indent: &'a Cell<usize>,
}

impl Node<'_> {
    /// Counts one line at this value's depth (an item or an entry): its indentation, and
    /// [`VALUE_COST`] for the value the host parses it into before writing it.
    fn line(self) {
        let cost = 2 * self.depth.saturating_sub(2) + VALUE_COST;
        self.indent.set(self.indent.get().saturating_add(cost));
    }

    fn deeper<E: de::Error>(self) -> Result<Self, E> {
        if self.depth > MAX_DEPTH {
            return Err(refuse(format!("is nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(Node {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(if self.keep {
            Value::Bool(v)
        } else {
            Value::Null
        })
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(if self.keep {
            Value::from(v)
        } else {
            Value::Null
        })
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(if self.keep {
            Value::from(v)
        } else {
            Value::Null
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        check_float(v)?;
        Ok(if self.keep {
            Value::from(v)
        } else {
            Value::Null
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        check_str(v)?;
        Ok(if self.keep {
            Value::String(v.to_string())
        } else {
            Value::Null
        })
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            inner.line();
            if self.keep {
                items.push(v);
            }
        }
        Ok(if self.keep {
            Value::Array(items)
        } else {
            Value::Null
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            check_key(&key)?;
            let v = map.next_value_seed(inner)?;
            inner.line();
            if self.keep {
                out.insert(key.into_owned(), v);
            }
        }
        Ok(if self.keep {
            Value::Object(out)
        } else {
            Value::Null
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        // The object is level 1; `levels - 1` arrays inside it.
        format!(
            r#"{{"apiVersion":"v1","kind":"X","metadata":{{"name":"a"}},"x":{}1{}}}"#,
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    }

    #[test]
    fn the_contracts_depth_is_accepted_and_one_more_refused() {
        assert!(check(&nested(MAX_DEPTH)).is_ok());
        let err = check(&nested(MAX_DEPTH + 1)).unwrap_err().to_string();
        assert_eq!(err, ": is nested deeper than 128 levels");
        // A depth far beyond the bound fails the same way, without exhausting the stack.
        assert!(
            check(&nested(100_000))
                .unwrap_err()
                .to_string()
                .contains("deeper than")
        );
    }

    #[test]
    fn what_would_fail_or_change_later_is_refused_now() {
        let with = |field: &str| {
            format!(r#"{{"apiVersion":"v1","kind":"X","metadata":{{"name":"a"}},{field}}}"#)
        };
        assert!(
            check(&with(r#""n":1e400"#))
                .unwrap_err()
                .to_string()
                .contains("number out of range")
        );
        assert!(
            check(&with(r#""s":"\ud800""#))
                .unwrap_err()
                .to_string()
                .starts_with(" is not JSON")
        );
        let big = check(&with(r#""n":18446744073709551616"#))
            .unwrap_err()
            .to_string();
        assert!(big.contains("beyond 64 bits"), "{big}");
        let small = check(&with(r#""n":-9223372036854775809"#))
            .unwrap_err()
            .to_string();
        assert!(small.contains("beyond 64 bits"), "{small}");
        assert!(
            check(&with(
                r#""n":18446744073709551615,"m":-9223372036854775808,"f":1.5"#
            ))
            .is_ok()
        );
        assert!(
            check(&with(r#""d":{"<<":"x"}"#))
                .unwrap_err()
                .to_string()
                .contains("`<<`")
        );
        assert!(
            check(&with(r#""d":{"a":"x\u0085y"}"#))
                .unwrap_err()
                .to_string()
                .contains("U+0085")
        );
        assert!(
            check(&with(r#""d":{"\u007f":"x"}"#))
                .unwrap_err()
                .to_string()
                .contains("U+007F")
        );
        let long = format!(r#""d":{{"{}":1}}"#, "k".repeat(1100));
        assert!(
            check(&with(&long))
                .unwrap_err()
                .to_string()
                .contains("1100 characters")
        );
        assert!(matches!(check("[1]").unwrap_err(), Refusal::NotObject));
        assert_eq!(
            check("[1]").unwrap_err().to_string(),
            " is not a JSON object"
        );
        assert!(matches!(check("{oops").unwrap_err(), Refusal::Syntax(_)));
        assert!(
            check("{oops")
                .unwrap_err()
                .to_string()
                .starts_with(" is not JSON")
        );
    }

    #[test]
    fn the_head_is_kept_and_the_last_duplicate_wins_as_in_the_full_parse() {
        let text = r#"{"kind":"A","apiVersion":"v1","spec":{"x":[1,2]},"kind":"B","metadata":{"name":"n","labels":{"a":"b"}}}"#;
        let checked = check(text).unwrap();
        assert!(!checked.items);
        let head = checked.head;
        let full: Object = serde_json::from_str(text).unwrap();
        assert_eq!(head.get("kind"), full.get("kind"));
        assert_eq!(head.get("metadata"), full.get("metadata"));
        assert!(head.get("spec").is_none());
    }

    #[test]
    fn a_top_level_items_field_is_noted_wherever_it_is() {
        assert!(
            check(r#"{"kind":"ConfigMap","items":[],"apiVersion":"v1"}"#)
                .unwrap()
                .items
        );
        assert!(check(r#"{"kind":"X","items":{}}"#).unwrap().items);
        assert!(!check(r#"{"kind":"X","spec":{"items":[]}}"#).unwrap().items);
    }

    #[test]
    fn the_yaml_size_counts_the_indentation_of_every_line() {
        let flat = r#"{"kind":"X","data":{"a":"1","b":"2"}}"#;
        // Lines `data:` (0), `a: "1"` and `b: "2"` (2 each, and a value each), `kind: X` (0).
        assert_eq!(check(flat).unwrap().cost, flat.len() + 4 + 2 * VALUE_COST);
        let deep = format!(
            r#"{{"kind":"X","spec":{}0{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        let cost = check(&deep).unwrap().cost - deep.len();
        // One line per level, at 2, 4, ... 200 spaces, and a value each.
        assert_eq!(cost, (1..=100).map(|l| 2 * l + VALUE_COST).sum::<usize>());
    }
}
