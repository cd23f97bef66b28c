//! The seed's security section, built: NetworkPolicies whose selectors match the pods the
//! stack really runs, Kafka and Schema Registry credentials from named Secrets, CMF's mTLS and
//! production mode with CFK's side kept in step, the CMF UI ingress, and no secret value
//! reaching stdout from a pipeline file or an overlay.

use flinkwasm_tests::harness::{Scratch, parse_stream, repo};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::BIN;
use flinkwasm_tests::harness::find;

fn demo() -> Vec<Value> {
    let s = Scratch::new(BIN);
    parse_stream(
        &s.run(&["render", "--cluster", "flink-demo"], None)
            .ok()
            .stdout,
    )
}

/// A chart's output from the real Helm engine, post-rendered by `plugin` with the flink-demo
/// cluster's config: the pods as they will run.
fn chart_pods(chart: &str, app: &Value, plugin: &str) -> BTreeMap<String, String> {
    let values = &app["spec"]["source"]["helm"]["valuesObject"];
    let out = Command::new("python3")
        .arg(repo("tests/helm/render_chart.py"))
        .arg(repo(&format!("tests/charts/{chart}")))
        .arg(chart)
        .arg("confluent")
        .arg(values.to_string())
        .output()
        .expect("python3 with helm-python-sdk is needed (tests/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = String::from_utf8(out.stdout).unwrap();
    let s = Scratch::new(BIN);
    let r = s.run(&["post-render", "--plugin", plugin], Some(&raw)).ok();
    let objects = parse_stream(&r.stdout);
    let dep = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("the chart has a Deployment");
    serde_json::from_value(dep["spec"]["template"]["metadata"]["labels"].clone()).unwrap()
}

fn labels(selector: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(selector["matchLabels"].clone()).unwrap_or_default()
}

fn subset(small: &BTreeMap<String, String>, big: &BTreeMap<String, String>) -> bool {
    !small.is_empty() && small.iter().all(|(k, v)| big.get(k) == Some(v))
}

#[test]
fn every_network_policy_selects_pods_the_stack_really_runs() {
    let o = demo();
    let operator_app = find(&o, "Application", "flink-kubernetes-operator");
    let cmf_app = find(&o, "Application", "cmf-operator");
    let operator_ns = operator_app["spec"]["destination"]["namespace"]
        .as_str()
        .unwrap();
    let cmf_ns = cmf_app["spec"]["destination"]["namespace"]
        .as_str()
        .unwrap();
    let env = find(&o, "FlinkEnvironment", "default-flink-env");
    let flink_ns = env["spec"]["kubernetesNamespace"].as_str().unwrap();
    assert_eq!(
        flink_ns, "flink",
        "flink-demo runs jobs in their own namespace"
    );

    // The pods each component really runs: the charts' Deployments (rendered by Helm with the
    // generated values, post-rendered by the plugin), and Flink's own JobManager/TaskManager
    // labels, which the monitoring Service selects too.
    let operator_pods = chart_pods("flink-kubernetes-operator", operator_app, "flink-operator");
    let cmf_pods = chart_pods("confluent-manager-for-apache-flink", cmf_app, "cmf");
    let metrics = find(&o, "Service", "flink-metrics");
    let mut flink_pods: BTreeMap<String, String> =
        serde_json::from_value(metrics["spec"]["selector"].clone()).unwrap();
    let mut jobmanagers = flink_pods.clone();
    jobmanagers.insert("component".into(), "jobmanager".into());
    flink_pods.insert("component".into(), "taskmanager".into());
    let prometheus = BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        "prometheus".to_string(),
    )]);
    let dns = BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]);
    // (namespace, pod labels) of every workload a policy may name.
    let workloads: Vec<(&str, &BTreeMap<String, String>)> = vec![
        (operator_ns, &operator_pods),
        (cmf_ns, &cmf_pods),
        (flink_ns, &flink_pods),
        (flink_ns, &jobmanagers),
        ("monitoring", &prometheus),
        ("kube-system", &dns),
    ];

    let policies: Vec<&Value> = o.iter().filter(|x| x["kind"] == "NetworkPolicy").collect();
    let names: BTreeSet<&str> = policies
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "flink-kubernetes-operator",
            "confluent-manager-for-apache-flink",
            "flink-pods",
            "default-deny"
        ])
    );
    for p in &policies {
        let name = p["metadata"]["name"].as_str().unwrap();
        let ns = p["metadata"]["namespace"].as_str().unwrap();
        let selected = labels(&p["spec"]["podSelector"]);
        if name == "default-deny" {
            assert_eq!(ns, flink_ns);
            assert_eq!(p["spec"]["podSelector"], json!({}));
            assert!(p["spec"].get("ingress").is_none() && p["spec"].get("egress").is_none());
            continue;
        }
        assert!(
            workloads
                .iter()
                .any(|(wns, pods)| *wns == ns && subset(&selected, pods)),
            "NetworkPolicy {ns}/{name} selects {selected:?}, which no pod of the stack in {ns} carries"
        );
        for direction in ["ingress", "egress"] {
            let peer_key = if direction == "ingress" { "from" } else { "to" };
            for rule in p["spec"][direction].as_array().unwrap() {
                for peer in rule[peer_key].as_array().unwrap() {
                    if peer.get("ipBlock").is_some() {
                        continue;
                    }
                    let peer_ns =
                        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                            .as_str()
                            .unwrap_or(ns);
                    let Some(pods) = peer.get("podSelector") else {
                        continue; // a whole namespace: clients, Kafka, the ingress controller
                    };
                    let peer_labels = labels(pods);
                    assert!(
                        workloads
                            .iter()
                            .any(|(wns, l)| *wns == peer_ns && subset(&peer_labels, l)),
                        "NetworkPolicy {ns}/{name} {direction} names pods {peer_labels:?} in {peer_ns}, which the stack does not run there"
                    );
                }
            }
        }
    }

    // The operator and CMF reach the JobManagers, Flink accepts them, and Kafka is reached in
    // the namespace its bootstrap address names.
    let flink = find(&o, "NetworkPolicy", "flink-pods");
    let egress = flink["spec"]["egress"].to_string();
    assert!(
        egress.contains(r#""port":9071"#)
            && egress.contains(r#""kubernetes.io/metadata.name":"confluent""#),
        "{egress}"
    );
    let ingress = flink["spec"]["ingress"].to_string();
    assert!(ingress.contains(r#""port":9249"#) && ingress.contains(r#""port":8081"#));
}

#[test]
fn kafka_and_schema_registry_credentials_come_from_named_secrets() {
    let o = demo();
    let env = find(&o, "FlinkEnvironment", "default-flink-env");
    let pod = &env["spec"]["flinkApplicationDefaults"]["spec"]["podTemplate"]["spec"];
    let vars: BTreeMap<String, Value> = pod["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap().to_string(), v.clone()))
        .collect();
    let value = |n: &str| {
        vars[n]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("{n}"))
            .to_string()
    };
    let secret = |n: &str| vars[n]["valueFrom"]["secretKeyRef"].clone();
    assert_eq!(
        value("KAFKA_BOOTSTRAP_SERVERS"),
        "kafka.confluent.svc.cluster.local:9071"
    );
    assert_eq!(value("KAFKA_SECURITY_PROTOCOL"), "SASL_SSL");
    assert_eq!(value("KAFKA_SASL_MECHANISM"), "SCRAM-SHA-512");
    assert_eq!(
        secret("KAFKA_SASL_USERNAME"),
        json!({"name": "kafka-flink-credentials", "key": "username"})
    );
    assert_eq!(
        secret("KAFKA_SASL_PASSWORD"),
        json!({"name": "kafka-flink-credentials", "key": "password"})
    );
    assert_eq!(
        value("KAFKA_SASL_JAAS_CONFIG"),
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$(KAFKA_SASL_USERNAME)\" password=\"$(KAFKA_SASL_PASSWORD)\";"
    );
    assert_eq!(secret("KAFKA_SSL_TRUSTSTORE_PASSWORD")["name"], "kafka-tls");
    assert_eq!(pod["volumes"][0]["secret"]["secretName"], "kafka-tls");
    assert_eq!(
        pod["containers"][0]["volumeMounts"][0]["mountPath"]
            .as_str()
            .unwrap(),
        value("KAFKA_SSL_TRUSTSTORE_LOCATION").trim_end_matches("/truststore.jks")
    );
    assert_eq!(
        value("SCHEMA_REGISTRY_URL"),
        "https://schemaregistry.confluent.svc.cluster.local:8081"
    );
    assert_eq!(
        secret("SCHEMA_REGISTRY_USERNAME")["name"],
        "schemaregistry-flink-credentials"
    );
    assert_eq!(
        value("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
        "$(SCHEMA_REGISTRY_USERNAME):$(SCHEMA_REGISTRY_PASSWORD)"
    );
    // Kubernetes expands $(VAR) only from variables defined earlier in the list.
    let order: Vec<&String> = vars.keys().collect();
    let position = |n: &str| {
        pod["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .position(|v| v["name"] == n)
            .unwrap()
    };
    assert!(
        position("KAFKA_SASL_PASSWORD") < position("KAFKA_SASL_JAAS_CONFIG"),
        "{order:?}"
    );
    assert!(
        position("SCHEMA_REGISTRY_PASSWORD") < position("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO")
    );

    // Every Secret the output refers to is one the flink-demo config names, and no Secret
    // object (so no secret value) is in the output.
    let mut named = BTreeSet::new();
    fn collect(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("secretRef" | "secretName" | "kubernetesSecretName", Value::String(s)) => {
                            out.insert(s.clone());
                        }
                        // ingress-nginx names the Secret as namespace/name.
                        ("nginx.ingress.kubernetes.io/proxy-ssl-secret", Value::String(s)) => {
                            out.insert(s.rsplit('/').next().unwrap_or(s).to_string());
                        }
                        ("secretKeyRef", _) => {
                            out.insert(x["name"].as_str().unwrap().to_string());
                        }
                        _ => collect(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    for obj in &o {
        assert_ne!(obj["kind"], "Secret");
        collect(obj, &mut named);
    }
    assert_eq!(
        named,
        [
            "cmf-client-tls",
            "cmf-encryption-key",
            "cmf-ingress-client-tls",
            "cmf-ingress-tls",
            "cmf-tls",
            "kafka-flink-credentials",
            "kafka-tls",
            "schemaregistry-flink-credentials"
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );

    // homelab stays as simple as the seed.
    let s = Scratch::new(BIN);
    let h = parse_stream(&s.run(&["render"], None).ok().stdout);
    assert!(
        h.iter()
            .all(|x| x["kind"] != "NetworkPolicy" && x["kind"] != "Ingress")
    );
    let env = find(&h, "FlinkEnvironment", "default-flink-env");
    assert_eq!(
        env["spec"]["flinkApplicationDefaults"]["spec"]["podTemplate"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn cmf_runs_mtls_and_production_mode_and_cfk_speaks_mtls_to_it() {
    let s = Scratch::new(BIN);
    let r = s.run(&["render", "--cluster", "flink-demo"], None).ok();
    assert!(r.stderr.contains("cannot be switched back"), "{}", r.stderr);
    let o = parse_stream(&r.stdout);
    let values = &find(&o, "Application", "cmf-operator")["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(values["cmf"]["authentication"], json!({"type": "mtls"}));
    assert_eq!(values["cmf"]["ssl"]["client-auth"], "need");
    assert_eq!(
        values["cmf"]["ssl"],
        json!({"keystore": "/opt/cmf/tls/keystore.p12", "trust-store": "/opt/cmf/tls/truststore.p12", "client-auth": "need"}),
        "password-less stores: no keystore-password or trust-store-password to write"
    );
    assert_eq!(
        values["mountedVolumes"]["volumes"][0]["secret"]["secretName"],
        "cmf-tls"
    );
    assert_eq!(
        values["mountedVolumes"]["volumeMounts"][0]["mountPath"],
        "/opt/cmf/tls"
    );
    assert_eq!(values["cmf"]["sql"]["production"], true);
    assert_eq!(
        values["encryption"]["key"],
        json!({"kubernetesSecretName": "cmf-encryption-key", "kubernetesSecretProperty": "encryption-key"})
    );
    let rest = &find(&o, "CMFRestClass", "default")["spec"]["cmfRest"];
    assert_eq!(
        rest["endpoint"], "https://cmf-service.confluent.svc.cluster.local:80",
        "CMF's Service port, written: a bare https:// would mean 443"
    );
    assert_eq!(
        rest["authentication"],
        json!({"type": "mtls", "sslClientAuthentication": true})
    );
    assert_eq!(rest["tls"], json!({"secretRef": "cmf-client-tls"}));

    let ingress = find(&o, "Ingress", "cmf-ingress");
    assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
    assert_eq!(
        ingress["spec"]["rules"][0]["host"],
        "cmf.flink-demo.example.com"
    );
    assert_eq!(
        ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"],
        json!({"name": "cmf-service", "port": {"number": 80}})
    );
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "cmf-ingress-tls");
    assert_eq!(
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS",
        "CMF serves TLS itself"
    );
    // CMF requires client certificates: the controller presents one and checks CMF's.
    let ann = &ingress["metadata"]["annotations"];
    assert_eq!(
        ann["nginx.ingress.kubernetes.io/proxy-ssl-secret"],
        "confluent/cmf-ingress-client-tls"
    );
    assert_eq!(ann["nginx.ingress.kubernetes.io/proxy-ssl-verify"], "on");
    assert_eq!(
        ann["nginx.ingress.kubernetes.io/proxy-ssl-name"],
        "cmf-service.confluent.svc.cluster.local"
    );
    // The CMF chart's Service is what the Ingress points at.
    let chart = std::fs::read_to_string(repo(
        "tests/charts/confluent-manager-for-apache-flink/templates/deployment.yaml",
    ))
    .unwrap();
    assert!(
        chart.contains("name: cmf-service"),
        "the chart's Service is cmf-service"
    );
}

fn pipeline(s: &Scratch, plugins: &str) {
    s.write(
        "flinkwasm.yaml",
        format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  target: {{namespace: confluent}}\n  plugins:\n{plugins}"),
    );
}

#[test]
fn a_switch_half_on_is_refused_with_the_field_that_is_missing() {
    let cases = [
        (
            "    - builtin: cmf\n      config: {authentication: {type: mtls}}\n",
            "plugin cmf: authentication.type: authentication.type mtls needs TLS",
        ),
        (
            "    - builtin: cmf\n      config: {sql: {production: true}}\n",
            "sql.encryptionKeySecretRef: sql.production needs the Secret",
        ),
        (
            "    - builtin: cmf\n      config: {ingress: {enabled: true}}\n",
            "ingress.host: ingress.enabled needs ingress.host",
        ),
        (
            "    - builtin: cmf\n      config: {tls: {secretRef: cmf-tls, passwordless: true}, authentication: {type: mtls}}\n    - builtin: flink-environment\n",
            "CFK could not reach CMF",
        ),
        (
            "    - builtin: cmf\n      config: {tls: {secretRef: cmf-tls, passwordless: true}}\n    - builtin: flink-environment\n      config: {cmfRestClass: {endpoint: 'http://cmf-service.confluent.svc.cluster.local'}}\n",
            "CMF serves TLS (cmf plugin, tls.secretRef) but the CMFRestClass endpoint is http://",
        ),
        (
            "    - builtin: cmf\n      config: {tls: {secretRef: cmf-tls}}\n",
            "plugin cmf: tls.passwordless: tls needs stores CMF can open: the CMF chart takes cmf.ssl.keystore-password and trust-store-password only as literal values",
        ),
        (
            "    - builtin: cmf\n      config: {tls: {secretRef: cmf-tls, passwordless: true}, authentication: {type: mtls}, ingress: {enabled: true, host: cmf.example.com}}\n",
            "plugin cmf: ingress.clientCertificateSecretRef: ingress.enabled with authentication.type mtls: CMF requires a client certificate",
        ),
        (
            "    - builtin: flink-environment\n      config: {kafka: {authentication: {type: mtls}}}\n",
            "kafka.tls.secretRef: kafka.authentication.type mtls needs kafka.tls.secretRef",
        ),
        (
            "    - builtin: flink-environment\n      config: {kafka: {authentication: {type: plain}}}\n",
            "kafka.authentication.secretRef: kafka.authentication.type plain needs secretRef",
        ),
        (
            "    - builtin: flink-environment\n      config: {cmfRestClass: {authentication: {type: mtls}}}\n",
            "cmfRestClass.tls.secretRef: cmfRestClass.authentication.type mtls needs",
        ),
    ];
    for (plugins, needle) in cases {
        let s = Scratch::new(BIN);
        pipeline(&s, plugins);
        let r = s.run(&["render"], None);
        assert_ne!(r.code, 0, "{plugins}");
        assert!(r.stdout.is_empty(), "{plugins}: stdout must stay empty");
        assert!(r.stderr.contains(needle), "{plugins}: {}", r.stderr);
    }
}

#[test]
fn no_secret_value_reaches_stdout_from_a_pipeline_file_or_an_overlay() {
    const VALUE: &str = "hunter2-do-not-leak";
    let overlay_patch = format!(
        "    - builtin: flink-environment\n      config: {{argocd: {{enabled: false}}}}\n    - builtin: cluster-overlay\n      config:\n        kustomization:\n          patches:\n            - patch: |\n                apiVersion: platform.confluent.io/v1beta1\n                kind: FlinkEnvironment\n                metadata: {{name: default-flink-env, namespace: confluent}}\n                spec:\n                  flinkApplicationDefaults:\n                    spec:\n                      podTemplate:\n                        spec:\n                          containers:\n                            - name: flink-main-container\n                              env:\n                                - {{name: KAFKA_PASSWORD, value: {VALUE}}}\n"
    );
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        // A password passed through to a chart's values.
        (
            format!(
                "    - builtin: cmf\n      config: {{values: {{cmf: {{ssl: {{keystore-password: {VALUE}}}}}}}}}\n"
            ),
            None,
            "plugin cmf: config.values.cmf.ssl.keystore-password (spec.plugins[0].config) holds a secret value inline",
        ),
        // A JAAS line with its password, as a Flink option.
        (
            format!(
                "    - builtin: flink-environment\n      config:\n        argocd: {{enabled: false}}\n        flinkConfiguration:\n          sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username=\"flink\" password=\"{VALUE}\";'\n"
            ),
            None,
            "plugin flink-environment: config.flinkConfiguration.sasl.jaas.config",
        ),
        // An overlay patch that writes a password into the pod template.
        (
            overlay_patch,
            None,
            "plugin cluster-overlay: FlinkEnvironment/confluent/default-flink-env spec.flinkApplicationDefaults.spec.podTemplate.spec.containers[0].env[0].value (variable KAFKA_PASSWORD) holds a secret value",
        ),
        // A Secret with its data among the pipeline's resources.
        (
            "    - builtin: flink-environment\n      config: {argocd: {enabled: false}}\n"
                .to_string(),
            Some(
                "apiVersion: v1\nkind: Secret\nmetadata: {name: kafka-flink-credentials, namespace: confluent}\nstringData: {username: flink, password: hunter2-do-not-leak}\n",
            ),
            "spec.resources: Secret/confluent/kafka-flink-credentials stringData holds a secret value",
        ),
    ];
    for (plugins, resource, needle) in cases {
        let s = Scratch::new(BIN);
        match resource {
            Some(text) => {
                s.write("secret.yaml", text);
                s.write(
                    "flinkwasm.yaml",
                    format!("apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: t}}\nspec:\n  target: {{namespace: confluent}}\n  resources: [secret.yaml]\n  plugins:\n{plugins}"),
                );
            }
            None => pipeline(&s, &plugins),
        }
        let r = s.run(&["render"], None);
        assert_eq!(r.code, 3, "{plugins}\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{plugins}: stdout must stay empty");
        assert!(
            !r.stderr.contains(VALUE),
            "the error must not repeat the value: {}",
            r.stderr
        );
        assert!(r.stderr.contains(needle), "{plugins}\n{}", r.stderr);
    }
}
