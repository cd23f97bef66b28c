//! The test oracle: every object flinkwasm emits is checked against the real schema of its
//! kind. Custom kinds go through the real CRDs' JSON Schemas in `../shared/reference/schemas`
//! (kubeconform layout, `<group>/<kind>_<version>.json`, unknown fields denied wherever the
//! CRD prunes them); core kinds through `k8s-openapi`'s types, which must read the object back
//! unchanged, so a field the type does not know fails too. `metadata` of every object goes
//! through `ObjectMeta` the same way, since the CRD schemas type it only as an object.
//!
//! The schemas are data the project does not copy: a test that needs them and cannot find them
//! fails with a message naming the directory, never passes quietly.

use jsonschema::Validator;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The environment variable that points the tests at another copy of the schemas.
pub const SCHEMAS_ENV: &str = "FLINKWASM_SCHEMAS_DIR";

/// Where the schemas are: `$FLINKWASM_SCHEMAS_DIR`, else `<repo>/../shared/reference/schemas`.
pub fn dir() -> PathBuf {
    match std::env::var_os(SCHEMAS_ENV) {
        Some(d) => PathBuf::from(d),
        None => crate::harness::repo("../shared/reference/schemas"),
    }
}

/// The real schemas of custom kinds, loaded once per directory and compiled once per kind.
pub struct Schemas {
    dir: PathBuf,
    compiled: Mutex<BTreeMap<String, std::sync::Arc<Validator>>>,
}

impl Schemas {
    /// The schemas in `dir`, which must exist and hold the kubeconform layout. The error names
    /// the directory and how to point the tests elsewhere.
    pub fn open(dir: &Path) -> Result<Schemas, String> {
        let probe = dir.join("platform.confluent.io/cmfrestclass_v1beta1.json");
        if !probe.is_file() {
            return Err(format!(
                "the real CRD schemas are needed and are not in {} (no {}): they are the test \
                 oracle for every object flinkwasm emits; put them there (../shared/reference/\
                 schemas beside the repository) or set {SCHEMAS_ENV} to their directory",
                dir.display(),
                probe.strip_prefix(dir).unwrap_or(&probe).display()
            ));
        }
        Ok(Schemas {
            dir: dir.to_path_buf(),
            compiled: Mutex::new(BTreeMap::new()),
        })
    }

    /// The schemas of [`dir`], shared by every test of the process. Panics (failing the test)
    /// with a message naming the directory when they are missing.
    pub fn get() -> &'static Schemas {
        static SCHEMAS: OnceLock<Result<Schemas, String>> = OnceLock::new();
        match SCHEMAS.get_or_init(|| Schemas::open(&dir())) {
            Ok(s) => s,
            Err(why) => panic!("{why}"),
        }
    }

    /// The schema file of a custom kind, if the directory has one.
    pub fn file(&self, api_version: &str, kind: &str) -> Option<PathBuf> {
        let (group, version) = api_version.split_once('/')?;
        let path = self
            .dir
            .join(group)
            .join(format!("{}_{version}.json", kind.to_lowercase()));
        path.is_file().then_some(path)
    }

    fn validator(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<std::sync::Arc<Validator>, String> {
        let key = format!("{api_version}/{kind}");
        let mut compiled = self
            .compiled
            .lock()
            .map_err(|_| "a test panicked while compiling a schema".to_string())?;
        if let Some(v) = compiled.get(&key) {
            return Ok(v.clone());
        }
        let path = self.file(api_version, kind).ok_or_else(|| {
            format!(
                "no schema for {key} in {}: every custom kind the stack emits must have one",
                self.dir.display()
            )
        })?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let schema: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("{} does not compile: {e}", path.display()))?;
        let validator = std::sync::Arc::new(validator);
        compiled.insert(key, validator.clone());
        Ok(validator)
    }

    /// Checks one object against the real schema of its kind (and its metadata against
    /// `ObjectMeta`); an object of a kind the oracle does not know is an error too.
    pub fn check(&self, obj: &Value) -> Result<(), String> {
        let api = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let result = match core(api, kind, obj) {
            Some(r) => r,
            None => self.custom(api, kind, obj),
        }
        .and_then(|()| {
            round_trip::<ObjectMeta>(&obj["metadata"]).map_err(|e| format!("metadata: {e}"))
        });
        result.map_err(|e| format!("{api} {kind} {name}: {e}"))
    }

    fn custom(&self, api: &str, kind: &str, obj: &Value) -> Result<(), String> {
        let validator = self.validator(api, kind)?;
        let errors: Vec<String> = validator
            .iter_errors(obj)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "rejected by {}:\n  {}",
                self.file(api, kind).unwrap_or_default().display(),
                errors.join("\n  ")
            ))
        }
    }
}

