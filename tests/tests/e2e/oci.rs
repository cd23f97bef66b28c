//! Plugins from OCI registries (issue 19), against a real registry (Debian's `docker-registry`,
//! started here on 127.0.0.1), with the independent client PyPI `oras`, keys made by the
//! `openssl` CLI as the independent signer and verifier: pull by digest, push, signatures, offline
//! runs, every refused input with its exit code and message, and the team-overlay plugin
//! referenced by digest under render, Helm 4 (engine), the Argo CD harness and kpt.

use flinkwasm_tests::harness::{Run, Scratch, copy_dir, parse_stream, repo};
use flinkwasm_tests::registry::{Registry, free_port, oras};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BIN;

const CONFIG: &str = "{team: payments, costCenter: CC-4711}";

fn team_overlay() -> Vec<u8> {
    std::fs::read(env!("FLINKWASM_TEAM_OVERLAY_WASM")).expect("team-overlay built")
}

/// Pushes team-overlay with oras (the way other tools publish components) to `repo` on `reg`;
/// the reference to pin.
fn oras_push(
    s: &Scratch,
    reg: &Registry,
    repository: &str,
    docker_config: Option<&Path>,
) -> String {
    let work = s.outside("oras-push");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("team-overlay.wasm"), team_overlay()).unwrap();
    let digest = oras(
        &[
            "push",
            &format!("{}/{repository}:1.0", reg.host),
            work.join("team-overlay.wasm").to_str().unwrap(),
        ],
        &work,
        docker_config,
    );
    format!("{}/{repository}@{}", reg.host, digest.trim())
}

/// team-overlay with a custom section appended: the same plugin, another digest (a component
/// that was never signed, where the plain one was).
fn team_overlay_variant(tag: &str) -> Vec<u8> {
    let name = b"flinkwasm-test";
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(tag.as_bytes());
    assert!(body.len() < 128, "one-byte LEB128 size");
    let mut wasm = team_overlay();
    wasm.push(0); // custom section
    wasm.push(body.len() as u8);
    wasm.extend(body);
    wasm
}

/// Proxy settings naming a proxy that listens nowhere: a run that used it would fail.
const DEAD_PROXY: [(&str, &str); 4] = [
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("http_proxy", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
    ("NO_PROXY", ""),
];

/// `flinkwasm plugins push` of team-overlay; the printed reference.
fn flinkwasm_push(s: &Scratch, reg: &Registry, repository: &str, key: Option<&Path>) -> String {
    flinkwasm_push_bytes(s, reg, repository, key, &team_overlay())
}

/// `flinkwasm plugins push` of `component`; the printed reference.
pub(crate) fn flinkwasm_push_bytes(
    s: &Scratch,
    reg: &Registry,
    repository: &str,
    key: Option<&Path>,
    component: &[u8],
) -> String {
    let wasm = s.outside("team-overlay.wasm");
    std::fs::write(&wasm, component).unwrap();
    let target = format!("oci://{}/{repository}:1.0", reg.host);
    let mut args = vec!["plugins", "push", wasm.to_str().unwrap(), &target];
    if let Some(k) = key {
        args.extend(["--sign-key", k.to_str().unwrap()]);
    }
    // A proxy in the environment that listens nowhere: a loopback registry is not reached
    // through it (plain HTTP stays on this machine), so the push works all the same.
    let r = s.run_env(&args, None, &DEAD_PROXY).ok();
    r.stdout.trim().to_string()
}

/// A pipeline in `s` running flink-environment (no generation) then the `oci:` team-overlay,
/// over the seed's FlinkApplications.
fn pipeline(s: &Scratch, reference: &str, extra: &str) {
    for f in ["state-machine.yaml", "flink-sql.yaml"] {
        std::fs::copy(
            repo(&format!("workloads/flink-examples/{f}")),
            s.path().join(f),
        )
        .unwrap();
    }
    s.write(
        "flinkwasm.yaml",
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: team}}\nspec:\n  target: {{namespace: confluent}}\n  resources: [state-machine.yaml, flink-sql.yaml]\n  plugins:\n    - builtin: flink-environment\n      config: {{generate: false, argocd: {{enabled: false}}}}\n    - oci: {reference}\n      config: {CONFIG}\n{extra}"
        ),
    );
}

