//! Talking to a registry: the OCI Distribution API over HTTPS (plain HTTP only to a loopback
//! registry), on a current-thread tokio runtime that lives for one command.
//!
//! The token exchange (Basic, or a Bearer token from the realm the registry's challenge names)
//! and the pull's reads are this module's own; `oci-client` pushes, given the token. Every
//! byte read from a registry or its token realm is bounded before it is held: a token answer
//! at [`MAX_TOKEN_BYTES`], a manifest at
//! [`artifact::MAX_MANIFEST_BYTES`], a layer at its descriptor's size (itself capped at the
//! component limit), a `Content-Length` over the bound refused before the body is read, and
//! the body counted as it arrives. Every request has a connect timeout, a read timeout and a
//! deadline for the whole exchange (`FLINKWASM_OCI_TIMEOUT`, seconds, default 120).
//! Redirects (registries send blobs to their storage) are followed at most 5 times and never
//! from HTTPS to HTTP; reqwest drops the `Authorization` header when one leaves the registry's
//! host, and what comes back is held to its digest wherever it came from. A token realm must
//! be HTTPS (plain HTTP only from a loopback registry to a loopback realm): credentials never
//! travel in clear. Loopback registries are spoken to without a proxy, so plain HTTP stays on
//! this machine whatever `HTTP_PROXY` says.

use super::Pinned;
use super::artifact::{self, Artifact};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use std::time::Duration;

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a read may wait for the next bytes.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The default deadline of one exchange with the registry.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// The largest answer of a token realm read (Docker Hub's tokens are a few KiB).
pub const MAX_TOKEN_BYTES: u64 = 64 << 10;

/// A registry, its credentials and the clients that talk to it.
pub struct Registry {
    host: String,
    scheme: &'static str,
    auth: RegistryAuth,
    oci: oci_client::Client,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    deadline: Duration,
}

/// Whether `host` (`host[:port]`) is this machine: spoken to over plain HTTP, as Docker does.
pub(crate) fn loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() => h,
        _ => host,
    };
    name == "localhost"
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// A header value that logs and `Debug` never show.
fn sensitive(value: String) -> Result<HeaderValue, String> {
    let mut header = HeaderValue::from_str(&value)
        .map_err(|_| "the credentials hold characters a header cannot carry".to_string())?;
    header.set_sensitive(true);
    Ok(header)
}

/// The realm and service of the first Bearer challenge in a `WWW-Authenticate` value.
fn bearer_challenge(value: &str) -> Option<(String, Option<String>)> {
    http_auth::parser::ChallengeParser::new(value)
        .filter_map(Result::ok)
        .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
        .and_then(|c| {
            let param = |name: &str| {
                c.params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_unescaped())
            };
            Some((param("realm")?, param("service")))
        })
}

/// The token in a token realm's JSON answer (`token`, or OAuth 2's `access_token`).
fn token_of(answer: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        token: Option<String>,
        access_token: Option<String>,
    }
    let a: Answer = serde_json::from_slice(answer).ok()?;
    a.token.or(a.access_token).filter(|t| !t.is_empty())
}

/// What went wrong with a request, in words: connecting, timing out, a refused redirect.
fn request_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    if e.is_connect() {
        format!("cannot connect: {text}")
    } else if e.is_timeout() {
        format!("timed out: {text}")
    } else if e.is_redirect() {
        format!("refused a redirect: {text}")
    } else {
        text
    }
}

