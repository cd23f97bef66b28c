//! Annotations other tools obey, kept the host's.
//!
//! Helm 4 splits a post-rendered stream back into template files by
//! `postrenderer.helm.sh/postrender-filename` (and `helm template --output-dir` writes each file
//! under that name); kpt and kustomize write each KRM item back to the file its
//! `internal.config.kubernetes.io/path` (or legacy `config.kubernetes.io/path`) names. A plugin
//! that could set them could overwrite files outside the chart or the package, or move another
//! object's file. So:
//! - a given object keeps Helm's file annotation as it was (a plugin that drops it gets it back);
//! - an added object's Helm file is `flinkwasm/<plugin>.yaml`, another clean relative path
//!   under `flinkwasm/` the plugin chose, or the file of an object it was given (Helm's own
//!   name: a plugin that turns a given object into another keeps it in its template);
//! - a KRM item's path stays a clean relative path inside the package.
//!
//! Anything else is a plugin error (exit 4) naming the object.

use crate::error;
use crate::held::Returned;
use crate::stream::Object;
use anyhow::Result;
use serde_json::Value;

pub use crate::held::HELM_FILENAME;

/// The annotations by which kpt and kustomize write a KRM item back to its file.
pub const KRM_PATHS: [&str; 2] = [
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
];

/// The directory under which objects a plugin adds are filed for Helm.
const ADDED_DIR: &str = "flinkwasm/";

/// Whether `path` is a clean relative path: not empty, not absolute, no `.` or `..` component,
/// no empty component, no backslash or control character, at most 4,096 bytes.
pub fn clean_relative(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 4096
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// An annotation of `head`, if it is a string.
fn annotation<'a>(head: &'a Object, key: &str) -> Option<&'a Value> {
    head.get("metadata")?.get("annotations")?.get(key)
}

/// Checks (and completes) Helm's file annotation on a returned object. `original` is the file
/// of the given object it came from (`Some(None)` when that object had none), `None` for an
/// added object; `given` holds the files of every object the plugin was given, which an added
/// object may also name (a plugin that turns a given object into another, as lowering the
/// seed's form does, keeps it in its template's file).
pub fn helm_file(
    plugin: &str,
    original: Option<Option<&str>>,
    given: &std::collections::HashSet<&str>,
    r: &mut Returned,
) -> Result<()> {
    let current = r.entry.id.helm_file().map(str::to_string);
    let what = r.entry.id.describe();
    match (original, current) {
        // Returned as given, or the plugin dropped it: it is put back.
        (Some(Some(file)), None) => r.entry.set_helm_file(file.to_string()),
        (Some(Some(file)), Some(now)) if now == file => Ok(()),
        (Some(Some(file)), Some(now)) => Err(error::plugin(format!(
            "plugin {plugin}: changed Helm's {HELM_FILENAME} of {what} from `{}` to `{}`; \
             Helm files objects by it, so a plugin may not move them",
            crate::text::safe(file),
            crate::text::safe(&now)
        ))),
        (Some(None), _) => Ok(()),
        (None, None) => r.entry.set_helm_file(format!("{ADDED_DIR}{plugin}.yaml")),
        (None, Some(now)) if now.starts_with(ADDED_DIR) && clean_relative(&now) => Ok(()),
        (None, Some(now)) if given.contains(now.as_str()) => Ok(()),
        (None, Some(now)) => Err(error::plugin(format!(
            "plugin {plugin}: added {what} with Helm's {HELM_FILENAME} `{}`; an added object \
             is filed under `{ADDED_DIR}` (a clean relative path) or in the file of an object \
             it was given, or left without it",
            crate::text::safe(&now)
        ))),
    }
}

/// Checks that a KRM item (`entry`, whose `apiVersion`, `kind` and `metadata` are `head`)
/// keeps its file inside the package.
pub fn krm_path(plugin: &str, entry: &crate::held::Entry, head: &Object) -> Result<()> {
    for key in KRM_PATHS {
        match annotation(head, key) {
            None => {}
            Some(Value::String(path)) if clean_relative(path) => {}
            Some(other) => {
                let shown = match other {
                    Value::String(s) => crate::text::safe(s).into_owned(),
                    v => v.to_string(),
                };
                return Err(error::plugin(format!(
                    "plugin {plugin}: returned {} with {key} `{shown}`, which is not a clean \
                     relative path inside the package; kpt and kustomize would write the \
                     object there",
                    entry.id.describe()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_relative_paths_pass() {
        for ok in ["a.yaml", "flinkwasm/x.yaml", "dir/sub/file.yml", "a..b/c"] {
            assert!(clean_relative(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x.yaml",
            "a/../../x",
            "a//b",
            "./a",
            "a/.",
            "a\\..\\b",
            "a\nb",
        ] {
            assert!(!clean_relative(bad), "{bad:?}");
        }
    }
}
