//! Turning Flink's Prometheus reporter on in every FlinkEnvironment's defaults, and checking
//! that no FlinkApplication moves it off the scraped port.

use crate::config::Config;
use flinkwasm_sdk::prelude::*;

/// The reporter factory option.
const FACTORY_KEY: &str = "metrics.reporter.prom.factory.class";
/// The reporter factory class.
const FACTORY: &str = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
/// The reporter port option.
const PORT_KEY: &str = "metrics.reporter.prom.port";

/// Sets the reporter options in each real FlinkEnvironment's `flinkApplicationDefaults` and
/// reports applications or environments that set another port.
pub fn enable(
    cfg: &Config,
    manifests: &mut [Manifest],
    diags: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let port = cfg.port().to_string();
    let mut environments = 0;
    for m in manifests.iter_mut() {
        let path: &[&str] = if m.is("platform.confluent.io", "FlinkEnvironment") {
            environments += 1;
            &[
                "spec",
                "flinkApplicationDefaults",
                "spec",
                "flinkConfiguration",
            ]
        } else if m.is("platform.confluent.io", "FlinkApplication") {
            &["spec", "flinkConfiguration"]
        } else {
            continue;
        };
        let reference = m.reference();
        let field = |key: &str| format!("{}[\"{key}\"]", path.join("."));
        let environment = m.kind() == "FlinkEnvironment";
        let not_a_map = || -> Error {
            Diagnostic::error("flinkConfiguration must be a map of strings")
                .on(reference.clone())
                .at(path.join("."))
                .into()
        };
        if !environment {
            // Applications are only checked: read without keeping them parsed, so a release
            // with thousands of them costs the plugin their text, not their values.
            let Some(conf) = m.peek(path).filter(|c| !c.is_null()) else {
                continue;
            };
            let conf = conf.as_object().ok_or_else(not_a_map)?;
            if let Some(set) = conf.get(PORT_KEY) {
                port_mismatch(set, &port, &reference, &field(PORT_KEY), diags);
            }
            continue;
        }
        let conf = m.entry(path);
        if conf.is_null() {
            *conf = Value::Object(Default::default());
        }
        let Some(conf) = conf.as_object_mut() else {
            return Err(not_a_map());
        };
        match conf.get(PORT_KEY) {
            Some(set) => port_mismatch(set, &port, &reference, &field(PORT_KEY), diags),
            None => {
                conf.insert(PORT_KEY.into(), Value::from(port.as_str()));
            }
        }
        if !conf.contains_key(FACTORY_KEY) {
            conf.insert(FACTORY_KEY.into(), Value::from(FACTORY));
            diags.push(
                Diagnostic::info(format!(
                    "Flink's Prometheus reporter turned on (port {port}) for every application \
                     of this environment"
                ))
                .on(reference)
                .at(field(FACTORY_KEY)),
            );
        }
    }
    if environments == 0 {
        diags.push(Diagnostic::warning(format!(
            "no FlinkEnvironment in the stream: Flink's Prometheus reporter is not turned on, so \
             the metrics Service finds nothing unless each FlinkApplication sets {FACTORY_KEY} \
             and {PORT_KEY}"
        )));
    }
    Ok(())
}

/// Warns when the reporter port `set` is not the scraped `port` (a range such as 9249-9250,
/// two processes in one pod, must start at it).
fn port_mismatch(
    set: &Value,
    port: &str,
    reference: &ResourceRef,
    field: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let set = set
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| set.to_string());
    if set.split('-').next() != Some(port) {
        diags.push(
            Diagnostic::warning(format!(
                "the Prometheus reporter listens on {set}, but the metrics Service scrapes \
                 {port}; these pods will not be scraped"
            ))
            .on(reference.clone())
            .at(field),
        );
    }
}
