//! Charts in OCI registries for the tests: a test chart pushed with Helm's media types by the
//! real Helm 4 engine (`tests/helm/oci_chart.py`) to the real registry of `registry.rs`, and a
//! stand-in for a hostile registry serving a chart manifest whose layer has no end.

use crate::harness::repo;
use std::io::Write as _;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Pushes the test chart `chart` (a directory under `tests/charts`) to `registry` under
/// `oci://HOST/path` with the real Helm 4 engine (`tests/helm/oci_chart.py`: Helm's media
/// types, the version as the tag), logging in when the registry demands credentials. Returns
/// the layer's digest (`sha256:…`, the packaged chart's).
pub fn push_chart(registry: &crate::registry::Registry, path: &str, chart: &str) -> String {
    let work = tempfile::tempdir().expect("a temp dir");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(repo("tests/helm/oci_chart.py"))
        .arg(work.path())
        .arg(repo(&format!("tests/charts/{chart}")))
        .arg(format!("oci://{}/{path}", registry.host))
        .env("HELM_CONFIG_HOME", work.path().join("config"))
        .env("HELM_CACHE_HOME", work.path().join("cache"));
    if let Some((user, password)) = &registry.credentials {
        cmd.arg(user).arg(password);
    }
    let out = cmd.output().expect("python3 with helm-python-sdk");
    assert!(
        out.status.success(),
        "pushing {chart}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A stand-in for a hostile OCI registry serving a chart (not a real registry: a bare HTTP/1.1
/// listener on 127.0.0.1): `/v2/` answers 200, every manifest is a Helm chart manifest (Helm's
/// media types) whose layer descriptor claims `claimed` bytes, the config blob is `{}`, and
/// every other blob is an endless body of `x` (at most `cap` bytes per connection). For the
/// bounds a real registry never tests.
pub struct OversizedChartStandIn {
    /// `127.0.0.1:<port>`.
    pub host: String,
    /// Bytes of layer bodies sent so far.
    pub sent: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl OversizedChartStandIn {
    /// Starts serving; stops when dropped.
    pub fn start(claimed: u64, cap: u64) -> OversizedChartStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1");
        listener.set_nonblocking(true).expect("non-blocking");
        let host = listener.local_addr().expect("its address").to_string();
        let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let config = b"{}";
        let config_digest = format!("sha256:{}", sha256_hex(config));
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                       "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "digest": format!("sha256:{}", "ab".repeat(32)), "size": claimed}],
        })
        .to_string();
        let manifest_digest = format!("sha256:{}", sha256_hex(manifest.as_bytes()));
        let (sent2, stop2) = (sent.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(600);
            while !stop2.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let request = crate::registry::read_head(&mut conn);
                let line = String::from_utf8_lossy(&request);
                let line = line.lines().next().unwrap_or("");
                let head = line.starts_with("HEAD ");
                let fixed = |ty: &str, digest: &str, body: &[u8]| {
                    let mut answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {ty}\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    if !head {
                        answer.extend_from_slice(body);
                    }
                    answer
                };
                let answer = if line.contains(" /v2/ ") {
                    fixed("application/json", "", b"{}")
                } else if line.contains("/manifests/") {
                    fixed(
                        "application/vnd.oci.image.manifest.v1+json",
                        &manifest_digest,
                        manifest.as_bytes(),
                    )
                } else if line.contains(&format!("/blobs/{config_digest}")) {
                    fixed("application/octet-stream", &config_digest, config)
                } else {
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    );
                    crate::registry::write_endless(&mut conn, cap, &stop2, &sent2);
                    continue;
                };
                let _ = conn.write_all(&answer);
            }
        });
        OversizedChartStandIn { host, sent, stop }
    }
}

impl Drop for OversizedChartStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    flinkwasm::runtime::sha256_hex(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_oversized_chart_stand_in_serves_a_helm_manifest_and_an_endless_layer() {
        let s = OversizedChartStandIn::start(1 << 40, 8 << 20);
        let get = |path: &str| {
            let mut conn = std::net::TcpStream::connect(&s.host).unwrap();
            write!(conn, "GET {path} HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
            let mut body = Vec::new();
            let _ = conn.read_to_end(&mut body);
            body
        };
        let manifest = String::from_utf8(get("/v2/c/manifests/1.0.0")).unwrap();
        let json = manifest.split("\r\n\r\n").nth(1).unwrap();
        let m: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            m["layers"][0]["mediaType"],
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
        );
        assert_eq!(m["layers"][0]["size"], 1u64 << 40);
        assert_eq!(
            m["config"]["mediaType"],
            "application/vnd.cncf.helm.config.v1+json"
        );
        let layer = get(&format!("/v2/c/blobs/sha256:{}", "ab".repeat(32)));
        assert!(layer.len() > 5 << 20, "{} bytes", layer.len());
    }
}
