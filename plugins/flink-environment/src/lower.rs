//! Lowering the seed's FlinkEnvironment authoring form (or the plugin config) to real CFK shape,
//! with the findings an expert would flag.

use crate::config::{Config, DEFAULT_KAFKA, DEFAULT_SCHEMA_REGISTRY};
use flinkwasm_sdk::prelude::*;
use std::collections::BTreeMap;

/// The real API version of CFK's Flink resources.
pub const CFK_API: &str = "platform.confluent.io/v1beta1";
/// The API group the seed (wrongly) uses; accepted as an authoring form.
pub const SEED_GROUP: &str = "flink.confluent.io";
/// The Flink Kubernetes Operator's main container name, which pod templates merge into.
const MAIN_CONTAINER: &str = "flink-main-container";
/// Fields of a seed-form FlinkEnvironment spec that this plugin knows how to place.
const KNOWN_SPEC_FIELDS: &[&str] = &[
    "kafkaCluster",
    "schemaRegistry",
    "flinkConfiguration",
    "kubernetesNamespace",
    "flinkApplicationDefaults",
    "cmfRestClassRef",
];

/// Runs the plugin over the stream.
pub fn run(ctx: &Context, cfg: &Config, manifests: Vec<Manifest>) -> Result<Output, Error> {
    let mut out = Output::default();
    let cmf = crate::security::cmf_side(&manifests);
    let mut policies = Vec::new();
    let mut namespaces: Vec<String> = Vec::new();
    let mut have_environment = false;
    let rest_class = cfg
        .cmf_rest_class
        .name
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let mut have_rest_class = false;
    let environment = cfg.name.as_deref().unwrap_or("default-flink-env");
    for m in manifests {
        if m.kind() == "FlinkApplication"
            && (m.group() == SEED_GROUP || m.group() == "platform.confluent.io")
        {
            let app = crate::application::lower(
                m,
                ctx,
                cfg,
                environment,
                &rest_class,
                &mut out.diagnostics,
            )?;
            out.manifests.push(app);
        } else if m.is(SEED_GROUP, "FlinkEnvironment") {
            have_environment = true;
            let lowered = lower(
                ctx,
                cfg,
                Some(&m),
                &rest_class,
                cmf.as_ref(),
                &mut out.diagnostics,
                &mut policies,
            )?;
            namespaces.extend(flink_namespace(&lowered));
            out.manifests.push(lowered);
        } else if m.is("platform.confluent.io", "FlinkEnvironment") {
            have_environment = true;
            namespaces.extend(flink_namespace(&m));
            if let Some(Value::Object(conf)) = m
                .get(&[
                    "spec",
                    "flinkApplicationDefaults",
                    "spec",
                    "flinkConfiguration",
                ])
                .cloned()
            {
                let reference = m.reference();
                for (key, value) in &conf {
                    flag(
                        key,
                        value,
                        &reference,
                        "spec.flinkApplicationDefaults.spec",
                        &mut out.diagnostics,
                    );
                }
            }
            out.manifests.push(m);
        } else {
            if m.is("platform.confluent.io", "CMFRestClass") && m.name() == rest_class {
                have_rest_class = true;
            }
            out.manifests.push(m);
        }
    }
    let layout = cfg.argocd.layout();
    if ctx.generate && cfg.generate.unwrap_or(true) && !layout.objects() {
        // The root renders no CFK object, only the namespace its Flink pods will run in.
        namespaces.extend(cfg.kubernetes_namespace.clone());
    } else if ctx.generate && cfg.generate.unwrap_or(true) {
        if !have_rest_class {
            out.manifests
                .push(rest_class_manifest(ctx, cfg, &rest_class, cmf.as_ref())?);
        }
        if !have_environment {
            let env = lower(
                ctx,
                cfg,
                None,
                &rest_class,
                cmf.as_ref(),
                &mut out.diagnostics,
                &mut policies,
            )?;
            namespaces.extend(flink_namespace(&env));
            out.manifests.push(env);
        }
    }
    // Flink's pods run in each environment's kubernetesNamespace: it must exist before CMF
    // creates them (and before the policies and metrics Service land there).
    if ctx.generate && cfg.generate.unwrap_or(true) && layout.namespaces() {
        namespaces.sort();
        namespaces.dedup();
        for ns in namespaces {
            if ns != ctx.namespace && !flinkwasm_stack::namespaces::present(&out.manifests, &ns) {
                out.manifests
                    .push(flinkwasm_stack::namespaces::namespace(&ns));
            }
        }
    }
    out.manifests.extend(policies);
    if ctx.generate
        && layout == flinkwasm_stack::argocd::Layout::Whole
        && crate::waves::helm_native(&out.manifests)
    {
        crate::waves::gate(&mut out.manifests);
    }
    if ctx.generate && cfg.argocd.enabled() {
        out.manifests.extend(crate::gitops::application(
            ctx,
            cfg,
            &ctx.namespace,
            &mut out.diagnostics,
        )?);
    }
    Ok(out)
}