/// The team-overlay's work is in `stdout`: every object labelled, a budget per application.
fn overlaid(stdout: &str) {
    let o = parse_stream(stdout);
    assert!(!o.is_empty());
    assert!(
        o.iter()
            .all(|x| x["metadata"]["labels"]["example.com/cost-center"] == "CC-4711"),
        "{stdout}"
    );
    assert_eq!(
        o.iter()
            .filter(|x| x["kind"] == "PodDisruptionBudget")
            .count(),
        2
    );
}

/// An EC P-256 key pair made by the openssl CLI: (PKCS#8 private key, SPKI public key).
pub(crate) fn openssl_keys(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    let ok = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .status()
        .expect("openssl")
        .success()
        && Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&public)
            .status()
            .expect("openssl")
            .success();
    assert!(ok, "openssl could not make a key pair");
    (key, public)
}

fn hex_of(reference: &str) -> &str {
    reference.rsplit_once("@sha256:").unwrap().1
}

#[test]
fn an_oras_pushed_component_is_pulled_run_and_then_rendered_without_the_registry() {
    let mut reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    pipeline(&s, &reference, "");
    // A proxy in the environment is not used for a loopback registry (plain HTTP stays on
    // this machine): this one listens nowhere, and the pull works all the same.
    let cold = s.run_env(&["render"], None, &DEAD_PROXY).ok();
    overlaid(&cold.stdout);
    let listed = s.run(&["plugins", "list"], None).ok();
    assert!(
        listed
            .stdout
            .contains(&format!("team-overlay             oci:{reference}")),
        "{}",
        listed.stdout
    );
    // Warm: the registry is gone and nothing notices.
    reg.stop();
    let warm = s.run(&["render"], None).ok();
    assert_eq!(warm.stdout, cold.stdout);
    // A cache without it, offline: refused, naming the way out.
    let other = Scratch::new(BIN);
    pipeline(&other, &reference, "");
    other
        .run_env(&["render"], None, &[("FLINKWASM_OFFLINE", "1")])
        .fails(
            5,
            "is not in the cache and this run may not contact a registry",
        );
}

#[test]
fn flinkwasm_s_push_is_read_back_by_oras_as_the_cncf_wasm_artifact() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = flinkwasm_push(&s, &reg, "teams/pushed", None);
    assert!(
        reference.starts_with(&format!("{}/teams/pushed@sha256:", reg.host)),
        "{reference}"
    );
    let out = s.outside("oras-pull");
    std::fs::create_dir_all(&out).unwrap();
    let pulled: serde_json::Value = serde_json::from_str(&oras(
        &["pull", &reference, out.to_str().unwrap()],
        &out,
        None,
    ))
    .unwrap();
    let manifest = &pulled["manifest"];
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap();
    let blob = out.join("layer.wasm");
    oras(
        &["blob", &reference, layer_digest, blob.to_str().unwrap()],
        &out,
        None,
    );
    assert_eq!(std::fs::read(&blob).unwrap(), team_overlay());
    // The tag points at the same manifest the printed digest names.
    let by_tag: serde_json::Value = serde_json::from_str(&oras(
        &[
            "pull",
            &format!("{}/teams/pushed:1.0", reg.host),
            out.to_str().unwrap(),
        ],
        &out,
        None,
    ))
    .unwrap();
    assert_eq!(by_tag["manifest"], *manifest);
    // And flinkwasm runs what it pushed.
    pipeline(&s, &reference, "");
    overlaid(&s.run(&["render"], None).ok().stdout);
}

#[test]
fn a_poisoned_cache_entry_is_refused_and_pulled_again() {
    let mut reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    pipeline(&s, &reference, "");
    let good = s.run(&["render"], None).ok();
    let entry = find_file(&s.cache, &format!("{}.wasm", hex_of(&reference)))
        .expect("the pulled component is in the cache's oci/ store");
    let mut bytes = std::fs::read(&entry).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&entry, &bytes).unwrap();
    let again = s.run(&["render"], None).ok();
    assert_eq!(again.stdout, good.stdout);
    assert!(again.stderr.contains("refused"), "{}", again.stderr);
    // Poisoned again, with no registry to pull from: refused, never run.
    std::fs::write(&entry, &bytes).unwrap();
    reg.stop();
    s.run(&["render"], None).fails(5, "cannot connect");
}

/// The file named `name` below `dir`.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

