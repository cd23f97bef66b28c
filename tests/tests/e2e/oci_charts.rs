//! Charts from OCI registries (`spec.chart.repo: oci://…`): a test chart pushed with Helm's
//! media types by the real Helm 4 engine to the real registry the OCI plugin tests start
//! (Debian `docker-registry` on 127.0.0.1), pulled by the `helm` test fixture exactly as
//! flinkwasm asks the Helm CLI, then transformed by the component's plugins and a team plugin.
//! Failures (pin mismatch, unknown version, registry down, offline and uncached, credentials,
//! hostile answers) exit non-zero with empty stdout, naming the chart and Helm's message.

use crate::BIN;
use flinkwasm_tests::harness::{Run, Scratch, parse_stream};
use flinkwasm_tests::helm::HelmFixture;
use flinkwasm_tests::oci_chart::{OversizedChartStandIn, push_chart};
use flinkwasm_tests::registry::{EndlessBodyStandIn, Registry, write_docker_config};
use std::time::Duration;

const OPERATOR: &str = "flink-kubernetes-operator";

/// A pipeline rendering `chart` (YAML flow mapping) through flink-operator, then `extra`
/// plugins (YAML list items, indented by four spaces).
fn pipeline(s: &Scratch, chart: &str, extra: &str) {
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: op}}\nspec:\n  target: {{namespace: confluent, release: op}}\n  chart: {chart}\n  plugins:\n    - builtin: flink-operator\n      config: {{argocd: {{layout: component}}}}\n{extra}"
        ),
    );
}

/// The operator chart at `oci://HOST/charts`, version 1.130.0, with `more` fields.
fn oci_chart(host: &str, more: &str) -> String {
    format!(
        "{{repo: 'oci://{host}/charts', name: {OPERATOR}, version: 1.130.0, valuesFrom: flink-operator{more}}}"
    )
}

/// Runs flinkwasm with the fixture as Helm and `docker_config` as the Docker config directory
/// (a missing one: no credentials), plus `env`.
fn run(
    s: &Scratch,
    helm: &HelmFixture,
    docker_config: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let bin = helm.bin();
    let mut all = vec![
        ("FLINKWASM_HELM", bin.to_str().unwrap()),
        ("DOCKER_CONFIG", docker_config.to_str().unwrap()),
    ];
    all.extend_from_slice(env);
    s.run_env(args, None, &all)
}

/// A failed run: exit 3, nothing on stdout, the chart named; its stderr.
fn refused(r: Run, needle: &str) -> String {
    let r = r.fails(3, needle);
    assert!(r.stdout.is_empty(), "stdout on failure: {}", r.stdout);
    assert!(
        r.stderr
            .contains(&format!("chart {OPERATOR} 1.130.0 from oci://")),
        "names the chart: {}",
        r.stderr
    );
    r.stderr
}

