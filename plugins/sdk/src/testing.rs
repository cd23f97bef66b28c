//! Runs a plugin natively in its own crate's tests, the way the host runs it (feature
//! `testing`, for dev-dependencies; like kubewarden's policy test helpers).
//!
//! ```ignore
//! use flinkwasm_sdk::testing;
//!
//! let ctx = testing::context()
//!     .post_rendering()
//!     .with_config(json!({"namespace": "confluent"}));
//! let run = testing::run::<MyPlugin>(&ctx, "apiVersion: v1\nkind: ConfigMap\n...").unwrap();
//! assert!(run.errors().is_empty(), "{:?}", run.diagnostics);
//! run.assert_yaml("apiVersion: v1\nkind: ConfigMap\n...");
//! ```
//!
//! What the host does around a plugin, [`run`] does too, so a test sees what a pipeline would:
//! the config is checked against the schema the plugin describes (with the `jsonschema` crate,
//! as the host checks it), the plugin is given only the objects its `select` matches, as JSON
//! text, and its output is merged back (the others keep their places, added objects come
//! last; returning an object it was not given is refused). The host's own reviews (emission
//! policy, secret values, the wiring check) are not repeated: the host's tests cover them.

use crate::plugin::{Info, run_texts};
use crate::{Context, Diagnostic, Manifest, Map, Plugin, Severity, Value};
use std::collections::HashSet;
use std::fmt::Write as _;

/// The context a test starts from: cluster `default`, namespace `confluent`, release
/// `confluent-platform-flink`, called by `render` (so generating), Kubernetes 1.31.0 serving `v1` and `apps/v1`,
/// an empty config and no files. Change it with the `with_*` methods.
pub fn context() -> Context {
    Context {
        cluster: "default".into(),
        namespace: "confluent".into(),
        release: "confluent-platform-flink".into(),
        generate: true,
        caller: "render".into(),
        kube_version: "1.31.0".into(),
        api_versions: vec!["apps/v1".into(), "v1".into()],
        config: Map::new(),
        files: Vec::new(),
    }
}

impl Context {
    /// The same context as a Helm post-render gives it: caller `post-render`, not generating.
    pub fn post_rendering(self) -> Self {
        self.with_caller("post-render", false)
    }

    /// The same context from another caller, generating or not (`krm` does not, `argocd-cmp`
    /// does).
    pub fn with_caller(mut self, caller: &str, generate: bool) -> Self {
        self.caller = caller.into();
        self.generate = generate;
        self
    }

    /// The same context for another cluster.
    pub fn with_cluster(mut self, cluster: &str) -> Self {
        self.cluster = cluster.into();
        self
    }

    /// The same context with another default namespace.
    pub fn with_namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The same context with this plugin config (a JSON object; anything else panics, as a
    /// test's own mistake).
    pub fn with_config(mut self, config: Value) -> Self {
        match config {
            Value::Object(map) => self.config = map,
            other => panic!("a plugin config is a JSON object, not {other}"),
        }
        self
    }

    /// The same context with the cluster also serving `api_version` (e.g.
    /// `monitoring.coreos.com/v1`).
    pub fn with_api(mut self, api_version: &str) -> Self {
        self.api_versions.push(api_version.into());
        self.api_versions.sort();
        self.api_versions.dedup();
        self
    }

    /// The same context with `content` granted as the file `path`.
    pub fn with_file(mut self, path: &str, content: &str) -> Self {
        self.files.retain(|(p, _)| p != path);
        self.files.push((path.into(), content.into()));
        self.files.sort();
        self
    }
}

/// What a plugin's run gave back, merged into the stream as the host merges it.
#[derive(Debug, Clone)]
pub struct Run {
    /// The stream after the plugin.
    pub manifests: Vec<Manifest>,
    /// The plugin's findings; when `run` returned an error, that error alone (as the host
    /// receives it).
    pub diagnostics: Vec<Diagnostic>,
    /// What the plugin logged, one `Level: message` line each.
    pub logs: Vec<String>,
}

impl Run {
    /// The findings of one severity.
    pub fn of(&self, severity: Severity) -> Vec<&Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .collect()
    }