#[test]
fn basic_auth_credentials_come_from_the_docker_config() {
    let reg = Registry::with_auth("team", "s3cret-pass");
    let s = Scratch::new(BIN);
    let good = reg.docker_config(&s.outside("docker-good"), "team", "s3cret-pass");
    let good = good.to_str().unwrap();
    let wasm = s.outside("team-overlay.wasm");
    std::fs::write(&wasm, team_overlay()).unwrap();
    let target = format!("oci://{}/teams/private:1.0", reg.host);
    let pushed = s
        .run_env(
            &["plugins", "push", wasm.to_str().unwrap(), &target],
            None,
            &[("DOCKER_CONFIG", good)],
        )
        .ok();
    let reference = pushed.stdout.trim().to_string();
    pipeline(&s, &reference, "");
    // No credentials, then wrong ones: refused, naming where credentials come from.
    let none = s.outside("docker-none");
    s.run_env(
        &["render"],
        None,
        &[("DOCKER_CONFIG", none.to_str().unwrap())],
    )
    .fails(5, "refused the credentials");
    let bad = reg.docker_config(&s.outside("docker-bad"), "team", "wrong");
    let r = s
        .run_env(
            &["render"],
            None,
            &[("DOCKER_CONFIG", bad.to_str().unwrap())],
        )
        .fails(5, "refused the credentials");
    assert!(r.stderr.contains("docker-bad/config.json"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("wrong"),
        "no secret in messages: {}",
        r.stderr
    );
    overlaid(
        &s.run_env(&["render"], None, &[("DOCKER_CONFIG", good)])
            .ok()
            .stdout,
    );
    // oras reads the same config.
    let out = s.outside("oras-pull");
    std::fs::create_dir_all(&out).unwrap();
    oras(
        &["pull", &reference, out.to_str().unwrap()],
        &out,
        Some(Path::new(good)),
    );
}

/// Puts `manifest` (JSON) into `reg` under `repository:tag` with oras; its reference.
fn put_manifest(
    s: &Scratch,
    reg: &Registry,
    repository: &str,
    media_type: &str,
    manifest: &serde_json::Value,
) -> String {
    let work = s.outside("manifests");
    std::fs::create_dir_all(&work).unwrap();
    let file = work.join("m.json");
    std::fs::write(&file, manifest.to_string()).unwrap();
    let digest = oras(
        &[
            "put-manifest",
            &format!("{}/{repository}:odd", reg.host),
            media_type,
            file.to_str().unwrap(),
        ],
        &work,
        None,
    );
    format!("{}/{repository}@{}", reg.host, digest.trim())
}

fn render_refused(reference: &str, code: i32, needle: &str) -> Run {
    let s = Scratch::new(BIN);
    pipeline(&s, reference, "");
    s.run_env(&["render"], None, &[("FLINKWASM_OCI_TIMEOUT", "2")])
        .fails(code, needle)
}

#[test]
fn every_bad_registry_input_is_refused_with_its_exit_code_and_no_output() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    let pulled_to = s.outside("x");
    std::fs::create_dir_all(&pulled_to).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&oras(
        &["pull", &reference, pulled_to.to_str().unwrap()],
        &pulled_to,
        None,
    ))
    .map(|v: serde_json::Value| v["manifest"].clone())
    .unwrap();
    let host = &reg.host;
    let hex = hex_of(&reference);
    // A tag alone, a missing registry: the pipeline is wrong (3).
    render_refused(
        &format!("{host}/teams/team-overlay:1.0"),
        3,
        "has no digest",
    );
    render_refused(
        &format!("teams/team-overlay@sha256:{hex}"),
        3,
        "is not a registry host",
    );
    // A digest the registry does not have.
    let wrong = format!("{host}/teams/team-overlay@sha256:{}", "0".repeat(64));
    let r = render_refused(&wrong, 5, "has no manifest sha256:0000");
    assert!(r.stderr.contains("plugin team-overlay"), "{}", r.stderr);
    // A tag that exists beside a digest that does not: the digest wins, the tag is not used.
    let tagged = format!("{host}/teams/team-overlay:1.0@sha256:{}", "0".repeat(64));
    render_refused(&tagged, 5, "has no manifest sha256:0000");
    // An image index instead of a manifest.
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": format!("sha256:{hex}"), "size": manifest.to_string().len()}]
    });
    let index_ref = put_manifest(
        &s,
        &reg,
        "teams/team-overlay",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    render_refused(&index_ref, 5, "names an image index");
    // A container image's media types.
    let mut image = manifest.clone();
    image["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let image_ref = put_manifest(
        &s,
        &reg,
        "teams/team-overlay",
        "application/vnd.oci.image.manifest.v1+json",
        &image,
    );
    render_refused(
        &image_ref,
        5,
        "wrong media type: the config is application/vnd.oci.image.config.v1+json",
    );
    let mut tarball = manifest.clone();
    tarball["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip".into();
    let tar_ref = put_manifest(
        &s,
        &reg,
        "teams/team-overlay",
        "application/vnd.oci.image.manifest.v1+json",
        &tarball,
    );
    render_refused(&tar_ref, 5, "wrong media type: the layer");
    // A layer declared over the component limit: refused from its descriptor, never read.
    let mut huge = manifest.clone();
    huge["layers"][0]["size"] = (200u64 << 20).into();
    let huge_ref = put_manifest(
        &s,
        &reg,
        "teams/team-overlay",
        "application/vnd.oci.image.manifest.v1+json",
        &huge,
    );
    render_refused(&huge_ref, 5, "over the 134217728-byte limit on components");
    // The layer tampered with in the registry's storage: same length, then longer.
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let data = reg.blob_path(layer);
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    render_refused(&reference, 5, "tampered");
    bytes.extend_from_slice(&[0u8; 4096]);
    std::fs::write(&data, &bytes).unwrap();
    render_refused(&reference, 5, "over its");
}

#[test]
fn an_unreachable_registry_fails_within_its_timeout() {
    // Nobody listens: refused at once.
    let closed = format!(
        "127.0.0.1:{}/teams/x@sha256:{}",
        free_port(),
        "a".repeat(64)
    );
    render_refused(&closed, 5, "cannot connect");
    // A registry that accepts and never answers (a stand-in: a bare listener): the deadline.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for _ in 0..4 {
            if let Ok((c, _)) = silent.accept() {
                open.push(c);
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(8));
    });
    let reference = format!("{addr}/teams/x@sha256:{}", "a".repeat(64));
    let r = render_refused(&reference, 5, "did not answer within 2 s");
    assert!(r.elapsed.as_secs() < 8, "took {:?}", r.elapsed);
    drop(held);
}

