//! A real OCI registry for the tests: Debian's `docker-registry` (CNCF Distribution 2.8,
//! installed by `tests/setup.sh`), started on 127.0.0.1 on a free port with a temporary
//! storage directory (optionally behind htpasswd basic auth) and stopped when dropped; and the
//! independent client PyPI `oras` (`tests/oci/oras_client.py`), plus a Docker config writer.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `docker-registry`.
pub struct Registry {
    /// `127.0.0.1:<port>`.
    pub host: String,
    /// Its storage, config and htpasswd file.
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    /// The user and password it demands, if any.
    pub credentials: Option<(String, String)>,
}

/// Reads an HTTP request's head (up to the blank line, at most 16 KiB) from a stand-in's
/// accepted connection, with 2 s timeouts set on it.
pub fn read_head(conn: &mut TcpStream) -> Vec<u8> {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 16384 {
        match conn.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => break,
        }
    }
    request
}

/// Writes `x` bytes to a stand-in's connection until `cap`, `stop`, or the reader gives up,
/// counting them in `sent`: a body that never ends.
pub fn write_endless(
    conn: &mut TcpStream,
    cap: u64,
    stop: &std::sync::atomic::AtomicBool,
    sent: &std::sync::atomic::AtomicU64,
) {
    use std::sync::atomic::Ordering;
    let chunk = [b'x'; 65536];
    let mut written = 0u64;
    while written < cap && !stop.load(Ordering::Relaxed) {
        match conn.write(&chunk) {
            Ok(n) if n > 0 => {
                written += n as u64;
                sent.fetch_add(n as u64, Ordering::Relaxed);
            }
            _ => break,
        }
    }
}

/// A port nobody listens on right now (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding a free port on 127.0.0.1")
}

impl Registry {
    /// Starts a registry without authentication.
    pub fn start() -> Registry {
        Registry::launch(None)
    }

    /// Starts a registry that demands `user`/`password` (htpasswd, bcrypt).
    pub fn with_auth(user: &str, password: &str) -> Registry {
        Registry::launch(Some((user.to_string(), password.to_string())))
    }

