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
        let conf = m.entry(path);
        if conf.is_null() && !environment {
            continue;
        }
        let Some(conf) = conf.as_object_mut() else {
            return Err(
                Diagnostic::error("flinkConfiguration must be a map of strings")
                    .on(reference)
                    .at(path.join("."))
                    .into(),
            );
        };
        if let Some(set) = conf.get(PORT_KEY) {
            let set = set
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| set.to_string());
            // A range such as 9249-9250 (two processes in one pod) starts at the scraped port.
            if set.split('-').next() != Some(port.as_str()) {
                diags.push(
                    Diagnostic::warning(format!(
                        "the Prometheus reporter listens on {set}, but the metrics Service scrapes \
                         {port}; these pods will not be scraped"
                    ))
                    .on(reference.clone())
                    .at(field(PORT_KEY)),
                );
            }
        } else if environment {
            conf.insert(PORT_KEY.into(), Value::from(port.as_str()));
        }
        if environment && !conf.contains_key(FACTORY_KEY) {
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