#[test]
fn a_huge_manifest_is_refused_before_it_is_held() {
    use flinkwasm_tests::registry::EndlessBodyStandIn;
    use std::sync::atomic::Ordering;
    let d = "a".repeat(64);
    // Announced: refused from the header, before the body is read.
    let announced = EndlessBodyStandIn::start(Some(1 << 40), 64 << 20);
    let r = render_refused(
        &format!("{}/teams/x@sha256:{d}", announced.host),
        5,
        "the manifest is 1099511627776 bytes, over its 4194304-byte bound; not read",
    );
    assert!(r.stderr.contains("plugin x"), "{}", r.stderr);
    // Not announced: reading stops at the bound.
    let endless = EndlessBodyStandIn::start(None, 64 << 20);
    render_refused(
        &format!("{}/teams/x@sha256:{d}", endless.host),
        5,
        "the manifest is over its 4194304-byte bound; reading stopped",
    );
    let sent = endless.sent.load(Ordering::Relaxed);
    assert!(sent < 64 << 20, "the host kept reading: {sent} bytes");
}

#[test]
fn an_endless_token_answer_is_refused_at_its_bound_render_and_push_alike() {
    use flinkwasm_tests::registry::EndlessBodyStandIn;
    use std::sync::atomic::Ordering;
    let realm = EndlessBodyStandIn::behind_a_token_realm(256 << 20);
    let d = "a".repeat(64);
    let r = render_refused(
        &format!("{}/teams/x@sha256:{d}", realm.host),
        5,
        "the token answer is over its 65536-byte bound; reading stopped",
    );
    assert!(r.stderr.contains("plugin x"), "{}", r.stderr);
    let s = Scratch::new(BIN);
    let wasm = s.outside("team-overlay.wasm");
    std::fs::write(&wasm, team_overlay()).unwrap();
    let target = format!("oci://{}/teams/x:1.0", realm.host);
    s.run_env(
        &["plugins", "push", wasm.to_str().unwrap(), &target],
        None,
        &[("FLINKWASM_OCI_TIMEOUT", "5")],
    )
    .fails(1, "the token answer is over its 65536-byte bound");
    let sent = realm.sent.load(Ordering::Relaxed);
    assert!(sent < 64 << 20, "the host kept reading: {sent} bytes");
}