    /// The error findings (any of them fails a pipeline).
    pub fn errors(&self) -> Vec<&Diagnostic> {
        self.of(Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> Vec<&Diagnostic> {
        self.of(Severity::Warning)
    }

    /// The one error the run failed with; panics (a test's failure) when it did not fail.
    pub fn error(&self) -> &Diagnostic {
        match self.errors().first() {
            Some(d) => d,
            None => panic!("the plugin did not fail: {:#?}", self.diagnostics),
        }
    }

    /// The object of `kind` named `name`, if the stream has one.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Manifest> {
        self.manifests
            .iter()
            .find(|m| m.kind() == kind && m.name() == name)
    }

    /// Every object of `kind`.
    pub fn all(&self, kind: &str) -> Vec<&Manifest> {
        self.manifests.iter().filter(|m| m.kind() == kind).collect()
    }

    /// The stream as YAML, `---` before each object, keys sorted.
    pub fn yaml(&self) -> String {
        to_yaml(&self.manifests)
    }

    /// Panics, showing both streams, unless the stream is the objects of `expected` (a YAML
    /// stream), in that order.
    pub fn assert_yaml(&self, expected: &str) {
        assert_yaml_eq(&self.manifests, expected);
    }
}

/// Runs plugin `P` over the YAML stream `input` in `ctx`, as the host would. `Err` is what the
/// host would refuse before or after the plugin ran (a config its schema refuses, an input
/// that is not a stream of objects, an object returned that the plugin was not given); the
/// plugin's own errors are in [`Run::diagnostics`].
pub fn run<P: Plugin>(ctx: &Context, input: &str) -> Result<Run, String> {
    let info = P::info();
    let config = Value::Object(ctx.config.clone());
    check(&info.config_schema, &config)
        .map_err(|p| format!("plugin {}: invalid config: {}", info.name, p.join("; ")))?;
    let stream = manifests(input)?;
    let given: Vec<bool> = stream.iter().map(|m| selects(&info, m)).collect();
    let texts = stream
        .iter()
        .zip(&given)
        .filter(|(_, g)| **g)
        .map(|(m, _)| m.clone().into_json())
        .collect();
    crate::log::take_native();
    let result = run_texts::<P>(ctx, texts);
    let logs = crate::log::take_native();
    let (returned, diagnostics) = match result {
        Ok(out) => (out.manifests, out.diagnostics),
        // The host receives an error alone, with no stream: a failed step leaves nothing to
        // merge, so the run's stream is empty rather than the objects the plugin was not given.
        Err(error) => {
            return Ok(Run {
                manifests: Vec::new(),
                diagnostics: vec![*error.0],
                logs,
            });
        }
    };
    // What the host reads back is the JSON text the plugin returns.
    let returned = returned
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            Manifest::from_json(m.into_json())
                .map_err(|why| format!("returned manifest {} {why}", i + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let manifests = if info.select.is_some() {
        merge(ctx, stream, &given, returned)?
    } else {
        returned
    };
    Ok(Run {
        manifests,
        diagnostics,
        logs,
    })
}

/// Whether the host gives `m` to the plugin described by `info`: every non-empty list of its
/// `select` must name the object's group and kind.
fn selects(info: &Info, m: &Manifest) -> bool {
    info.select.as_ref().is_none_or(|(groups, kinds)| {
        (groups.is_empty() || groups.iter().any(|g| g == m.group()))
            && (kinds.is_empty() || kinds.iter().any(|k| k == m.kind()))
    })
}

/// An object's identity as the cluster compares it: group, kind, the namespace it lands in
/// (the run's when it names none), name.
fn key(ctx: &Context, m: &Manifest) -> (String, String, String, String) {
    (
        m.group().to_string(),
        m.kind().to_string(),
        m.namespace().unwrap_or(&ctx.namespace).to_string(),
        m.name().to_string(),
    )
}

/// The host's merge of a plugin with a `select`: objects it was not given keep their places,
/// a returned object takes the place of the given one with its identity, the rest come last.
fn merge(
    ctx: &Context,
    stream: Vec<Manifest>,
    given: &[bool],
    returned: Vec<Manifest>,
) -> Result<Vec<Manifest>, String> {
    let withheld: HashSet<_> = stream
        .iter()
        .zip(given)
        .filter(|(_, g)| !**g)
        .map(|(m, _)| key(ctx, m))
        .collect();
    let keys: Vec<_> = stream.iter().map(|m| key(ctx, m)).collect();
    let mut placed: Vec<Option<Manifest>> = stream
        .into_iter()
        .zip(given)
        .map(|(m, g)| (!*g).then_some(m))
        .collect();
    let mut added = Vec::new();
    for m in returned {
        let k = key(ctx, &m);
        if withheld.contains(&k) {
            return Err(format!(
                "the plugin returned {}/{}, an object it was not given (outside its select)",
                m.kind(),
                m.name()
            ));
        }
        let origin = (0..keys.len()).find(|&i| given[i] && keys[i] == k && placed[i].is_none());
        match origin {
            Some(i) => placed[i] = Some(m),
            None => added.push(m),
        }
    }
    Ok(placed.into_iter().flatten().chain(added).collect())
}

/// The objects of a YAML (or JSON) stream; empty documents are skipped.
pub fn manifests(yaml: &str) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let value = <Value as serde::Deserialize>::deserialize(doc)
            .map_err(|e| format!("document {}: {e}", i + 1))?;
        match value {
            Value::Null => {}
            Value::Object(map) => out.push(Manifest::new(map)),
            other => return Err(format!("document {}: not an object: {other}", i + 1)),
        }
    }
    Ok(out)
}

/// `manifests` as a YAML stream, `---` before each object, keys sorted.
pub fn to_yaml(manifests: &[Manifest]) -> String {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n");
        match serde_yaml::to_string(m.as_map()) {
            Ok(text) => out.push_str(&text),
            Err(e) => {
                let _ = writeln!(out, "# not YAML: {e}");
            }
        }
    }
    out
}

