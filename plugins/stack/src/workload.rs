//! Enforcing the stack's settings on a chart's own Deployment when post-rendering: the namespace
//! it must already be in (a release in another namespace is refused, not half moved), labels
//! and annotations on the object and its pod template, and one container's resources.

use crate::labels;
use crate::resources::Requirements;
use flinkwasm_sdk::prelude::*;
use std::collections::BTreeMap;

/// What to enforce on a Deployment.
#[derive(Debug, Clone)]
pub struct Enforce<'a> {
    /// `app.kubernetes.io/component`.
    pub component: &'a str,
    /// The namespace it must already be in.
    pub namespace: &'a str,
    /// The container whose resources are set; the first container when absent.
    pub container: &'a str,
    /// Its resources.
    pub resources: &'a Requirements,
    /// Extra labels for the object and its pods.
    pub labels: &'a BTreeMap<String, String>,
    /// Extra annotations for its pods.
    pub annotations: &'a BTreeMap<String, String>,
}

impl Enforce<'_> {
    /// Applies the settings to `m`, reporting what it changed that the chart had set otherwise;
    /// a Deployment in another namespace is an error that says how to install the release.
    pub fn apply(&self, m: &mut Manifest, diags: &mut Vec<Diagnostic>) -> Result<(), Error> {
        let reference = m.reference();
        // Only the Deployment could be moved here: the release's ServiceAccount, ConfigMap,
        // RBAC and Service stay in the namespace Helm installs into, so a moved Deployment
        // would start without its ServiceAccount and configuration. Refuse instead.
        if let Some(ns) = m.namespace()
            && ns != self.namespace
        {
            return Err(Diagnostic::error(format!(
                "the release is installed into namespace {ns}, but the stack runs {} in {}: \
                 only this Deployment could be moved, and the chart's ServiceAccount, \
                 ConfigMap, RBAC and Service would stay in {ns}; install the release with \
                 `-n {}` (helm install ... -n {}), or keep it in {ns} by running flinkwasm \
                 with --namespace {ns} (or the plugin's namespace: {ns})",
                self.component, self.namespace, self.namespace, self.namespace
            ))
            .on(reference)
            .at("metadata.namespace")
            .into());
        }
        m.set_namespace(self.namespace);
        labels::stack(m, self.component);
        for (k, v) in self.labels {
            m.set_label(k, v);
        }
        let template_labels = m.entry(&["spec", "template", "metadata", "labels"]);
        if !template_labels.is_object() {
            *template_labels = Value::Object(Map::new());
        }
        if let Some(map) = template_labels.as_object_mut() {
            map.insert(labels::COMPONENT_LABEL.into(), self.component.into());
            map.insert(labels::PART_OF_LABEL.into(), crate::PART_OF.into());
            for (k, v) in self.labels {
                map.insert(k.clone(), v.as_str().into());
            }
        }
        if !self.annotations.is_empty() {
            let ann = m.entry(&["spec", "template", "metadata", "annotations"]);
            if !ann.is_object() {
                *ann = Value::Object(Map::new());
            }
            if let Some(map) = ann.as_object_mut() {
                for (k, v) in self.annotations {
                    map.insert(k.clone(), v.as_str().into());
                }
            }
        }
        let Some(Value::Array(containers)) = m.as_map_mut().get_mut("spec").and_then(|s| {
            s.get_mut("template")
                .and_then(|t| t.get_mut("spec"))
                .and_then(|p| p.get_mut("containers"))
        }) else {
            return Err(
                Diagnostic::error("the Deployment has no containers to give resources to")
                    .on(reference)
                    .at("spec.template.spec.containers")
                    .into(),
            );
        };
        let index = containers
            .iter()
            .position(|c| c.get("name").and_then(Value::as_str) == Some(self.container))
            .unwrap_or(0);
        let Some(container) = containers.get_mut(index).and_then(Value::as_object_mut) else {
            return Err(
                Diagnostic::error("the Deployment has no containers to give resources to")
                    .on(reference)
                    .at("spec.template.spec.containers")
                    .into(),
            );
        };
        let wanted = self.resources.to_json();
        if let Some(had) = container.get("resources")
            && had != &wanted
            && had.as_object().is_some_and(|o| !o.is_empty())
        {
            diags.push(
                Diagnostic::info(format!(
                    "resources set to the stack's {wanted} (the chart had {had})"
                ))
                .on(reference)
                .at(format!("spec.template.spec.containers[{index}].resources")),
            );
        }
        container.insert("resources".into(), wanted);
        Ok(())
    }
}
