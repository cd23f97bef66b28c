//! Strategic merge patches as kustomize applies them: maps merge key by key and `null` deletes;
//! lists in built-in kinds that Kubernetes merges by a key (containers by `name`, ports by
//! `containerPort`, ...) merge item by item; every other list, and every list of a custom
//! resource (which has no merge keys), is replaced. `$patch: delete` removes a list item or, at
//! the top, the object; `$patch: replace` replaces a map.

use flinkwasm_sdk::{Map, Value};

/// API groups whose kinds have Kubernetes' built-in merge keys.
const BUILTIN_GROUPS: &[&str] = &["", "apps", "batch", "policy", "networking.k8s.io"];

/// The merge key of a list field of a built-in kind, by field name.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "hostAliases" => match field {
            "hostAliases" => "ip",
            _ => "name",
        },
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "port-or-containerPort",
        _ => return None,
    })
}

/// What applying a patch to an object did.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The object was patched.
    Patched,
    /// The patch asked to delete the object (`$patch: delete`).
    Deleted,
}

/// Applies `patch` to `target`. `builtin` says whether the object's kind has built-in merge keys.
pub fn apply(target: &mut Value, patch: &Value, builtin: bool) -> Outcome {
    if directive(patch) == Some("delete") {
        return Outcome::Deleted;
    }
    merge(target, patch, builtin);
    Outcome::Patched
}

/// True for an object whose group has built-in merge keys.
pub fn is_builtin(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    BUILTIN_GROUPS.contains(&group)
}

fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

fn merge(target: &mut Value, patch: &Value, builtin: bool) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if directive(patch) == Some("replace") || !target.is_object() {
        let mut fresh = patch_map.clone();
        fresh.remove("$patch");
        *target = Value::Object(strip(fresh));
        return;
    }
    let Value::Object(target_map) = target else {
        return;
    };
    for (key, value) in patch_map {
        if key == "$patch" {
            continue;
        }
        match value {
            Value::Null => {
                target_map.remove(key);
            }
            Value::Array(items) if builtin => {
                let key_field = merge_key(key);
                match (key_field, target_map.get_mut(key)) {
                    (Some(k), Some(Value::Array(existing))) => merge_list(existing, items, k),
                    _ => {
                        let kept: Vec<Value> = items
                            .iter()
                            .filter(|i| directive(i) != Some("delete"))
                            .cloned()
                            .collect();
                        target_map.insert(key.clone(), Value::Array(kept));
                    }
                }
            }
            _ => merge(
                target_map.entry(key.clone()).or_insert(Value::Null),
                value,
                builtin,
            ),
        }
    }
}

fn strip(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|_, v| !v.is_null());
    map
}

fn item_key<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    if key == "port-or-containerPort" {
        item.get("containerPort").or_else(|| item.get("port"))
    } else {
        item.get(key)
    }
}

fn merge_list(existing: &mut Vec<Value>, items: &[Value], key: &str) {
    for item in items {
        let Some(k) = item_key(item, key) else {
            existing.push(item.clone());
            continue;
        };
        let position = existing.iter().position(|e| item_key(e, key) == Some(k));
        match (position, directive(item)) {
            (Some(i), Some("delete")) => {
                existing.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => merge(&mut existing[i], item, true),
            (None, _) => {
                let mut fresh = item.clone();
                if let Value::Object(m) = &mut fresh {
                    m.remove("$patch");
                }
                existing.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinkwasm_sdk::json;

    #[test]
    fn containers_merge_by_name_and_custom_lists_replace() {
        let mut dep = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ]}}}});
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "Y", "value": "2"}]},
            {"name": "b", "$patch": "delete"}
        ]}}}});
        assert_eq!(apply(&mut dep, &patch, true), Outcome::Patched);
        assert_eq!(
            dep["spec"]["template"]["spec"]["containers"],
            json!([{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}])
        );
        let mut cr = json!({"spec": {"list": [1, 2], "keep": 1, "drop": 2}});
        apply(
            &mut cr,
            &json!({"spec": {"list": [3], "drop": null}}),
            false,
        );
        assert_eq!(cr, json!({"spec": {"list": [3], "keep": 1}}));
        assert_eq!(
            apply(&mut cr, &json!({"$patch": "delete"}), false),
            Outcome::Deleted
        );
    }
}