#[test]
fn an_oci_chart_is_pulled_pinned_cached_by_reference_and_transformed_by_every_plugin() {
    let mut registry = Registry::start();
    let digest = push_chart(&registry, "charts", OPERATOR);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let no_creds = s.outside("no-docker-config");
    let wasm = std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).unwrap();
    s.write("team-overlay.wasm", &wasm);
    let team = format!(
        "    - name: team-overlay\n      path: team-overlay.wasm\n      sha256: sha256:{}\n      config: {{team: streaming, costCenter: CC-7}}\n      select:\n        kinds: [Deployment]\n",
        flinkwasm::runtime::sha256_hex(&wasm)
    );
    pipeline(
        &s,
        &oci_chart(&registry.host, &format!(", sha256: '{digest}'")),
        &team,
    );
    let first = run(&s, &helm, &no_creds, &["render"], &[]).ok();
    let objects = parse_stream(&first.stdout);
    assert!(
        objects
            .iter()
            .any(|o| o["kind"] == "CustomResourceDefinition"),
        "the chart's CRDs"
    );
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    // The component plugin's values reached Helm (3Gi), it transformed the chart's output (the
    // stack's labels), and the team plugin after it (its label, on what it selects only).
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "3Gi"
    );
    assert_eq!(
        dep["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "confluent-platform-flink"
    );
    assert_eq!(dep["metadata"]["labels"]["example.com/cost-center"], "CC-7");
    let sa = objects
        .iter()
        .find(|o| o["kind"] == "ServiceAccount")
        .unwrap();
    assert!(sa["metadata"]["labels"]["example.com/cost-center"].is_null());

    // Warm: the cache answers, with the registry gone.
    registry.stop();
    let warm = run(&s, &helm, &no_creds, &["render"], &[]).ok();
    assert_eq!(warm.stdout, first.stdout);
    assert!(warm.elapsed < Duration::from_secs(2), "{:?}", warm.elapsed);
    // The cache is keyed by the reference: the same chart under another path is not cached.
    pipeline(
        &s,
        &format!(
            "{{repo: 'oci://{}/mirror', name: {OPERATOR}, version: 1.130.0}}",
            registry.host
        ),
        "",
    );
    let e = refused(run(&s, &helm, &no_creds, &["render"], &[]), "Helm failed");
    assert!(e.contains("connection refused"), "{e}");
}

#[test]
fn oci_chart_failures_are_input_errors_naming_the_chart_and_helms_message() {
    let mut registry = Registry::start();
    push_chart(&registry, "charts", OPERATOR);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let no_creds = s.outside("no-docker-config");

    // A pin the layer does not match.
    let wrong = format!("sha256:{}", "0".repeat(64));
    pipeline(
        &s,
        &oci_chart(&registry.host, &format!(", sha256: '{wrong}'")),
        "",
    );
    let e = refused(
        run(&s, &helm, &no_creds, &["render"], &[]),
        "and the pipeline pins",
    );
    assert!(e.contains("sha256:000"), "{e}");

    // A version the registry does not have.
    pipeline(
        &s,
        &format!(
            "{{repo: 'oci://{}/charts', name: {OPERATOR}, version: 9.9.9}}",
            registry.host
        ),
        "",
    );
    let r = run(&s, &helm, &no_creds, &["render"], &[]).fails(3, "Helm failed");
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .contains("chart flink-kubernetes-operator 9.9.9 from oci://")
            && r.stderr.contains("9.9.9: not found"),
        "{}",
        r.stderr
    );

    // Offline and not cached: refused before Helm is asked, naming the way out; `plugins pull`
    // fills the cache, then the offline run needs no registry.
    pipeline(&s, &oci_chart(&registry.host, ""), "");
    let offline = [("FLINKWASM_OFFLINE", "1")];
    refused(
        run(&s, &helm, &no_creds, &["render"], &offline),
        "is not in the cache, and this run may not fetch it (Argo CD generate",
    );
    let pulled = run(&s, &helm, &no_creds, &["plugins", "pull"], &[]).ok();
    assert!(
        pulled.stdout.contains(&format!(
            "pulled chart {OPERATOR} 1.130.0 from oci://{}/charts",
            registry.host
        )),
        "{}",
        pulled.stdout
    );

    // The registry down (the chart is not cached under this version's key).
    registry.stop();
    let cached = run(&s, &helm, &no_creds, &["render"], &offline).ok();
    assert!(
        parse_stream(&cached.stdout)
            .iter()
            .any(|o| o["kind"] == "Deployment")
    );
    pipeline(
        &s,
        &format!(
            "{{repo: 'oci://{}/charts', name: {OPERATOR}, version: 1.130.1}}",
            registry.host
        ),
        "",
    );
    let r = run(&s, &helm, &no_creds, &["render"], &[]).fails(3, "Helm failed");
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn an_oci_chart_gets_the_docker_configs_entry_for_its_registry_and_no_helper() {
    let registry = Registry::with_auth("charts", "s3cret-pw");
    push_chart(&registry, "charts", OPERATOR);
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    pipeline(&s, &oci_chart(&registry.host, ""), "");
    // No credentials: the registry's refusal, in Helm's words.
    let e = refused(
        run(&s, &helm, &s.outside("no-docker-config"), &["render"], &[]),
        "Helm failed",
    );
    assert!(
        e.contains("basic credential not found")
            || e.to_lowercase().contains("unauthorized")
            || e.contains("401"),
        "{e}"
    );
    let dir = s.outside("docker");
    // A malformed entry for the registry is refused before Helm runs, quoting no secret.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {&registry.host: {"auth": "not base64 s3cret"}}}).to_string(),
    )
    .unwrap();
    let e = refused(
        run(&s, &helm, &dir, &["render"], &[]),
        "registry credentials",
    );
    assert!(!e.contains("s3cret"), "{e}");
    // The Docker config's entry (as `docker login` writes it), beside a credential helper
    // (Helm, given it, would run `docker-credential-flinkwasm-test` for every registry and
    // fail: there is none) and another registry's secret.
    write_docker_config(&dir, &registry.host, "charts", "s3cret-pw");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    config["credsStore"] = "flinkwasm-test".into();
    config["auths"]["other.example.com"] = serde_json::json!({"auth": "b3RoZXI6b3RoZXI="});
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let r = run(&s, &helm, &dir, &["render"], &[]).ok();
    assert!(
        parse_stream(&r.stdout)
            .iter()
            .any(|o| o["kind"] == "Deployment")
    );
}