fn rest_class_manifest(
    ctx: &Context,
    cfg: &Config,
    name: &str,
    cmf: Option<&crate::security::CmfSide>,
) -> Result<Manifest, Error> {
    let mut m = Manifest::build(CFK_API, "CMFRestClass", name, Some(&ctx.namespace));
    label(&mut m);
    let cmf_namespace = cfg
        .network_policy
        .cmf_namespace
        .as_deref()
        .unwrap_or(&ctx.namespace);
    crate::security::rest_class(cfg, cmf, cmf_namespace, &mut m)?;
    Ok(m)
}

/// The namespace a real FlinkEnvironment runs its pods in.
fn flink_namespace(env: &Manifest) -> Option<String> {
    env.get(&["spec", "kubernetesNamespace"])
        .and_then(Value::as_str)
        .or(env.namespace())
        .map(str::to_string)
}

fn label(m: &mut Manifest) {
    m.set_label("app.kubernetes.io/component", "flink-environment");
    m.set_label("app.kubernetes.io/part-of", "confluent-platform-flink");
}

/// The seed's Flink defaults, under their real option names.
fn default_configuration() -> BTreeMap<String, Value> {
    [
        ("taskmanager.numberOfTaskSlots", "2"),
        ("state.backend.type", "rocksdb"),
        ("state.checkpoints.dir", "file:///tmp/flink-checkpoints"),
        ("execution.checkpointing.interval", "60s"),
        ("execution.checkpointing.mode", "EXACTLY_ONCE"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::from(v)))
    .collect()
}

fn str_at<'a>(m: Option<&'a Manifest>, path: &[&str]) -> Option<&'a str> {
    m.and_then(|m| m.get(path)).and_then(Value::as_str)
}