/// API groups served by Kubernetes itself: their kinds are checked through `k8s-openapi`.
const CORE_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
];

/// Checks a core kind through its `k8s-openapi` type; `None` for a kind that is not core.
fn core(api: &str, kind: &str, obj: &Value) -> Option<Result<(), String>> {
    Some(match (api, kind) {
        ("v1", "Service") => round_trip::<Service>(obj),
        ("v1", "ConfigMap") => round_trip::<ConfigMap>(obj),
        ("v1", "Namespace") => round_trip::<Namespace>(obj),
        ("v1", "ServiceAccount") => round_trip::<ServiceAccount>(obj),
        ("v1", "Secret") => round_trip::<Secret>(obj),
        ("v1", "Pod") => round_trip::<Pod>(obj),
        ("v1", "PersistentVolumeClaim") => round_trip::<PersistentVolumeClaim>(obj),
        ("apps/v1", "Deployment") => round_trip::<Deployment>(obj),
        ("apps/v1", "StatefulSet") => round_trip::<StatefulSet>(obj),
        ("apps/v1", "DaemonSet") => round_trip::<DaemonSet>(obj),
        ("batch/v1", "Job") => round_trip::<Job>(obj),
        ("batch/v1", "CronJob") => round_trip::<CronJob>(obj),
        ("networking.k8s.io/v1", "NetworkPolicy") => round_trip::<NetworkPolicy>(obj),
        ("networking.k8s.io/v1", "Ingress") => round_trip::<Ingress>(obj),
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<Role>(obj),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => round_trip::<RoleBinding>(obj),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => round_trip::<ClusterRole>(obj),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            round_trip::<ClusterRoleBinding>(obj)
        }
        ("policy/v1", "PodDisruptionBudget") => round_trip::<PodDisruptionBudget>(obj),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            round_trip::<CustomResourceDefinition>(obj)
        }
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
            round_trip::<MutatingWebhookConfiguration>(obj)
        }
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            round_trip::<ValidatingWebhookConfiguration>(obj)
        }
        _ if CORE_GROUPS.contains(&api.rsplit_once('/').map_or("", |(g, _)| g)) => {
            Err("a core kind the oracle has no k8s-openapi type for".to_string())
        }
        _ => return None,
    })
}

/// `obj` read into `T` and written back must be `obj` again: a field `T` does not know (or a
/// value of the wrong type) fails.
fn round_trip<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if &back == obj {
        Ok(())
    } else {
        Err(format!(
            "fields the type does not know were dropped:\n{}\nbecame\n{}",
            serde_json::to_string_pretty(obj).unwrap_or_default(),
            serde_json::to_string_pretty(&back).unwrap_or_default()
        ))
    }
}

/// Checks every object of `objects` (panicking with every failure), and returns the kinds seen.
pub fn check_all(objects: &[Value], what: &str) -> Vec<String> {
    let schemas = Schemas::get();
    let failures: Vec<String> = objects
        .iter()
        .filter_map(|o| schemas.check(o).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: objects the real schemas reject:\n{}",
        failures.join("\n")
    );
    objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["apiVersion"].as_str().unwrap_or_default(),
                o["kind"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
