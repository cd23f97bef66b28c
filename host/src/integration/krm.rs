//! The KRM function interface (kustomize and kpt): a `ResourceList` in on stdin, a
//! `ResourceList` out on stdout with the plugins' diagnostics as `results`.
//!
//! The `functionConfig` is a `ConfigMap` (what `kpt fn eval -- key=value` makes) whose `data`
//! may hold `pipeline` (a pipeline file or directory), `plugins` (comma-separated names) and
//! `cluster`. Items keep every annotation, `internal.config.kubernetes.io/*` included, and a
//! result names the file of the object it is about.

use super::{Empty, Integration, load_pipeline, read_stdin};
use crate::error;
use crate::held::Entry;
use crate::pipeline::PipelineFile;
use crate::plan::{Caller, Options};
use crate::report::Reported;
use crate::run::{Hooks, Input, Rendered};
use crate::runtime::wit;
use crate::stream::{self, Object};
use crate::text::safe;
use anyhow::Result;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `apiVersion` of `ResourceList`.
pub const API_VERSION: &str = "config.kubernetes.io/v1";

/// A KRM function call: a `ResourceList` on stdin (read when the call is made), one on stdout.
#[derive(Debug)]
pub struct Krm {
    /// The pipeline from the command line or the environment, used when the functionConfig
    /// names none.
    pub pipeline: Option<PathBuf>,
    list: ResourceList,
}

impl Krm {
    /// Reads the `ResourceList` on stdin.
    pub fn from_stdin(pipeline: Option<PathBuf>) -> Result<Krm> {
        let list = parse(&read_stdin()?)?;
        Ok(Krm { pipeline, list })
    }
}

/// An item keeps its file inside the package ([`crate::annotations::krm_path`]).
impl Hooks for Krm {
    fn returned_object(&self, plugin: &str, entry: &Entry, head: &Object) -> Result<()> {
        crate::annotations::krm_path(plugin, entry, head)
    }
}

impl Integration for Krm {
    fn pipeline(&self) -> Result<(PipelineFile, PathBuf)> {
        // The functionConfig comes with the package, which is untrusted: its pipeline must be
        // a file of the directory the function runs in, like every file a pipeline reads.
        let named = match &self.list.config.pipeline {
            Some(p) => Some(
                crate::files::Root::new(Path::new("."))?
                    .resolve(p, "functionConfig.data.pipeline")?,
            ),
            None => self.pipeline.clone(),
        };
        load_pipeline(named.as_deref())
    }

    fn options(&self) -> Result<Options> {
        Ok(Options {
            cluster: self.list.config.cluster.clone(),
            only: self.list.config.plugins.clone(),
            ..Options::new(Caller::Krm)
        })
    }

    fn input(&mut self) -> Result<Input> {
        Ok(Input::Objects(std::mem::take(&mut self.list.items)))
    }

    fn empty(&self) -> Empty {
        Empty::RefusedWhenEmptied
    }

    fn write(&self, rendered: Rendered, out: &mut dyn Write) -> Result<()> {
        let objects = rendered.stream.objects()?;
        let results = results(&rendered.diagnostics, &objects);
        out.write_all(write(objects, results).as_bytes())?;
        Ok(())
    }
}

/// What the `functionConfig` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionConfig {
    /// A pipeline file or directory.
    pub pipeline: Option<String>,
    /// Run only these plugins.
    pub plugins: Vec<String>,
    /// The cluster.
    pub cluster: Option<String>,
}

/// A parsed `ResourceList`.
#[derive(Debug)]
pub struct ResourceList {
    /// The items.
    pub items: Vec<Object>,
    /// The function config.
    pub config: FunctionConfig,
}

/// Parses the `ResourceList` on stdin.
pub fn parse(text: &str) -> Result<ResourceList> {
    let mut docs = stream::parse_values(text, "stdin")?;
    if docs.len() != 1 {
        return Err(error::input(format!(
            "stdin: a KRM function reads exactly one ResourceList, got {} documents",
            docs.len()
        )));
    }
    let Value::Object(mut list) = docs.remove(0) else {
        return Err(error::input("stdin: the ResourceList is not a mapping"));
    };
    let kind = list.get("kind").and_then(Value::as_str).unwrap_or_default();
    let api = list
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "ResourceList" || !api.starts_with("config.kubernetes.io/") {
        return Err(error::input(format!(
            "stdin: expected a config.kubernetes.io/v1 ResourceList, got {api} {kind}"
        )));
    }
    let items = match list.remove("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(error::input("stdin: ResourceList.items is not a list")),
    };
    let mut objects = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(obj) = item else {
            return Err(error::input(format!("items[{i}] is not a mapping")));
        };
        stream::validate(&obj).map_err(|why| error::input(format!("items[{i}]: {why}")))?;
        objects.push(obj);
    }
    let config = function_config(list.get("functionConfig"))?;
    Ok(ResourceList {
        items: objects,
        config,
    })
}