/// Builds the real FlinkEnvironment from a seed-form document (if any), the config and defaults.
/// Precedence, lowest first: the seed's defaults, the plugin config, the document.
fn lower(
    ctx: &Context,
    cfg: &Config,
    seed: Option<&Manifest>,
    rest_class: &str,
    cmf: Option<&crate::security::CmfSide>,
    diags: &mut Vec<Diagnostic>,
    policies: &mut Vec<Manifest>,
) -> Result<Manifest, Error> {
    let name = seed
        .map(Manifest::name)
        .filter(|n| !n.is_empty())
        .or(cfg.name.as_deref())
        .unwrap_or("default-flink-env");
    let namespace = seed.and_then(Manifest::namespace).unwrap_or(&ctx.namespace);
    let mut env = Manifest::build(CFK_API, "FlinkEnvironment", name, Some(namespace));
    let reference = env.reference();

    if let Some(seed) = seed {
        // Keep everything the user put in metadata besides identity.
        if let Some(Value::Object(meta)) = seed.get(&["metadata"]) {
            for (k, v) in meta {
                if k != "name" && k != "namespace" {
                    env.as_map_mut()
                        .get_mut("metadata")
                        .and_then(Value::as_object_mut)
                        .map(|m| m.insert(k.clone(), v.clone()));
                }
            }
        }
        diags.push(
            Diagnostic::info(format!(
                "lowered {SEED_GROUP}/v1beta1 FlinkEnvironment to {CFK_API}: Kafka and Schema \
                 Registry reach jobs as environment variables of the default pod template"
            ))
            .on(reference.clone())
            .at("apiVersion"),
        );
        if let Some(Value::Object(spec)) = seed.get(&["spec"]) {
            for key in spec.keys() {
                if !KNOWN_SPEC_FIELDS.contains(&key.as_str()) {
                    return Err(Diagnostic::error(format!(
                        "spec.{key} is not a field of FlinkEnvironment (known: {}); it would be \
                         lost on the cluster",
                        KNOWN_SPEC_FIELDS.join(", ")
                    ))
                    .on(seed.reference())
                    .at(format!("spec.{key}"))
                    .into());
                }
            }
        }
    }
    label(&mut env);

    let kubernetes_namespace = str_at(seed, &["spec", "kubernetesNamespace"])
        .or(cfg.kubernetes_namespace.as_deref())
        .unwrap_or(namespace);
    let bootstrap = str_at(seed, &["spec", "kafkaCluster", "bootstrapServers"])
        .or(cfg.kafka.bootstrap_servers.as_deref())
        .unwrap_or(DEFAULT_KAFKA);
    let registry = str_at(seed, &["spec", "schemaRegistry", "url"])
        .or(cfg.schema_registry.url.as_deref())
        .unwrap_or(DEFAULT_SCHEMA_REGISTRY);

    let mut conf = default_configuration();
    conf.extend(cfg.flink_configuration.clone());
    match seed.and_then(|s| s.get(&["spec", "flinkConfiguration"])) {
        None => {}
        Some(Value::Object(map)) => conf.extend(map.clone()),
        Some(_) => {
            return Err(
                Diagnostic::error("spec.flinkConfiguration must be a map of strings")
                    .on(reference)
                    .at("spec.flinkConfiguration")
                    .into(),
            );
        }
    }

    let mut jm = Resources::new(cfg.job_manager.as_ref());
    let mut tm = Resources::new(cfg.task_manager.as_ref());
    let mut flink_configuration = Map::new();
    for (key, value) in conf {
        let field = format!("spec.flinkConfiguration[\"{key}\"]");
        let target = match key.as_str() {
            "jobmanager.memory.process.size" | "jobmanager.cpu" => Some(("jobManager", &mut jm)),
            "taskmanager.memory.process.size" | "taskmanager.cpu" => Some(("taskManager", &mut tm)),
            _ => None,
        };
        if let Some((component, resources)) = target {
            let what = if key.ends_with(".cpu") {
                resources.cpu = Some(cpu(&value).ok_or_else(|| {
                    Error::from(
                        Diagnostic::error(format!("{key} must be a number of cores"))
                            .on(reference.clone())
                            .at(field.clone()),
                    )
                })?);
                "cpu"
            } else {
                resources.memory = Some(scalar(&value));
                "memory"
            };
            let severity = if what == "cpu" {
                Diagnostic::warning(format!(
                    "{key} is not a Flink option; moved to \
                     spec.flinkApplicationDefaults.spec.{component}.resource.cpu"
                ))
            } else {
                Diagnostic::info(format!(
                    "{key} moved to spec.flinkApplicationDefaults.spec.{component}.resource.memory, \
                     which the operator turns into the process size"
                ))
            };
            diags.push(severity.on(reference.clone()).at(field));
            continue;
        }
        let key = if key == "state.backend" {
            diags.push(
                Diagnostic::warning(
                    "state.backend is the legacy name of state.backend.type; renamed",
                )
                .on(reference.clone())
                .at(field),
            );
            "state.backend.type".to_string()
        } else {
            key
        };
        flink_configuration.insert(key, Value::from(scalar(&value)));
    }
    for (key, value) in &flink_configuration {
        flag(
            key,
            value,
            &reference,
            "spec.flinkApplicationDefaults.spec",
            diags,
        );
    }

    if ctx.generate {
        let checkpoints = flink_configuration
            .get("state.checkpoints.dir")
            .and_then(Value::as_str);
        policies.extend(crate::security::network_policies(
            ctx,
            cfg,
            cmf,
            kubernetes_namespace,
            bootstrap,
            registry,
            checkpoints,
        ));
    }
    let secured = crate::security::pod_additions(cfg)?;
    let mut variables = vec![
        json!({"name": "KAFKA_BOOTSTRAP_SERVERS", "value": bootstrap}),
        json!({"name": "SCHEMA_REGISTRY_URL", "value": registry}),
    ];
    variables.extend(secured.env);
    let mut container = json!({"name": MAIN_CONTAINER, "env": variables});
    let mut pod = json!({"containers": []});
    if !secured.mounts.is_empty() {
        container["volumeMounts"] = Value::Array(secured.mounts);
        pod["volumes"] = Value::Array(secured.volumes);
    }
    pod["containers"] = json!([container]);
    let defaults_path = ["spec", "flinkApplicationDefaults"];
    let mut defaults = json!({
        "spec": {
            "flinkConfiguration": flink_configuration,
            "jobManager": {"resource": jm.to_json()},
            "taskManager": {"resource": tm.to_json()},
            "podTemplate": {"spec": pod}
        }
    });
    // What the document already said under flinkApplicationDefaults wins over the generated.
    if let Some(existing) = seed.and_then(|s| s.get(&["spec", "flinkApplicationDefaults"])) {
        merge_patch(&mut defaults, existing);
    }
    env.set(&defaults_path, defaults);
    env.set(&["spec", "kubernetesNamespace"], kubernetes_namespace);
    let rest_ref = seed
        .and_then(|s| s.get(&["spec", "cmfRestClassRef"]))
        .cloned()
        .unwrap_or_else(|| json!({"name": rest_class, "namespace": namespace}));
    env.set(&["spec", "cmfRestClassRef"], rest_ref);
    Ok(env)
}

