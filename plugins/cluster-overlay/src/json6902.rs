//! JSON Patch (RFC 6902) with JSON Pointers (RFC 6901), as kustomize's `patchesJson6902` and
//! target-selected `patches` apply it.

use flinkwasm_sdk::Value;
use serde::Deserialize;

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: String,
    /// Where.
    pub path: String,
    /// The value, for add, replace and test.
    pub value: Option<Value>,
    /// The source, for move and copy.
    pub from: Option<String>,
}

/// Parses a pointer into its unescaped tokens.
fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("path `{pointer}` must start with /"));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(token: &str, len: usize, allow_end: bool, pointer: &str) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| format!("path `{pointer}`: `{token}` is not an array index"))?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return Err(format!(
            "path `{pointer}`: index {i} is out of range (length {len})"
        ));
    }
    Ok(i)
}

/// The parent container of `pointer` and its last token.
fn parent<'a>(doc: &'a mut Value, pointer: &str) -> Result<(&'a mut Value, String), String> {
    let mut toks = tokens(pointer)?;
    let Some(last) = toks.pop() else {
        return Err("the root cannot be the target of this operation".to_string());
    };
    let mut cur = doc;
    for t in &toks {
        cur = match cur {
            Value::Object(map) => map
                .get_mut(t)
                .ok_or_else(|| format!("path `{pointer}`: `{t}` does not exist"))?,
            Value::Array(list) => {
                let i = index(t, list.len(), false, pointer)?;
                &mut list[i]
            }
            _ => {
                return Err(format!(
                    "path `{pointer}`: `{t}` is not inside an object or array"
                ));
            }
        };
    }
    Ok((cur, last))
}

fn get<'a>(doc: &'a Value, pointer: &str) -> Result<&'a Value, String> {
    let mut cur = doc;
    for t in tokens(pointer)? {
        cur = match cur {
            Value::Object(map) => map
                .get(&t)
                .ok_or_else(|| format!("path `{pointer}` does not exist"))?,
            Value::Array(list) => &list[index(&t, list.len(), false, pointer)?],
            _ => return Err(format!("path `{pointer}` does not exist")),
        };
    }
    Ok(cur)
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (container, last) = parent(doc, pointer)?;
    match container {
        Value::Object(map) => {
            map.insert(last, value);
        }
        Value::Array(list) => {
            let i = index(&last, list.len(), true, pointer)?;
            list.insert(i, value);
        }
        _ => {
            return Err(format!(
                "path `{pointer}`: the parent is not an object or array"
            ));
        }
    }
    Ok(())
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, String> {
    let (container, last) = parent(doc, pointer)?;
    match container {
        Value::Object(map) => map
            .remove(&last)
            .ok_or_else(|| format!("path `{pointer}` does not exist")),
        Value::Array(list) => {
            let i = index(&last, list.len(), false, pointer)?;
            Ok(list.remove(i))
        }
        _ => Err(format!("path `{pointer}` does not exist")),
    }
}

/// Applies the operations in order; on an error `doc` may be partly changed, and the caller
/// discards it.
pub fn apply(doc: &mut Value, ops: &[Op]) -> Result<(), String> {
    for (i, op) in ops.iter().enumerate() {
        let at = |e: String| format!("operation {i} ({} {}): {e}", op.op, op.path);
        let value = || {
            op.value
                .clone()
                .ok_or_else(|| at("needs a value".to_string()))
        };
        let from = || op.from.clone().ok_or_else(|| at("needs from".to_string()));
        match op.op.as_str() {
            "add" => add(doc, &op.path, value()?).map_err(at)?,
            "remove" => {
                remove(doc, &op.path).map_err(at)?;
            }
            "replace" => {
                let v = value()?;
                get(doc, &op.path).map_err(at)?;
                if op.path.is_empty() {
                    *doc = v;
                } else {
                    remove(doc, &op.path).map_err(at)?;
                    add(doc, &op.path, v).map_err(at)?;
                }
            }
            "move" => {
                let v = remove(doc, &from()?).map_err(at)?;
                add(doc, &op.path, v).map_err(at)?;
            }
            "copy" => {
                let v = get(doc, &from()?).map_err(at)?.clone();
                add(doc, &op.path, v).map_err(at)?;
            }
            "test" => {
                if get(doc, &op.path).map_err(at)? != &value()? {
                    return Err(at("the value differs".to_string()));
                }
            }
            other => return Err(at(format!("unknown operation `{other}`"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinkwasm_sdk::json;

    fn ops(v: Value) -> Vec<Op> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn rfc6902_operations() {
        let mut doc = json!({"a": {"b": [1, 2]}, "x~/y": 1});
        apply(
            &mut doc,
            &ops(json!([
                {"op": "add", "path": "/a/b/-", "value": 3},
                {"op": "add", "path": "/a/b/0", "value": 0},
                {"op": "replace", "path": "/x~0~1y", "value": 2},
                {"op": "copy", "from": "/a/b", "path": "/c"},
                {"op": "move", "from": "/c", "path": "/d"},
                {"op": "remove", "path": "/a/b/1"},
                {"op": "test", "path": "/d/3", "value": 3}
            ])),
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"a": {"b": [0, 2, 3]}, "x~/y": 2, "d": [0, 1, 2, 3]})
        );
        let err = apply(
            &mut doc,
            &ops(json!([{"op": "replace", "path": "/nope", "value": 1}])),
        );
        assert!(err.unwrap_err().contains("/nope"));
    }
}
