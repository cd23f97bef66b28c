//! Checks every object flinkwasm emits against a typed model of its kind: the CRD models of
//! [`crate::crds`] deny unknown fields, and the core kinds (from `k8s-openapi`) must survive a
//! round trip through their type unchanged, so a field the type does not know fails either way.

use crate::crds;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn denied<T: DeserializeOwned>(obj: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(obj.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

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

/// Validates one object; an object of a kind with no model is an error too.
pub fn check(obj: &Value) -> Result<(), String> {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let result = match (api, kind) {
        ("platform.confluent.io/v1beta1", "CMFRestClass") => denied::<crds::CMFRestClass>(obj),
        ("platform.confluent.io/v1beta1", "FlinkEnvironment") => {
            denied::<crds::FlinkEnvironment>(obj)
        }
        ("platform.confluent.io/v1beta1", "FlinkApplication") => {
            denied::<crds::FlinkApplication>(obj)
        }
        ("argoproj.io/v1alpha1", "Application") => denied::<crds::Application>(obj),
        ("monitoring.coreos.com/v1", "ServiceMonitor") => denied::<crds::ServiceMonitor>(obj),
        ("monitoring.coreos.com/v1", "PodMonitor") => denied::<crds::PodMonitor>(obj),
        ("v1", "Service") => round_trip::<Service>(obj),
        ("v1", "ConfigMap") => round_trip::<ConfigMap>(obj),
        ("networking.k8s.io/v1", "NetworkPolicy") => round_trip::<NetworkPolicy>(obj),
        ("networking.k8s.io/v1", "Ingress") => round_trip::<Ingress>(obj),
        _ => Err("no typed model for this kind".to_string()),
    };
    result.map_err(|e| format!("{api} {kind} {name}: {e}"))
}