fn function_config(value: Option<&Value>) -> Result<FunctionConfig> {
    let Some(Value::Object(fc)) = value else {
        return Ok(FunctionConfig::default());
    };
    let kind = fc.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind != "ConfigMap" {
        return Err(error::input(format!(
            "functionConfig: expected a ConfigMap (data: pipeline, plugins, cluster), got {kind}"
        )));
    }
    let mut out = FunctionConfig::default();
    if let Some(Value::Object(data)) = fc.get("data") {
        for (key, value) in data {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match key.as_str() {
                "pipeline" => out.pipeline = Some(text),
                "cluster" => out.cluster = Some(text),
                "plugins" => {
                    out.plugins = text
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                other => {
                    return Err(error::input(format!(
                        "functionConfig.data.{other}: unknown key (known: pipeline, plugins, cluster)"
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// Where an item came from, per the KRM annotations (new and legacy).
fn file_of(objects: &[Object], r: &wit::ResourceRef) -> Option<Value> {
    let obj = objects.iter().find(|o| {
        let meta = o.get("metadata");
        o.get("kind").and_then(Value::as_str) == Some(&r.kind)
            && meta.and_then(|m| m.get("name")).and_then(Value::as_str) == Some(&r.name)
            && meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                == r.namespace.as_deref()
    })?;
    let ann = obj.get("metadata")?.get("annotations")?;
    let get = |k: &str| {
        ann.get(format!("internal.config.kubernetes.io/{k}"))
            .or_else(|| ann.get(format!("config.kubernetes.io/{k}")))
            .and_then(Value::as_str)
    };
    let path = get("path")?;
    let mut file = json!({"path": path});
    if let Some(index) = get("index").and_then(|i| i.parse::<u64>().ok()) {
        file["index"] = json!(index);
    }
    Some(file)
}

/// The `results` for the plugins' diagnostics.
pub fn results(diagnostics: &[Reported], objects: &[Object]) -> Vec<Value> {
    diagnostics
        .iter()
        .map(|r| {
            let d = &r.diagnostic;
            let mut result = Map::new();
            // kpt prints results raw to the terminal: plugin text goes out as safe lines.
            result.insert(
                "message".into(),
                Value::from(format!("{}: {}", r.plugin, safe(&d.message))),
            );
            let severity = match d.severity {
                wit::Severity::Error => "error",
                wit::Severity::Warning => "warning",
                wit::Severity::Info => "info",
            };
            result.insert("severity".into(), Value::from(severity));
            if let Some(o) = &d.object {
                let mut rr = json!({
                    "apiVersion": safe(&o.api_version),
                    "kind": safe(&o.kind),
                    "name": safe(&o.name),
                });
                if let Some(ns) = &o.namespace {
                    rr["namespace"] = json!(safe(ns));
                }
                result.insert("resourceRef".into(), rr);
                if let Some(file) = file_of(objects, o) {
                    result.insert("file".into(), file);
                }
            }
            if let Some(f) = &d.field {
                result.insert("field".into(), json!({"path": safe(f)}));
            }
            Value::Object(result)
        })
        .collect()
}

/// The output `ResourceList`.
pub fn write(items: Vec<Object>, results: Vec<Value>) -> String {
    let mut list = Map::new();
    list.insert("apiVersion".into(), Value::from(API_VERSION));
    list.insert("kind".into(), Value::from("ResourceList"));
    list.insert(
        "items".into(),
        Value::Array(items.into_iter().map(Value::Object).collect()),
    );
    if !results.is_empty() {
        list.insert("results".into(), Value::Array(results));
    }
    let mut out = String::new();
    crate::emit::mapping_document(&mut out, &list);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_list_and_function_config() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations: {internal.config.kubernetes.io/path: a.yaml, internal.config.kubernetes.io/index: '0'}\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fc}\n  data: {cluster: homelab, plugins: 'monitoring, cmf'}\n";
        let list = parse(text).unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.config.cluster.as_deref(), Some("homelab"));
        assert_eq!(list.config.plugins, ["monitoring", "cmf"]);
        let r = wit::ResourceRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "a".into(),
            namespace: None,
        };
        assert_eq!(
            file_of(&list.items, &r),
            Some(json!({"path": "a.yaml", "index": 0}))
        );
        let bad = text.replace("plugins:", "plugin:");
        assert!(parse(&bad).unwrap_err().to_string().contains("data.plugin"));
    }
}
