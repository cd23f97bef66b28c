//! The subset of kustomize's `Kustomization` an overlay may use, parsed strictly: a field this
//! plugin does not implement is an error naming it, never silently ignored.

use flinkwasm_sdk::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fields of a kustomization this plugin applies.
pub const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
];

/// A kustomization (`kustomize.config.k8s.io/v1beta1`), as far as overlays go.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kustomization {
    /// `kustomize.config.k8s.io/v1beta1` (or v1alpha1 for a Component).
    pub api_version: Option<String>,
    /// `Kustomization` or `Component`.
    pub kind: Option<String>,
    /// Ignored, as kustomize does.
    #[allow(dead_code)]
    pub metadata: Option<Value>,
    /// Directories (the base: the stream) or granted files whose objects are added.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Namespace set on every namespaced object.
    pub namespace: Option<String>,
    /// Labels added to objects, selectors and pod templates.
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    /// Labels with control over selectors and templates.
    #[serde(default)]
    pub labels: Vec<Labels>,
    /// Annotations added to objects and pod templates.
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    /// Patches (strategic merge or JSON 6902), by file or inline, with optional targets.
    #[serde(default)]
    pub patches: Vec<Patch>,
    /// Legacy: strategic merge patch files (or inline documents).
    #[serde(default)]
    pub patches_strategic_merge: Vec<String>,
    /// Legacy: JSON 6902 patch files with targets.
    #[serde(default)]
    pub patches_json6902: Vec<Patch>,
}

/// One `labels:` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Labels {
    /// The labels.
    #[serde(default)]
    pub pairs: BTreeMap<String, String>,
    /// Also add them to selectors (and templates).
    #[serde(default)]
    pub include_selectors: bool,
    /// Also add them to pod templates.
    #[serde(default)]
    pub include_templates: bool,
}

/// One patch.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    /// A file relative to the kustomization.
    pub path: Option<String>,
    /// The patch, inline.
    pub patch: Option<String>,
    /// Which objects it applies to; without it a strategic merge patch names its object.
    pub target: Option<Target>,
    /// kustomize's patch options (`allowNameChange`, `allowKindChange`) are not supported.
    pub options: Option<BTreeMap<String, bool>>,
}

/// A patch target (exact values; kustomize's regular expressions are not supported).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// API group (`""` for core).
    pub group: Option<String>,
    /// API version.
    pub version: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Label selector (`k=v,k!=v,k`).
    pub label_selector: Option<String>,
    /// Annotation selector (same syntax).
    pub annotation_selector: Option<String>,
}

/// Parses a kustomization file, naming an unsupported field.
pub fn parse(text: &str) -> Result<Kustomization, String> {
    let value: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if let Value::Object(map) = &value {
        if let Some(key) = map.keys().find(|k| !SUPPORTED.contains(&k.as_str())) {
            return Err(format!(
                "field `{key}` is not supported by cluster-overlay (supported: {})",
                SUPPORTED.join(", ")
            ));
        }
    } else {
        return Err("a kustomization must be a mapping".to_string());
    }
    let k: Kustomization = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if let Some(api) = &k.api_version
        && !api.starts_with("kustomize.config.k8s.io/")
    {
        return Err(format!("apiVersion {api} is not kustomize.config.k8s.io/*"));
    }
    if let Some(kind) = &k.kind
        && kind != "Kustomization"
        && kind != "Component"
    {
        return Err(format!("kind {kind} is not Kustomization or Component"));
    }
    Ok(k)
}