/// Panics, showing both streams, unless `actual` holds the objects of the YAML stream
/// `expected`, in that order (compared as values: formatting and key order do not count).
pub fn assert_yaml_eq(actual: &[Manifest], expected: &str) {
    let wanted = match manifests(expected) {
        Ok(w) => w,
        Err(e) => panic!("the expected YAML is not a stream of objects: {e}"),
    };
    if actual != wanted.as_slice() {
        panic!(
            "the stream differs from the expected one\n--- got:\n{}\n--- expected:\n{}",
            to_yaml(actual),
            to_yaml(&wanted)
        );
    }
}

/// Checks `config` against `schema` with the `jsonschema` crate, as the host does; each
/// problem names its dotted path (`config.kafka.tls: unknown key`).
pub fn check(schema: &Value, config: &Value) -> Result<(), Vec<String>> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| vec![format!("the schema is invalid: {e}")])?;
    let mut problems: Vec<String> = validator
        .iter_errors(config)
        .map(|e| {
            let path = dotted(e.instance_path().as_str());
            match e.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected
                        .iter()
                        .map(|k| format!("{path}.{k}: unknown key"))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
                _ => format!("{path}: {e}"),
            }
        })
        .collect();
    problems.sort();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Checks `config` against the schema plugin `P` describes.
pub fn check_config<P: Plugin>(config: &Value) -> Result<(), Vec<String>> {
    check(&P::info().config_schema, config)
}

/// The samples `schema` judges otherwise than the table says: each `(config, valid)` must be
/// accepted exactly when `valid`. A table of sample configs run against two schemas (say, a
/// hand-written one and the one derived from the config type) shows they accept and refuse
/// the same configs.
pub fn misjudged(schema: &Value, samples: &[(Value, bool)]) -> Vec<String> {
    samples
        .iter()
        .filter_map(|(config, valid)| match (check(schema, config), valid) {
            (Ok(()), true) | (Err(_), false) => None,
            (Ok(()), false) => Some(format!("{config}: accepted, but the table refuses it")),
            (Err(why), true) => Some(format!("{config}: refused ({})", why.join("; "))),
        })
        .collect()
}