/// Findings about one Flink option as it will reach the cluster.
fn flag(
    key: &str,
    value: &Value,
    reference: &ResourceRef,
    base: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let field = format!("{base}.flinkConfiguration[\"{key}\"]");
    let text = scalar(value);
    if key == "state.checkpoints.dir"
        && (text.starts_with("file:///tmp") || text.starts_with("file:/tmp"))
    {
        diags.push(
            Diagnostic::warning(format!(
                "checkpoints in {text} live inside the pod and are lost when it restarts, so \
                 exactly-once recovery does not survive a restart; use durable storage (s3://, \
                 gs://, a mounted volume)"
            ))
            .on(reference.clone())
            .at(field),
        );
    } else if !value.is_string() {
        diags.push(
            Diagnostic::info(format!(
                "{key}: Flink configuration values are strings; quoted"
            ))
            .on(reference.clone())
            .at(field),
        );
    }
}

/// A configuration value as the string Flink expects.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A CPU amount from `1`, `1.0` or `"1.0"`.
fn cpu(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|c: &f64| c.is_finite() && *c > 0.0)
}

/// JobManager or TaskManager resources being assembled.
struct Resources {
    memory: Option<String>,
    cpu: Option<f64>,
}

impl Resources {
    fn new(cfg: Option<&crate::config::Resources>) -> Self {
        Resources {
            memory: cfg.and_then(|r| r.memory.clone()),
            cpu: cfg.and_then(|r| r.cpu),
        }
    }

    fn to_json(&self) -> Value {
        let cpu = self.cpu.unwrap_or(1.0);
        // Whole cores print as integers (`1`, not `1.0`), as every CFK example writes them.
        let cpu = if cpu.fract() == 0.0 && cpu < 1e9 {
            json!(cpu as i64)
        } else {
            json!(cpu)
        };
        json!({"memory": self.memory.as_deref().unwrap_or("1024m"), "cpu": cpu})
    }
}
