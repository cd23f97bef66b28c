//! Lowering the seed's FlinkApplication authoring form to the real `platform.confluent.io`
//! shape, and completing a real one with the fields every CFK example sets.
//!
//! The seed writes `flink.confluent.io/v1beta1` and `flinkEnvironmentRef: {name, namespace}`;
//! CFK's FlinkApplication takes `flinkEnvironment: <name>` and needs `image`, `flinkVersion`,
//! `serviceAccount` and `job.state`.

use crate::config::Config;
use crate::lower::{CFK_API, SEED_GROUP, scalar};
use flinkwasm_sdk::prelude::*;

/// Spec fields a FlinkApplication may carry (seed and real forms together).
const KNOWN_SPEC_FIELDS: &[&str] = &[
    "flinkEnvironmentRef",
    "flinkEnvironment",
    "image",
    "flinkVersion",
    "flinkConfiguration",
    "serviceAccount",
    "jobManager",
    "taskManager",
    "job",
    "podTemplate",
    "cmfRestClassRef",
    "mode",
];

/// Brings one FlinkApplication (seed or real form) to the real shape.
pub fn lower(
    m: Manifest,
    ctx: &Context,
    cfg: &Config,
    environment: &str,
    rest_class: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Manifest, Error> {
    let seed = m.group() == SEED_GROUP;
    let mut app = m;
    let namespace = app
        .namespace()
        .map(str::to_string)
        .unwrap_or_else(|| ctx.namespace.clone());
    if seed {
        app.set_api_version(CFK_API);
        diags.push(
            Diagnostic::info(format!(
                "lowered {SEED_GROUP}/v1beta1 FlinkApplication to {CFK_API}"
            ))
            .on(app.reference())
            .at("apiVersion"),
        );
    }
    let reference = app.reference();
    let Some(Value::Object(spec)) = app.get(&["spec"]) else {
        return Err(Diagnostic::error("a FlinkApplication needs a spec")
            .on(reference)
            .at("spec")
            .into());
    };
    if let Some(key) = spec
        .keys()
        .find(|k| !KNOWN_SPEC_FIELDS.contains(&k.as_str()))
    {
        return Err(Diagnostic::error(format!(
            "spec.{key} is not a field of FlinkApplication (known: {}); it would be lost on the \
             cluster",
            KNOWN_SPEC_FIELDS.join(", ")
        ))
        .on(reference)
        .at(format!("spec.{key}"))
        .into());
    }

    if let Some(env_ref) = app.remove(&["spec", "flinkEnvironmentRef"]) {
        let Some(name) = env_ref.get("name").and_then(Value::as_str) else {
            return Err(Diagnostic::error("spec.flinkEnvironmentRef needs a name")
                .on(reference)
                .at("spec.flinkEnvironmentRef.name")
                .into());
        };
        if let Some(ns) = env_ref.get("namespace").and_then(Value::as_str)
            && ns != namespace
        {
            diags.push(
                Diagnostic::warning(format!(
                    "flinkEnvironmentRef names namespace {ns}, but a FlinkApplication refers to \
                     its environment by name only; it must be reachable from {namespace}"
                ))
                .on(reference.clone())
                .at("spec.flinkEnvironmentRef.namespace"),
            );
        }
        diags.push(
            Diagnostic::info("spec.flinkEnvironmentRef lowered to spec.flinkEnvironment")
                .on(reference.clone())
                .at("spec.flinkEnvironment"),
        );
        app.set(&["spec", "flinkEnvironment"], name);
    }
    let defaults = &cfg.application_defaults;
    let fill: [(&[&str], Value); 5] = [
        (&["spec", "flinkEnvironment"], Value::from(environment)),
        (&["spec", "image"], Value::from(defaults.image())),
        (
            &["spec", "flinkVersion"],
            Value::from(defaults.flink_version()),
        ),
        (
            &["spec", "serviceAccount"],
            Value::from(defaults.service_account()),
        ),
        (&["spec", "job", "state"], Value::from("running")),
    ];
    for (path, value) in fill {
        if app.get(path).is_none() {
            diags.push(
                Diagnostic::info(format!("{} set to {value}", path.join(".")))
                    .on(reference.clone())
                    .at(path.join(".")),
            );
            app.set(path, value);
        }
    }
    if app.get(&["spec", "cmfRestClassRef"]).is_none() {
        app.set(
            &["spec", "cmfRestClassRef"],
            json!({"name": rest_class, "namespace": namespace}),
        );
    }
    if let Some(Value::Object(conf)) = app
        .as_map_mut()
        .get_mut("spec")
        .and_then(|s| s.get_mut("flinkConfiguration"))
    {
        for (key, value) in conf.iter_mut() {
            if !value.is_string() {
                diags.push(
                    Diagnostic::info(format!(
                        "{key}: Flink configuration values are strings; quoted"
                    ))
                    .on(reference.clone())
                    .at(format!("spec.flinkConfiguration[\"{key}\"]")),
                );
                *value = Value::from(scalar(value));
            }
        }
    }
    if let Some(state) = app.get(&["spec", "job", "state"]).and_then(Value::as_str)
        && state != "running"
        && state != "suspended"
    {
        return Err(Diagnostic::error(format!(
            "job.state is {state}; it must be running or suspended"
        ))
        .on(reference)
        .at("spec.job.state")
        .into());
    }
    if let Some(mode) = app
        .get(&["spec", "job", "upgradeMode"])
        .and_then(Value::as_str)
        && !["stateless", "last-state", "savepoint"].contains(&mode)
    {
        return Err(Diagnostic::error(format!(
            "job.upgradeMode is {mode}; it must be stateless, last-state or savepoint"
        ))
        .on(reference)
        .at("spec.job.upgradeMode")
        .into());
    }
    Ok(app)
}
