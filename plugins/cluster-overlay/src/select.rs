//! Which objects a patch applies to: kustomize's patch targets and label/annotation selectors.

use crate::kustomization::Target;
use flinkwasm_sdk::prelude::*;

impl Target {
    /// True when `m` matches every criterion given.
    pub fn matches(&self, m: &Manifest) -> Result<bool, String> {
        let version = m
            .api_version()
            .rsplit_once('/')
            .map(|(_, v)| v)
            .unwrap_or(m.api_version());
        let checks = [
            (self.group.as_deref(), m.group()),
            (self.version.as_deref(), version),
            (self.kind.as_deref(), m.kind()),
            (self.name.as_deref(), m.name()),
            (self.namespace.as_deref(), m.namespace().unwrap_or_default()),
        ];
        if checks
            .iter()
            .any(|(want, have)| want.is_some_and(|w| w != *have))
        {
            return Ok(false);
        }
        let map_at = |key: &str| -> Map<String, Value> {
            m.get(&["metadata", key])
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        if let Some(sel) = &self.label_selector
            && !selector_matches(sel, &map_at("labels"))?
        {
            return Ok(false);
        }
        if let Some(sel) = &self.annotation_selector
            && !selector_matches(sel, &map_at("annotations"))?
        {
            return Ok(false);
        }
        Ok(true)
    }
}

/// Evaluates an equality-based selector (`a=b,c!=d,e,!f`) against a label map.
pub fn selector_matches(selector: &str, labels: &Map<String, Value>) -> Result<bool, String> {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    for term in selector.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let ok = if let Some((k, v)) = term.split_once("!=") {
            get(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            get(k.trim()) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            get(k.trim()).is_none()
        } else if term.contains(' ') || term.contains('(') {
            return Err(format!(
                "selector term `{term}`: only equality selectors (a=b, a!=b, a, !a) are supported"
            ));
        } else {
            get(term).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}
