//! The run context a plugin receives: cluster, namespace, whether to generate, the caller,
//! capabilities, config and files.

use crate::bindings::flinkwasm::plugin::types as wit;
use crate::diagnostic::Error;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Everything the plugin knows about the run.
#[derive(Debug, Clone)]
pub struct Context {
    /// Target cluster name.
    pub cluster: String,
    /// Default namespace.
    pub namespace: String,
    /// Helm release or Argo CD application name.
    pub release: String,
    /// Whether the plugin should add objects of its own (the host assembles a stack: `render`,
    /// Argo CD) rather than only change what it is given (Helm post-render, KRM).
    pub generate: bool,
    /// Who called the host (`render`, `post-render`, `krm`, `argocd-cmp`, or a name a later
    /// host adds): information for logs and diagnostics; decide from [`generate`](Self::generate).
    pub caller: String,
    /// Kubernetes version of the target cluster, without a leading `v`.
    pub kube_version: String,
    /// API group/versions the target cluster serves.
    pub api_versions: Vec<String>,
    /// The plugin's configuration, validated by the host against the plugin's schema.
    pub config: Map<String, Value>,
    /// Files granted by the pipeline: `(path, content)`, sorted by path.
    pub files: Vec<(String, String)>,
}

impl Context {
    pub(crate) fn from_wit(ctx: wit::Context) -> Result<Self, Error> {
        let config = if ctx.config.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(&ctx.config) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(Error::new("the plugin configuration is not a JSON object")),
                Err(e) => {
                    return Err(Error::new(format!(
                        "the plugin configuration is not JSON: {e}"
                    )));
                }
            }
        };
        Ok(Context {
            cluster: ctx.cluster,
            namespace: ctx.namespace,
            release: ctx.release,
            generate: ctx.generate,
            caller: ctx.caller,
            kube_version: ctx.capabilities.kube_version,
            api_versions: ctx.capabilities.api_versions,
            config,
            files: ctx.files.into_iter().map(|f| (f.path, f.content)).collect(),
        })
    }

    /// The whole configuration, deserialized into the plugin's own type.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(Value::Object(self.config.clone()))
            .map_err(|e| Error::new(format!("invalid plugin configuration: {e}")))
    }

    /// One top-level configuration value, if present and of the right type.
    pub fn config_value<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.config
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// True when the cluster serves `api_version` (for example `monitoring.coreos.com/v1`).
    pub fn has_api(&self, api_version: &str) -> bool {
        self.api_versions.iter().any(|v| v == api_version)
    }

    /// The content of a granted file.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, c)| c.as_str())
    }
}