#[test]
fn a_required_signature_is_checked_offline_once_pulled_and_refused_by_name() {
    let mut reg = Registry::start();
    let s = Scratch::new(BIN);
    let keys = s.outside("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (platform_key, platform_pub) = openssl_keys(&keys, "platform");
    let (_, other_pub) = openssl_keys(&keys, "other");
    std::fs::copy(&platform_pub, s.path().join("platform.pub")).unwrap();
    std::fs::copy(&other_pub, s.path().join("other.pub")).unwrap();
    let signed = flinkwasm_push(&s, &reg, "teams/signed", Some(&platform_key));
    let unsigned_component = team_overlay_variant("unsigned");
    let unsigned = flinkwasm_push_bytes(&s, &reg, "teams/unsigned", None, &unsigned_component);
    // Signed by the pipeline's key: pull (the Argo CD init step), then no registry needed.
    // (An `oci:` entry without `name` is named after its repository: `signed`.)
    pipeline(&s, &signed, "  verify: {keys: [platform.pub]}\n");
    let pulled = s.run(&["plugins", "pull"], None).ok();
    assert!(pulled.stdout.contains("pulled signed"), "{}", pulled.stdout);
    assert!(pulled.stdout.contains("ok  signed"), "{}", pulled.stdout);
    reg.stop();
    overlaid(&s.run(&["render"], None).ok().stdout);
    s.run(&["plugins", "verify"], None).ok();
    // The same component, a key that did not sign it: refused naming plugin, digest and keys.
    pipeline(&s, &signed, "  verify: {keys: [other.pub]}\n");
    let r = s.run(&["render"], None).fails(5, "plugin signed: refusing");
    assert!(
        r.stderr.contains(&format!("sha256:{}", hex_of(&signed))),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("keys tried (other.pub)"), "{}", r.stderr);
    assert!(r.stderr.contains("not signed by other.pub"), "{}", r.stderr);
    // A plugin entry's own requirement wins over the pipeline's.
    let entry = "      verify: {keys: [platform.pub]}\n  verify: {keys: [other.pub]}\n";
    pipeline(&s, &signed, entry);
    overlaid(&s.run(&["render"], None).ok().stdout);
    // No signature at all.
    let mut reg = Registry::start();
    let unsigned_here = flinkwasm_push_bytes(&s, &reg, "teams/unsigned", None, &unsigned_component);
    assert_eq!(
        hex_of(&unsigned_here),
        hex_of(&unsigned),
        "pushes are reproducible"
    );
    pipeline(&s, &unsigned_here, "  verify: {keys: [platform.pub]}\n");
    s.run(&["render"], None)
        .fails(5, "no signature at tag sha256-");
    reg.stop();
    // A key that is not a key, and a key outside the pipeline directory: the pipeline's fault.
    s.write("broken.pub", "not a key");
    pipeline(&s, &signed, "  verify: {keys: [broken.pub]}\n");
    s.run(&["render"], None)
        .fails(3, "broken.pub is not a PEM public key");
    pipeline(
        &s,
        &signed,
        &format!("  verify: {{keys: [{}]}}\n", platform_pub.display()),
    );
    s.run(&["render"], None)
        .fails(3, "outside the pipeline directory");
}

#[test]
fn an_openssl_signature_in_cosign_s_layout_is_accepted() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let keys = s.outside("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (key, public) = openssl_keys(&keys, "ci");
    std::fs::copy(&public, s.path().join("ci.pub")).unwrap();
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    let digest = format!("sha256:{}", hex_of(&reference));
    // cosign's simple-signing payload, signed by openssl (ECDSA P-256, SHA-256, DER).
    let payload = keys.join("payload.json");
    std::fs::write(
        &payload,
        format!(
            "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{}/teams/team-overlay\"}},\"image\":{{\"docker-manifest-digest\":\"{digest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}",
            reg.host
        ),
    )
    .unwrap();
    let sig = keys.join("payload.sig");
    let ok = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&key)
        .arg("-out")
        .arg(&sig)
        .arg(&payload)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let b64 = Command::new("openssl")
        .args(["base64", "-A", "-in"])
        .arg(&sig)
        .output()
        .unwrap();
    let b64 = String::from_utf8(b64.stdout).unwrap();
    oras(
        &[
            "sign",
            &format!("{}/teams/team-overlay:1.0", reg.host),
            &digest,
            payload.to_str().unwrap(),
            b64.trim(),
        ],
        &keys,
        None,
    );
    // The fixture itself is a cosign signature by sigstore-rs's reckoning.
    sigstore_verifies(&public, b64.trim(), &std::fs::read(&payload).unwrap());
    pipeline(&s, &reference, "  verify: {keys: [ci.pub]}\n");
    overlaid(&s.run(&["render"], None).ok().stdout);
}