    fn launch(credentials: Option<(String, String)>) -> Registry {
        let dir = tempfile::tempdir().expect("a temp dir for the registry");
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).expect("creating the registry's storage");
        let mut auth = String::new();
        if let Some((user, password)) = &credentials {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd (apache2-utils, installed by tests/setup.sh)");
            assert!(out.status.success(), "htpasswd failed");
            std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: flinkwasm-tests\n    path: {}\n",
                dir.path().join("htpasswd").display()
            );
        }
        // Another process may take the port between the probe and the bind: try a few.
        let mut dir = dir;
        for _ in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog: {{disabled: true}}\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete: {{enabled: true}}\nhttp:\n  addr: {host}\n  secret: flinkwasm-tests\n{auth}",
                    storage.display()
                ),
            )
            .unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("docker-registry (Debian package, installed by tests/setup.sh)");
            let mut registry = Registry {
                host,
                dir,
                child: Some(child),
                credentials: credentials.clone(),
            };
            if registry.wait_ready() {
                return registry;
            }
            registry.stop();
            dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().unwrap());
        }
        panic!("docker-registry did not start listening on 127.0.0.1");
    }

    /// Waits until `GET /v2/` answers (200, or 401 with auth).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(_)) = child.try_wait()
            {
                return false;
            }
            if let Some(status) = http_status(&self.host, "/v2/") {
                return status == 200 || status == 401;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Stops the registry (it is also stopped when dropped).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The path of blob `digest` (`sha256:<hex>`) in the registry's storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// A Docker config directory (for `DOCKER_CONFIG`) with `user:password` for this registry.
    pub fn docker_config(&self, dir: &Path, user: &str, password: &str) -> PathBuf {
        write_docker_config(dir, &self.host, user, password)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes `dir/config.json` with an `auths` entry for `host` (base64 `user:password`, as
/// `docker login` writes it) and returns `dir`.
pub fn write_docker_config(dir: &Path, host: &str, user: &str, password: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let auth = base64_encode(format!("{user}:{password}").as_bytes());
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {host: {"auth": auth}}}).to_string(),
    )
    .unwrap();
    dir.to_path_buf()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The status code of `GET path` on `host`, if it answers.
pub fn http_status(host: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Runs `tests/oci/oras_client.py` (PyPI `oras`, the independent client) with `args`; its
/// stdout on success, else a panic with its stderr.
pub fn oras(args: &[&str], cwd: &Path, docker_config: Option<&Path>) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(crate::harness::repo("tests/oci/oras_client.py"))
        .args(args)
        .current_dir(cwd);
    match docker_config {
        Some(d) => cmd.env("DOCKER_CONFIG", d),
        None => cmd.env("DOCKER_CONFIG", cwd.join("no-docker-config")),
    };
    let out = cmd
        .output()
        .expect("python3 with PyPI oras (tests/setup.sh installs it)");
    assert!(
        out.status.success(),
        "oras_client.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("oras_client.py writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64_encode(b"u:p"), "dTpw");
        assert_eq!(base64_encode(b"user:pw"), "dXNlcjpwdw==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }
}

/// A stand-in for a hostile registry (not a real one: a bare HTTP/1.1 listener on 127.0.0.1):
/// it answers `/v2/` with 200 and every other request with an endless body of `x`, announcing
/// `content_length` when given, else none (the body ends when the connection closes). For the
/// bounds a real registry never breaks (CNCF Distribution refuses manifests over 4 MiB).
pub struct EndlessBodyStandIn {
    /// `127.0.0.1:<port>`.
    pub host: String,
    /// Bytes written in bodies so far, over all connections.
    pub sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl EndlessBodyStandIn {
    /// Starts serving; stops when dropped. Each body stops after `cap` bytes at most.
    pub fn start(content_length: Option<u64>, cap: u64) -> EndlessBodyStandIn {
        EndlessBodyStandIn::serve(content_length, cap, false)
    }

    /// As [`EndlessBodyStandIn::start`], but `/v2/` answers 401 with a Bearer challenge whose
    /// realm is this server's `/token`: the endless body is then the token realm's answer.
    pub fn behind_a_token_realm(cap: u64) -> EndlessBodyStandIn {
        EndlessBodyStandIn::serve(None, cap, true)
    }

    fn serve(content_length: Option<u64>, cap: u64, challenge: bool) -> EndlessBodyStandIn {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let host = listener.local_addr().expect("its address").to_string();
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sent2, stop2) = (sent.clone(), stop.clone());
        let v2 = if challenge {
            format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://{host}/token\",service=\"stand-in\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
        } else {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_string()
        };
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let request = read_head(&mut conn);
                let line = String::from_utf8_lossy(&request);
                if line.starts_with("GET /v2/ ") {
                    let _ = conn.write_all(v2.as_bytes());
                    continue;
                }
                let length = content_length
                    .map(|n| format!("Content-Length: {n}\r\n"))
                    .unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n{length}Connection: close\r\n\r\n"
                );
                if conn.write_all(head.as_bytes()).is_err() {
                    continue;
                }
                write_endless(&mut conn, cap, &stop2, &sent2);
            }
        });
        EndlessBodyStandIn { host, sent, stop }
    }
}

impl Drop for EndlessBodyStandIn {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod stand_in_tests {
    use super::*;

    #[test]
    fn the_endless_body_stand_in_answers_v2_and_streams_past_any_manifest_bound() {
        let s = EndlessBodyStandIn::start(None, 8 << 20);
        assert_eq!(http_status(&s.host, "/v2/"), Some(200));
        let mut conn = TcpStream::connect(&s.host).unwrap();
        write!(conn, "GET /v2/a/manifests/x HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        let mut body = Vec::new();
        let _ = conn.read_to_end(&mut body);
        assert!(body.starts_with(b"HTTP/1.1 200 OK"));
        assert!(body.len() > 5 << 20, "{} bytes", body.len());
    }

    #[test]
    fn the_token_realm_stand_in_challenges_at_v2_and_streams_at_its_realm() {
        let s = EndlessBodyStandIn::behind_a_token_realm(8 << 20);
        assert_eq!(http_status(&s.host, "/v2/"), Some(401));
        let mut conn = TcpStream::connect(&s.host).unwrap();
        write!(conn, "GET /v2/ HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        let mut head = String::new();
        let _ = conn.read_to_string(&mut head);
        assert!(
            head.contains(&format!("Bearer realm=\"http://{}/token\"", s.host)),
            "{head}"
        );
        let mut conn = TcpStream::connect(&s.host).unwrap();
        write!(conn, "GET /token?scope=x HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        let mut body = Vec::new();
        let _ = conn.read_to_end(&mut body);
        assert!(body.len() > 5 << 20, "{} bytes", body.len());
    }
}
