//! JSON merge patch (RFC 7386).

use serde_json::Value;

/// Applies `patch` to `target` as a JSON merge patch (RFC 7386): objects merge key by key,
/// `null` deletes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));

        let mut doc = json!({"a": ["b"]});
        merge_patch(&mut doc, &json!({"a": "c"}));
        assert_eq!(doc, json!({"a": "c"}));

        let mut doc = json!(["a", "b"]);
        merge_patch(&mut doc, &json!({"a": "b"}));
        assert_eq!(doc, json!({"a": "b"}));

        let mut doc = json!({"e": null});
        merge_patch(&mut doc, &json!({"a": 1}));
        assert_eq!(doc, json!({"e": null, "a": 1}));
    }
}