#[test]
fn flinkwasm_s_signature_is_cosign_s_layout_and_verifies_under_openssl_and_sigstore() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let keys = s.outside("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (key, public) = openssl_keys(&keys, "platform");
    let reference = flinkwasm_push(&s, &reg, "teams/signed", Some(&key));
    let hex = hex_of(&reference);
    let out = s.outside("sig");
    std::fs::create_dir_all(&out).unwrap();
    let pulled: serde_json::Value = serde_json::from_str(&oras(
        &[
            "pull",
            &format!("{}/teams/signed:sha256-{hex}.sig", reg.host),
            out.to_str().unwrap(),
        ],
        &out,
        None,
    ))
    .unwrap();
    let layer = &pulled["manifest"]["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let signature = layer["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    let payload_file = out.join("payload.json");
    oras(
        &[
            "blob",
            &reference,
            layer["digest"].as_str().unwrap(),
            payload_file.to_str().unwrap(),
        ],
        &out,
        None,
    );
    let payload = std::fs::read(&payload_file).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        doc["critical"]["image"]["docker-manifest-digest"],
        format!("sha256:{hex}")
    );
    assert_eq!(doc["critical"]["type"], "cosign container image signature");
    // openssl, with the public key it made, verifies the signature over the payload's bytes.
    let der = out.join("sig.der");
    let decoded = Command::new("openssl")
        .args(["base64", "-d", "-A", "-out"])
        .arg(&der)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(signature.as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(decoded.success());
    let verified = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&der)
        .arg(&payload_file)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // So does the Sigstore project's own verifier.
    sigstore_verifies(&public, signature, &payload);
}

/// Asserts that sigstore-rs's cosign key verifier (ECDSA P-256, SHA-256) accepts `signature`
/// (base64, as in cosign's annotation) over `payload` with the PEM public key at `public`,
/// and refuses it over other bytes.
fn sigstore_verifies(public: &Path, signature: &str, payload: &[u8]) {
    use sigstore::crypto::{CosignVerificationKey, Signature, SigningScheme};
    let pem = std::fs::read(public).unwrap();
    let key = CosignVerificationKey::from_pem(&pem, &SigningScheme::ECDSA_P256_SHA256_ASN1)
        .expect("sigstore reads the PEM public key");
    key.verify_signature(Signature::Base64Encoded(signature.as_bytes()), payload)
        .expect("sigstore verifies the signature");
    let mut other = payload.to_vec();
    other.push(b' ');
    assert!(
        key.verify_signature(Signature::Base64Encoded(signature.as_bytes()), &other)
            .is_err(),
        "sigstore must refuse the signature over other bytes"
    );
}

#[test]
fn concurrent_cold_pulls_of_one_digest_agree() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    pipeline(&s, &reference, "");
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| s.run(&["render"], None)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = runs[0].stdout.clone();
    for r in runs {
        assert_eq!(r.ok().stdout, first);
    }
}