/// The deadline of one exchange: `FLINKWASM_OCI_TIMEOUT` seconds, else the default.
fn deadline() -> Duration {
    std::env::var("FLINKWASM_OCI_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_DEADLINE, Duration::from_secs)
}

impl Registry {
    /// A client for `registry` (`host[:port]`) with its credentials from the Docker config.
    pub fn connect(registry: &str) -> Result<Registry, String> {
        // rustls needs its crypto provider chosen once per process; a second call is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let auth = super::credentials::for_registry(registry)?;
        let deadline = deadline();
        // Past a short deadline, the deadline speaks first (and says which bound it was).
        let connect = CONNECT_TIMEOUT.min(deadline + Duration::from_secs(1));
        let read = READ_TIMEOUT.min(deadline + Duration::from_secs(1));
        let (scheme, protocol) = if loopback(registry) {
            ("http", ClientProtocol::Http)
        } else {
            ("https", ClientProtocol::Https)
        };
        let local = loopback(registry);
        let oci = oci_client::Client::new(ClientConfig {
            protocol,
            connect_timeout: Some(connect),
            read_timeout: Some(read),
            user_agent: concat!("flinkwasm/", env!("CARGO_PKG_VERSION")),
            // oci-client has no switch for "no proxy": a proxy that matches no loopback
            // host (`*` names every domain, the CIDRs every loopback address) turns
            // reqwest's system proxies off for a loopback registry.
            http_proxy: local.then(|| "http://127.0.0.1:9".to_string()),
            no_proxy: local.then(|| "*,127.0.0.0/8,::1".to_string()),
            ..ClientConfig::default()
        });
        let mut http = reqwest::Client::builder();
        if local {
            http = http.no_proxy();
        }
        let http = http
            .connect_timeout(connect)
            .read_timeout(read)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let from_https = attempt
                    .previous()
                    .first()
                    .is_some_and(|u| u.scheme() == "https");
                if attempt.previous().len() >= 5 {
                    attempt.error("more than 5 redirects")
                } else if from_https && attempt.url().scheme() != "https" {
                    attempt.error("a redirect from HTTPS to plain HTTP")
                } else if attempt.url().scheme() != "https"
                    && !attempt.url().host_str().is_some_and(loopback)
                {
                    // Plain HTTP stays on this machine, wherever a redirect points.
                    attempt.error("a redirect to plain HTTP off this machine")
                } else {
                    attempt.follow()
                }
            }))
            .user_agent(concat!("flinkwasm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up an HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("cannot start the network runtime: {e}"))?;
        Ok(Registry {
            host: registry.to_string(),
            scheme,
            auth,
            oci,
            http,
            runtime,
            deadline,
        })
    }

    /// Runs `work` to completion within the deadline.
    fn block<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        self.runtime
            .block_on(async { tokio::time::timeout(self.deadline, work).await })
            .map_err(|_| {
                format!(
                    "registry {} did not answer within {} s (FLINKWASM_OCI_TIMEOUT)",
                    self.host,
                    self.deadline.as_secs()
                )
            })?
    }

    fn reference(&self, repository: &str, digest_or_tag: &str) -> Reference {
        if digest_or_tag.starts_with("sha256:") {
            Reference::with_digest(self.host.clone(), repository.into(), digest_or_tag.into())
        } else {
            Reference::with_tag(self.host.clone(), repository.into(), digest_or_tag.into())
        }
    }

    fn url(&self, reference: &Reference, kind: &str, what: &str) -> String {
        format!(
            "{}://{}/v2/{}/{kind}/{what}",
            self.scheme,
            reference.resolve_registry(),
            reference.repository()
        )
    }

    /// The `Authorization` header for `op` on `reference`, if the registry wants one: what
    /// the registry's `/v2/` challenge asks for. A Bearer challenge is answered by the realm
    /// it names (HTTPS, see [`Registry::realm`]) with the credentials, its answer read to at
    /// most [`MAX_TOKEN_BYTES`]; any other answer gets the Docker config's credentials as
    /// Basic, or nothing.
    async fn authorization(
        &self,
        reference: &Reference,
        op: RegistryOperation,
    ) -> Result<Option<HeaderValue>, String> {
        let url = format!("{}://{}/v2/", self.scheme, self.host);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| self.describe(&request_error(&e), "authenticating"))?;
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .and_then(bearer_challenge);
        // The body of /v2/ is not read: only its challenge matters.
        drop(response);
        let Some((realm, service)) = challenge else {
            return match &self.auth {
                RegistryAuth::Basic(user, password) => {
                    use base64::Engine as _;
                    let both = base64::engine::general_purpose::STANDARD
                        .encode(format!("{user}:{password}"));
                    sensitive(format!("Basic {both}")).map(Some)
                }
                RegistryAuth::Bearer(token) => sensitive(format!("Bearer {token}")).map(Some),
                RegistryAuth::Anonymous => Ok(None),
            };
        };
        let realm = self.realm(&realm)?;
        let actions = match op {
            RegistryOperation::Pull => "pull",
            RegistryOperation::Push => "pull,push",
        };
        let mut query = vec![(
            "scope",
            format!("repository:{}:{actions}", reference.repository()),
        )];
        query.extend(service.map(|s| ("service", s)));
        let mut request = self.http.get(realm).query(&query);
        if let RegistryAuth::Basic(user, password) = &self.auth {
            request = request.basic_auth(user, Some(password));
        }
        let answer = self
            .read(request, MAX_TOKEN_BYTES, "token answer")
            .await?
            .ok_or_else(|| {
                format!(
                    "registry {}: its token realm answered 404 Not Found",
                    self.host
                )
            })?;
        let token = token_of(&answer).ok_or_else(|| {
            format!(
                "registry {}: its token realm's answer holds no token",
                self.host
            )
        })?;
        sensitive(format!("Bearer {token}")).map(Some)
    }

    /// The token realm a challenge names, if credentials may go there: HTTPS, or plain HTTP
    /// from a loopback registry to a loopback realm (the tests' registries). A registry's
    /// challenge could otherwise send the Docker config's password in clear to any host.
    fn realm(&self, realm: &str) -> Result<reqwest::Url, String> {
        let url = reqwest::Url::parse(realm).map_err(|e| {
            format!(
                "registry {}: its token realm {} is not a URL: {e}",
                self.host,
                crate::text::safe(realm)
            )
        })?;
        let local = |u: &reqwest::Url| u.host_str().is_some_and(loopback);
        match url.scheme() {
            "https" => Ok(url),
            "http" if self.scheme == "http" && local(&url) => Ok(url),
            _ => Err(format!(
                "registry {}: refusing its token realm {}: credentials go only over HTTPS",
                self.host,
                crate::text::safe(realm)
            )),
        }
    }

    fn describe(&self, error: &str, doing: &str) -> String {
        format!(
            "registry {} ({doing}): {} (credentials: {})",
            self.host,
            crate::text::safe(error),
            super::credentials::source()
        )
    }

    /// GETs `url` with `accept`, reading at most `max` bytes; `None` on 404.
    async fn get(
        &self,
        url: &str,
        accept: &[&str],
        auth: Option<&HeaderValue>,
        max: u64,
        what: &str,
    ) -> Result<Option<Vec<u8>>, String> {
        let mut request = self.http.get(url).header(ACCEPT, accept.join(", "));
        if let Some(a) = auth {
            request = request.header(AUTHORIZATION, a.clone());
        }
        self.read(request, max, what).await
    }

    /// Sends `request` and reads at most `max` bytes of a successful answer; `None` on 404.
    async fn read(
        &self,
        request: reqwest::RequestBuilder,
        max: u64,
        what: &str,
    ) -> Result<Option<Vec<u8>>, String> {
        let mut response = request
            .send()
            .await
            .map_err(|e| self.describe(&request_error(&e), &format!("reading the {what}")))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(format!(
                "registry {} refused the credentials for the {what} ({status}; credentials from {})",
                self.host,
                super::credentials::source()
            ));
        }
        if !status.is_success() {
            return Err(format!(
                "registry {} answered {status} for the {what}",
                self.host
            ));
        }
        if let Some(len) = response.content_length()
            && len > max
        {
            return Err(format!(
                "the {what} is {len} bytes, over its {max}-byte bound; not read"
            ));
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0).min(max) as usize);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.describe(&e.to_string(), &format!("reading the {what}")))?
        {
            if (body.len() + chunk.len()) as u64 > max {
                return Err(format!(
                    "the {what} is over its {max}-byte bound; reading stopped"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// Pulls the artifact `pinned` names: the manifest (checked against the pin and the Wasm
    /// layout), then its one layer (checked against the manifest).
    pub fn pull(&self, pinned: &Pinned) -> Result<Artifact, String> {
        let reference = pinned.reference();
        self.block(async {
            let auth = self
                .authorization(&reference, RegistryOperation::Pull)
                .await?;
            let url = self.url(&reference, "manifests", &pinned.digest_ref());
            let manifest = self
                .get(
                    &url,
                    artifact::ACCEPT,
                    auth.as_ref(),
                    artifact::MAX_MANIFEST_BYTES,
                    "manifest",
                )
                .await?
                .ok_or_else(|| {
                    format!(
                        "registry {} has no manifest {} in {}",
                        self.host,
                        pinned.digest_ref(),
                        pinned.repository
                    )
                })?;
            let layer = artifact::check_manifest(pinned, &manifest)?;
            let url = self.url(&reference, "blobs", &layer.digest);
            let component = self
                .get(&url, &["*/*"], auth.as_ref(), layer.size, "layer")
                .await?
                .ok_or_else(|| format!("registry {} has no blob {}", self.host, layer.digest))?;
            Artifact::checked(pinned, manifest, component)
        })
    }

    /// The manifest tagged `tag` in `repository`, at most `max` bytes; `None` when there is
    /// none.
    pub fn manifest_by_tag(
        &self,
        repository: &str,
        tag: &str,
        max: u64,
    ) -> Result<Option<Vec<u8>>, String> {
        let reference = self.reference(repository, tag);
        self.block(async {
            let auth = self
                .authorization(&reference, RegistryOperation::Pull)
                .await?;
            let url = self.url(&reference, "manifests", tag);
            self.get(
                &url,
                &[artifact::MANIFEST_MEDIA_TYPE],
                auth.as_ref(),
                max,
                "signature manifest",
            )
            .await
        })
    }

    /// The blob `digest` of `repository`, at most `max` bytes and hashing to `digest`.
    pub fn blob(&self, repository: &str, digest: &str, max: u64) -> Result<Vec<u8>, String> {
        let reference = self.reference(repository, digest);
        let bytes = self.block(async {
            let auth = self
                .authorization(&reference, RegistryOperation::Pull)
                .await?;
            let url = self.url(&reference, "blobs", digest);
            self.get(&url, &["*/*"], auth.as_ref(), max, "blob").await
        })?;
        let bytes = bytes.ok_or_else(|| format!("registry {} has no blob {digest}", self.host))?;
        let actual = format!("sha256:{}", crate::runtime::sha256_hex(&bytes));
        if actual != digest {
            return Err(format!("blob {digest} has digest {actual}"));
        }
        Ok(bytes)
    }

    /// Pushes `blobs` and then `manifest` to `repository` under `tag` (or its own digest when
    /// `tag` is `None`); returns the manifest's digest, `sha256:<hex>`.
    pub fn push(
        &self,
        repository: &str,
        tag: Option<&str>,
        blobs: &[&[u8]],
        manifest: &[u8],
    ) -> Result<String, String> {
        let digest = format!("sha256:{}", crate::runtime::sha256_hex(manifest));
        let reference = self.reference(repository, tag.unwrap_or(&digest));
        self.block(async {
            // oci-client is handed the token this module fetched (bounded, HTTPS realm), so
            // it makes no token exchange of its own.
            let auth = match self
                .authorization(&reference, RegistryOperation::Push)
                .await?
            {
                Some(header) => {
                    match header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")) {
                        Some(token) => RegistryAuth::Bearer(token.to_string()),
                        None => self.auth.clone(),
                    }
                }
                None => RegistryAuth::Anonymous,
            };
            self.oci
                .auth(&reference, &auth, RegistryOperation::Push)
                .await
                .map_err(|e| self.describe(&e.to_string(), "authenticating to push"))?;
            for blob in blobs {
                let d = format!("sha256:{}", crate::runtime::sha256_hex(blob));
                self.oci
                    .push_blob(&reference, blob.to_vec(), &d)
                    .await
                    .map_err(|e| self.describe(&e.to_string(), "pushing a blob"))?;
            }
            self.oci
                .push_manifest_raw(
                    &reference,
                    manifest.to_vec(),
                    HeaderValue::from_static(artifact::MANIFEST_MEDIA_TYPE),
                )
                .await
                .map_err(|e| self.describe(&e.to_string(), "pushing the manifest"))?;
            Ok(())
        })?;
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_never_takes_plain_http_off_this_machine() {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(4) {
                let Ok(mut conn) = conn else { continue };
                let mut request = [0u8; 4096];
                let n = conn.read(&mut request).unwrap_or(0);
                let answer = if request[..n].starts_with(b"GET /v2/ ") {
                    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    // TEST-NET-1: never reached, the redirect is refused before.
                    "HTTP/1.1 302 Found\r\nLocation: http://192.0.2.1/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                };
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        let registry = Registry::connect(&host).unwrap();
        let e = registry.manifest_by_tag("teams/x", "t", 1024).unwrap_err();
        assert!(e.contains("plain HTTP off this machine"), "{e}");
    }

    #[test]
    fn credentials_go_to_a_token_realm_only_over_https() {
        let remote = Registry::connect("registry.example.com").unwrap();
        assert!(remote.realm("https://auth.example.com/token").is_ok());
        for refused in [
            "http://auth.example.com/token",
            "http://127.0.0.1:5000/token",
            "ftp://auth.example.com/token",
            "file:///etc/passwd",
            "not a url",
        ] {
            let e = remote.realm(refused).unwrap_err();
            assert!(e.contains("registry registry.example.com"), "{e}");
        }
        // A loopback registry (the tests') may use a plain-HTTP realm on this machine only.
        let local = Registry::connect("127.0.0.1:5000").unwrap();
        assert!(local.realm("http://127.0.0.1:5001/token").is_ok());
        assert!(local.realm("http://localhost:5001/token").is_ok());
        let e = local.realm("http://auth.example.com/token").unwrap_err();
        assert!(e.contains("only over HTTPS"), "{e}");
    }

    #[test]
    fn a_bearer_challenge_gives_its_realm_and_service() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#
            ),
            Some((
                "https://auth.docker.io/token".to_string(),
                Some("registry.docker.io".to_string())
            ))
        );
        assert_eq!(
            bearer_challenge(r#"Basic realm="x", Bearer realm="https://a/t""#),
            Some(("https://a/t".to_string(), None))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="Registry""#), None);
        assert_eq!(bearer_challenge("Bearer service=\"no-realm\""), None);
        assert_eq!(bearer_challenge("garbage ,,, \""), None);
    }

    #[test]
    fn a_token_answer_gives_token_or_access_token() {
        assert_eq!(token_of(br#"{"token":"t1"}"#).as_deref(), Some("t1"));
        assert_eq!(token_of(br#"{"access_token":"t2"}"#).as_deref(), Some("t2"));
        assert_eq!(token_of(br#"{"token":""}"#), None);
        assert_eq!(token_of(br#"{"token":5}"#), None);
        assert_eq!(token_of(b"[]"), None);
    }

    #[test]
    fn only_loopback_registries_are_spoken_to_in_plain_http() {
        for host in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.0.0.1",
            "[::1]:5000",
        ] {
            assert!(loopback(host), "{host}");
        }
        for host in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.evil.io",
            "127.0.0.1.nip.io:5000",
        ] {
            assert!(!loopback(host), "{host}");
        }
    }
}