#[test]
fn a_hostile_registry_cannot_make_helm_read_or_keep_an_endless_chart() {
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let no_creds = s.outside("no-docker-config");
    // A layer descriptor claiming 4 GiB and a body without end: Helm reads into memory up to
    // what the descriptor claims, so flinkwasm's memory bound on Helm (1 GiB) stops it.
    let oversized = OversizedChartStandIn::start(4 << 30, 2 << 30);
    pipeline(&s, &oci_chart(&oversized.host, ""), "");
    let r = run(&s, &helm, &no_creds, &["render"], &[]);
    let e = refused(r, "Helm failed");
    let sent = oversized.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent < 1100 << 20, "Helm read {sent} bytes: {e}");
    // A manifest without end (announcing 1 TiB): Helm reads at most 4 MiB of a manifest.
    let endless = EndlessBodyStandIn::start(Some(1 << 40), 64 << 20);
    pipeline(&s, &oci_chart(&endless.host, ""), "");
    let started = std::time::Instant::now();
    let e = refused(run(&s, &helm, &no_creds, &["render"], &[]), "Helm failed");
    assert!(started.elapsed() < Duration::from_secs(60));
    let sent = endless.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent < 16 << 20, "Helm read {sent} bytes of a manifest: {e}");
}

#[test]
fn helm_never_takes_a_loopback_registrys_credentials_off_this_machine() {
    // A registry on this machine (plain HTTP) whose challenge names a plain-HTTP token realm
    // elsewhere (192.0.2.1, TEST-NET-1): Helm would send the Basic credentials there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        use std::io::Write as _;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = flinkwasm_tests::registry::read_head(&mut conn);
            let _ = conn.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://192.0.2.1:9/token\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let helm = HelmFixture::new();
    let s = Scratch::new(BIN);
    let dir = s.outside("docker");
    std::fs::create_dir_all(&dir).unwrap();
    write_docker_config(&dir, &host, "charts", "s3cret-pw");
    pipeline(&s, &oci_chart(&host, ""), "");
    let r = run(&s, &helm, &dir, &["render"], &[]);
    let elapsed = r.elapsed;
    let e = refused(r, "Helm failed");
    // The request to the other host went to a proxy that listens nowhere on this machine,
    // and failed there at once (not after a connect timeout to an unroutable address).
    assert!(e.contains("127.0.0.1:9"), "{e}");
    assert!(!e.contains("s3cret"), "{e}");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}