#[test]
fn helm4_post_renders_with_a_digest_pinned_plugin() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    let pipe = s.path().join("pipe");
    std::fs::create_dir_all(&pipe).unwrap();
    std::fs::write(
        pipe.join("flinkwasm.yaml"),
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: helm}}\nspec:\n  plugins:\n    - oci: {reference}\n      config: {CONFIG}\n      select: {{kinds: [Deployment]}}\n"
        ),
    )
    .unwrap();
    let plugins = s.path().join("helm-plugins");
    copy_dir(
        &repo("charts/helm-plugin/flinkwasm"),
        &plugins.join("flinkwasm"),
    );
    let out = Command::new("python3")
        .arg(repo("tests/helm/install_with_plugin.py"))
        .arg(repo("tests/charts/flink-kubernetes-operator"))
        .arg("flink-kubernetes-operator")
        .arg("confluent")
        .arg(r#"{"webhook": {"create": false}}"#)
        .arg("flinkwasm")
        .arg(format!("--pipeline={}", pipe.display()))
        .env("HELM_PLUGINS", &plugins)
        .env("FLINKWASM_BIN", BIN)
        .env("FLINKWASM_CACHE_DIR", &s.cache)
        .current_dir(s.path())
        .output()
        .expect("python3 with helm-python-sdk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = parse_stream(&stdout);
    let dep = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(
        dep["metadata"]["labels"]["example.com/cost-center"],
        "CC-4711"
    );
}

#[test]
fn argo_cd_init_pulls_and_generate_runs_without_the_registry() {
    let mut reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    // The repo-server: a copy of the repository, the sidecar's PATH, HOME and cache.
    let server = tempfile::tempdir().unwrap();
    let app = server.path().join("repo/apps/team");
    std::fs::create_dir_all(&app).unwrap();
    let team = Scratch::new(BIN);
    pipeline(&team, &reference, "");
    copy_dir(team.path(), &app);
    std::fs::create_dir_all(server.path().join("bin")).unwrap();
    std::os::unix::fs::symlink(BIN, server.path().join("bin/flinkwasm")).unwrap();
    let plugin: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo("charts/argocd-cmp/plugin.yaml")).unwrap(),
    )
    .unwrap();
    let run = |step: &str| {
        let cmd: Vec<String> =
            serde_json::from_value(plugin["spec"][step]["command"].clone()).unwrap();
        Command::new(&cmd[0])
            .args(&cmd[1..])
            .current_dir(&app)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", server.path().join("bin").display()),
            )
            .env("HOME", server.path())
            .env("FLINKWASM_CACHE_DIR", server.path().join("cache"))
            .env("ARGOCD_APP_NAME", "team")
            .env("ARGOCD_APP_NAMESPACE", "confluent")
            .output()
            .unwrap()
    };
    let init = run("init");
    assert!(
        init.status.success(),
        "init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    reg.stop();
    let generate = run("generate");
    assert!(
        generate.status.success(),
        "generate: {}",
        String::from_utf8_lossy(&generate.stderr)
    );
    overlaid(&String::from_utf8_lossy(&generate.stdout));
    // A cache init never filled: generate does not reach for the registry.
    std::fs::remove_dir_all(server.path().join("cache")).unwrap();
    let offline = run("generate");
    assert!(!offline.status.success());
    assert!(offline.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&offline.stderr)
            .contains("fill the cache first with `flinkwasm plugins pull`"),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
}

#[test]
fn kpt_runs_a_pipeline_with_a_digest_pinned_plugin() {
    let reg = Registry::start();
    let s = Scratch::new(BIN);
    let reference = oras_push(&s, &reg, "teams/team-overlay", None);
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("settings.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: confluent\ndata:\n  a: b\n").unwrap();
    std::fs::write(
        dir.path().join("flinkwasm.yaml"),
        format!(
            "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {{name: krm}}\nspec:\n  target: {{namespace: confluent}}\n  plugins:\n    - oci: {reference}\n      config: {CONFIG}\n"
        ),
    )
    .unwrap();
    let exe = dir.path().join("flinkwasm-krm");
    std::os::unix::fs::symlink(BIN, &exe).unwrap();
    let out = Command::new("kpt")
        .args(["fn", "eval", "pkg", "--exec", exe.to_str().unwrap()])
        .current_dir(dir.path())
        .env("FLINKWASM_CACHE_DIR", &s.cache)
        .output()
        .expect("kpt");
    assert!(
        out.status.success(),
        "kpt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let settings = parse_stream(&std::fs::read_to_string(pkg.join("settings.yaml")).unwrap());
    assert_eq!(
        settings[0]["metadata"]["labels"]["example.com/cost-center"],
        "CC-4711"
    );
}

#[test]
fn plugins_pull_fails_when_the_cache_cannot_keep_what_it_would_pull() {
    let s = Scratch::new(BIN);
    pipeline(
        &s,
        &format!("127.0.0.1:1/teams/x@sha256:{}", "a".repeat(64)),
        "",
    );
    // A cache inside the repository is never used: what `init` pulled would be lost, and the
    // offline `generate` after it would refuse the plugin. The failure is here, at once.
    let inside = s.path().join(".cache");
    let r = s
        .run_env(
            &["plugins", "pull"],
            None,
            &[("FLINKWASM_CACHE_DIR", inside.to_str().unwrap())],
        )
        .fails(1, "no usable cache directory");
    assert!(r.stderr.contains("inside the repository"), "{}", r.stderr);
}