/// The configs a pipeline file (`flinkwasm.yaml`, YAML) gives the plugin named `plugin` (a
/// `builtin:` or `name:` entry): the entry's own config, then for each cluster with a config
/// for it, that config merged over the entry's (a JSON merge patch, as the host merges it).
/// A test runs every pipeline of the repository through the schema this way, so an example
/// the schema no longer accepts fails the plugin's own tests.
pub fn pipeline_configs(pipeline: &str, plugin: &str) -> Result<Vec<Value>, String> {
    let docs = manifests(pipeline)?;
    let mut out = Vec::new();
    for doc in &docs {
        let spec = doc.as_map().get("spec");
        let entries = spec
            .and_then(|s| s.get("plugins"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| {
                let named = |key: &str| e.get(key).and_then(Value::as_str) == Some(plugin);
                named("builtin") || named("name")
            });
        for entry in entries {
            let base = entry
                .get("config")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            out.push(base.clone());
            let clusters = spec
                .and_then(|s| s.get("clusters"))
                .and_then(Value::as_object)
                .into_iter()
                .flatten();
            for (_, cluster) in clusters {
                if let Some(patch) = cluster.get("config").and_then(|c| c.get(plugin)) {
                    let mut merged = base.clone();
                    crate::merge_patch(&mut merged, patch);
                    out.push(merged);
                }
            }
        }
    }
    Ok(out)
}

/// The dotted paths of the properties `schema` gives no description (`flinkwasm plugins
/// inspect` and Argo CD's parameter UI would show them bare): with a derived schema, the
/// fields of the config type that have no doc comment.
pub fn undescribed(schema: &Value) -> Vec<String> {
    fn walk(node: &Value, path: &str, out: &mut Vec<String>) {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (key, sub) in props {
                let here = format!("{path}.{key}");
                let described = sub
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.trim().is_empty());
                // A tag's `const` says all there is to say about it.
                if !described && sub.get("const").is_none() {
                    out.push(here.clone());
                }
                walk(sub, &here, out);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for sub in node
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(sub, path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, "config", &mut out);
    out.sort();
    out.dedup();
    out
}

/// A JSON pointer as the dotted path under `config` the host names in its errors.
fn dotted(pointer: &str) -> String {
    let mut out = String::from("config");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Output, Role, json};

    /// Labels what it is given; refuses a ConfigMap named `bad`; adds a ConfigMap.
    struct Labeller;

    impl Plugin for Labeller {
        fn info() -> Info {
            Info::new("labeller", "0.1.0", "test", Role::Transformer)
                .schema(json!({"type": "object", "additionalProperties": false,
                               "properties": {"team": {"type": "string"}}}))
                .select(&[""], &["ConfigMap"])
        }

        fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
            crate::log::info("labelling");
            let team: String = ctx.config_value("team").unwrap_or_default();
            for m in &mut manifests {
                if m.name() == "bad" {
                    return Err(Diagnostic::error("bad").on(m.reference()).into());
                }
                m.set_label("team", &team);
            }
            manifests.push(Manifest::build("v1", "ConfigMap", "added", None));
            Ok(Output::new(manifests))
        }
    }

    #[test]
    fn pipeline_configs_merge_each_cluster_over_the_entry() {
        let pipeline = "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nspec:\n  plugins:\n    - builtin: labeller\n      config: {team: a, extra: {x: 1}}\n    - builtin: other\n  clusters:\n    one: {}\n    two:\n      config:\n        labeller: {extra: null}\n";
        assert_eq!(
            pipeline_configs(pipeline, "labeller").unwrap(),
            [
                json!({"team": "a", "extra": {"x": 1}}),
                json!({"team": "a"})
            ]
        );
        assert_eq!(pipeline_configs(pipeline, "other").unwrap(), [json!({})]);
    }

    #[test]
    fn undescribed_names_the_bare_properties() {
        let schema = json!({"properties": {
            "a": {"type": "string", "description": "A."},
            "b": {"type": "object", "properties": {"c": {"type": "string"}}},
            "d": {"oneOf": [{"properties": {"type": {"const": "x"}, "e": {}}}], "description": "D."}
        }});
        assert_eq!(
            undescribed(&schema),
            ["config.b", "config.b.c", "config.d.e"]
        );
    }

    const INPUT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";

    #[test]
    fn runs_like_the_host() {
        let ctx = context().with_config(json!({"team": "a"}));
        let done = run::<Labeller>(&ctx, INPUT).unwrap();
        done.assert_yaml(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {team: a}}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added}\n",
        );
        assert_eq!(done.logs, ["Info: labelling"]);
        assert!(done.yaml().starts_with("---\napiVersion: apps/v1\n"));

        let bad = context().with_config(json!({"team": 1}));
        let refused = run::<Labeller>(&bad, INPUT).unwrap_err();
        assert!(refused.starts_with("plugin labeller: invalid config: config.team: "));
        assert_eq!(
            check_config::<Labeller>(&json!({"tema": "a"})),
            Err(vec!["config.tema: unknown key".to_string()])
        );

        let failed =
            run::<Labeller>(&context(), &INPUT.replace("{name: c}", "{name: bad}")).unwrap();
        assert_eq!(failed.error().message, "bad");
        assert!(failed.manifests.is_empty());
    }
}
