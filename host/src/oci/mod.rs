//! Plugins from OCI registries: a pipeline's `oci: <registry>/<repository>@sha256:<digest>`.
//!
//! A component travels as the CNCF Wasm OCI artifact (`wkg oci push` and `oras` write it): an
//! OCI image manifest whose config is `application/vnd.wasm.config.v0+json` and whose one layer
//! is the component, `application/wasm`. The pipeline pins the manifest's digest (a tag alone
//! is refused; beside a digest it is ignored). What is checked, in order, before a byte of the
//! component is used:
//! 1. the manifest's bytes hash to the pinned digest (so its layer descriptor is the one pinned);
//! 2. it is an image manifest (not an index) with the Wasm config and one `application/wasm`
//!    layer of at most [`crate::source::MAX_COMPONENT_BYTES`];
//! 3. the layer's bytes hash to the layer descriptor's digest;
//! 4. when the pipeline asks for signatures, a cosign signature of the manifest digest by one of
//!    its keys ([`crate::signature`]).
//!
//! Pulled artifacts are kept in the authenticated cache ([`crate::runtime::Cache`], `oci/`)
//! under their manifest digest alone (no name from the registry reaches a path), and the same
//! checks run again on every read: a poisoned entry is refused and pulled again. A warm run
//! never opens a connection; an offline run ([`crate::network`]: `argocd generate`,
//! `FLINKWASM_OFFLINE=1`) refuses a plugin that is not in the cache. The network side is
//! [`registry`], credentials come from the Docker config ([`credentials`]), the artifact's
//! format is [`artifact`].

pub mod artifact;
pub mod credentials;
pub mod registry;

use crate::error;
use crate::network::offline;
use crate::pipeline::Verify;
use crate::runtime::Cache;
use anyhow::Result;
use std::path::Path;

pub use artifact::Artifact;

/// An `oci:` reference, checked: an explicit registry, a repository, and a sha256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// The registry as written (`host[:port]`).
    pub registry: String,
    /// The repository (`team/overlay`).
    pub repository: String,
    /// The pinned manifest digest: 64 lower-case hex digits.
    pub digest: String,
}

impl Pinned {
    /// Parses `<registry>/<repository>[:tag]@sha256:<digest>` (an `oci://` prefix is allowed).
    /// A tag without a digest is refused: a tag can be moved, a digest cannot.
    pub fn parse(text: &str) -> std::result::Result<Pinned, String> {
        let shown = crate::text::safe(text);
        let body = text.strip_prefix("oci://").unwrap_or(text);
        let Some((name, digest)) = body.split_once('@') else {
            return Err(format!(
                "`{shown}` has no digest; pin the manifest: `<registry>/<repository>@sha256:<digest>` \
                 (a tag can be moved, a digest cannot; `flinkwasm plugins push` prints it)"
            ));
        };
        let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
            format!("`{shown}`: the digest must be `sha256:` followed by 64 hex digits")
        })?;
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(format!(
                "`{shown}`: the digest must be `sha256:` followed by 64 lower-case hex digits"
            ));
        }
        let (registry, rest) = name.split_once('/').ok_or_else(|| {
            format!("`{shown}` names no registry; write `<registry>/<repository>@sha256:<digest>`")
        })?;
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(format!(
                "`{shown}`: `{}` is not a registry host; write the registry explicitly \
                 (`ghcr.io/team/overlay@sha256:...`)",
                crate::text::safe(registry)
            ));
        }
        if !valid_registry(registry) {
            return Err(format!(
                "`{shown}`: `{}` is not a registry `host[:port]`",
                crate::text::safe(registry)
            ));
        }
        // A tag beside the digest is allowed and ignored: the digest wins.
        let repository = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => {
                if !valid_tag(tag) {
                    return Err(format!(
                        "`{shown}`: `{}` is not a tag",
                        crate::text::safe(tag)
                    ));
                }
                repo
            }
            _ => rest,
        };
        if !valid_repository(repository) {
            return Err(format!(
                "`{shown}`: `{}` is not a repository name (lower-case path components of \
                 letters and digits separated by `.`, `_`, `__` or dashes)",
                crate::text::safe(repository)
            ));
        }
        Ok(Pinned {
            registry: registry.to_string(),
            repository: repository.to_string(),
            digest: hex.to_string(),
        })
    }

    /// `sha256:<hex>`.
    pub fn digest_ref(&self) -> String {
        format!("sha256:{}", self.digest)
    }

    /// The reference for the registry client.
    pub fn reference(&self) -> oci_client::Reference {
        oci_client::Reference::with_digest(
            self.registry.clone(),
            self.repository.clone(),
            self.digest_ref(),
        )
    }
}

impl std::fmt::Display for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}@sha256:{}",
            self.registry, self.repository, self.digest
        )
    }
}

/// Where `plugins push` writes: `[oci://]<registry>/<repository>[:tag]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The registry (`host[:port]`).
    pub registry: String,
    /// The repository.
    pub repository: String,
    /// The tag, if any (without one the manifest is pushed by its digest alone).
    pub tag: Option<String>,
}

impl Target {
    /// Parses a push target; a digest is refused (the push makes it).
    pub fn parse(text: &str) -> std::result::Result<Target, String> {
        let shown = crate::text::safe(text);
        let body = text.strip_prefix("oci://").unwrap_or(text);
        if body.contains('@') {
            return Err(format!(
                "`{shown}`: a push target has no digest (the push prints it)"
            ));
        }
        let (registry, rest) = body
            .split_once('/')
            .filter(|(r, _)| {
                (r.contains('.') || r.contains(':') || *r == "localhost") && valid_registry(r)
            })
            .ok_or_else(|| format!("`{shown}`: write `oci://<registry>/<repository>[:tag]`"))?;
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (rest, None),
        };
        if !valid_repository(repository) || tag.is_some_and(|t| !valid_tag(t)) {
            return Err(format!(
                "`{shown}`: not a repository with an optional tag (lower-case path components; \
                 tags of letters, digits, `_`, `.` and `-`)"
            ));
        }
        Ok(Target {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
        })
    }
}

/// `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port written
/// one way only (no leading zero: `:05000` would be another cache and credentials key for the
/// registry `:5000` names).
pub(crate) fn valid_registry(registry: &str) -> bool {
    let (host, port) = match registry.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (h, Some(p)),
        _ => (registry, None),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    host_ok
        && port.is_none_or(|p| {
            !p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
        })
}

/// The OCI distribution grammar for repositories: path components of `[a-z0-9]+` joined by
/// `.`, `_`, `__` or dashes; no empty component, so no `..` and no leading or trailing `/`.
pub(crate) fn valid_repository(repository: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    repository.len() <= 255
        && repository.split('/').all(|component| {
            let bytes = component.as_bytes();
            let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
                return false;
            };
            if !alnum(first) || !alnum(last) {
                return false;
            }
            // Separators between alphanumeric runs: one `.`, one or two `_`, or dashes.
            let mut run = Vec::new();
            for &b in bytes {
                if alnum(b) {
                    if !separator_ok(&run) {
                        return false;
                    }
                    run.clear();
                } else if matches!(b, b'.' | b'_' | b'-') {
                    run.push(b);
                } else {
                    return false;
                }
            }
            true
        })
}

fn separator_ok(run: &[u8]) -> bool {
    matches!(run, [] | [b'.'] | [b'_'] | [b'_', b'_']) || run.iter().all(|&b| b == b'-')
}

/// The OCI distribution grammar for tags.
fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The plugin name an `oci:` entry gets when it has no `name`: the last path component of
/// its repository (`ghcr.io/team/team-overlay@sha256:...` is `team-overlay`).
pub fn default_name(text: &str) -> Option<String> {
    let body = text.strip_prefix("oci://").unwrap_or(text);
    let name = body.split('@').next()?;
    let last = name.rsplit('/').next()?;
    let last = last.split(':').next()?;
    (!last.is_empty()).then(|| last.to_string())
}

/// A verified component from a registry: its bytes and their sha256.
pub struct Component {
    /// The component's bytes (the layer).
    pub bytes: Vec<u8>,
    /// Their sha256 (the layer's digest), lower-case hex.
    pub digest: String,
}

/// The component `pinned` names for plugin `plugin`: from the cache when it is there and
/// passes every check again, else pulled (unless offline) and kept; with its signature checked
/// when `verify` asks for one (key paths relative to `base`).
pub fn fetch(
    cache: &Cache,
    plugin: &str,
    pinned: &Pinned,
    verify: Option<&Verify>,
    base: &Path,
) -> Result<Component> {
    let keys = match verify {
        Some(v) => crate::signature::load_keys(plugin, &v.keys, base)?,
        None => Vec::new(),
    };
    let artifact = match artifact::cached(cache, pinned) {
        Ok(Some(artifact)) => artifact,
        Ok(None) => pull_and_keep(cache, plugin, pinned, !keys.is_empty())?,
        Err(why) => {
            tracing::warn!(plugin, "cached {pinned} refused ({why}); pulling it again");
            pull_and_keep(cache, plugin, pinned, !keys.is_empty())?
        }
    };
    if !keys.is_empty() {
        crate::signature::require(cache, plugin, pinned, &keys)?;
    }
    Ok(Component {
        digest: artifact.layer_digest.clone(),
        bytes: artifact.component,
    })
}

/// Pulls `pinned` (refused when offline), keeps it in the cache, and its signatures when
/// `signatures` is set.
fn pull_and_keep(
    cache: &Cache,
    plugin: &str,
    pinned: &Pinned,
    signatures: bool,
) -> Result<Artifact> {
    if offline() {
        return Err(error::integrity(format!(
            "plugin {plugin}: {pinned} is not in the cache and this run may not contact a \
             registry (Argo CD generate, FLINKWASM_OFFLINE); fill the cache first with \
             `flinkwasm plugins pull` (the Argo CD init step does)"
        )));
    }
    let registry = registry::Registry::connect(&pinned.registry)
        .map_err(|why| error::integrity(format!("plugin {plugin}: {why}")))?;
    let artifact = registry
        .pull(pinned)
        .map_err(|why| error::integrity(format!("plugin {plugin}: pulling {pinned}: {why}")))?;
    artifact.keep(cache, pinned);
    if signatures {
        crate::signature::pull_and_keep(cache, &registry, plugin, pinned)?;
    }
    tracing::info!(plugin, "pulled {pinned}");
    Ok(artifact)
}

/// `plugins pull`: makes sure `pinned` and (when `verify` asks) its signatures are in the cache,
/// pulling what is missing; true when something was pulled.
pub fn pull(
    cache: &Cache,
    plugin: &str,
    pinned: &Pinned,
    verify: Option<&Verify>,
    base: &Path,
) -> Result<bool> {
    let signatures = verify.is_some();
    let pulled = match artifact::cached(cache, pinned) {
        Ok(Some(_)) => false,
        Ok(None) | Err(_) => {
            pull_and_keep(cache, plugin, pinned, signatures)?;
            true
        }
    };
    if !pulled && signatures && crate::signature::cached(cache, pinned).is_none() {
        let registry = registry::Registry::connect(&pinned.registry)
            .map_err(|why| error::integrity(format!("plugin {plugin}: {why}")))?;
        crate::signature::pull_and_keep(cache, &registry, plugin, pinned)?;
    }
    // Everything the run will check, checked now.
    fetch(cache, plugin, pinned, verify, base)?;
    Ok(pulled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_reference_needs_a_registry_and_a_digest() {
        let p = Pinned::parse(&format!("127.0.0.1:5000/team/overlay@sha256:{D}")).unwrap();
        assert_eq!(p.registry, "127.0.0.1:5000");
        assert_eq!(p.repository, "team/overlay");
        assert_eq!(p.digest, D);
        // A tag beside the digest is accepted; the digest wins.
        let t = Pinned::parse(&format!("oci://ghcr.io/team/overlay:v1@sha256:{D}")).unwrap();
        assert_eq!(
            (t.repository.as_str(), t.digest.as_str()),
            ("team/overlay", D)
        );
        for bad in [
            "ghcr.io/team/overlay:v1".to_string(),
            "ghcr.io/team/overlay".to_string(),
            format!("team/overlay@sha256:{D}"),
            format!("overlay@sha256:{D}"),
            format!("ghcr.io/team/overlay@sha512:{D}"),
            format!("ghcr.io/team/overlay@sha256:{}", &D[1..]),
            format!("ghcr.io/team/overlay@sha256:{}", D.to_uppercase()),
            format!("ghcr.io/../../etc@sha256:{D}"),
            format!("ghcr.io/team//overlay@sha256:{D}"),
            format!("ghcr.io/Team/overlay@sha256:{D}"),
            format!("ghcr.io/team/overlay/@sha256:{D}"),
            format!("ghcr.io/team/ov%2f..@sha256:{D}"),
            format!("gh cr.io/team/overlay@sha256:{D}"),
            format!("ghcr.io:99999/team/overlay@sha256:{D}"),
            format!("ghcr.io/team/overlay:-x@sha256:{D}"),
        ] {
            assert!(Pinned::parse(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_push_target_has_a_registry_and_no_digest() {
        let t = Target::parse("oci://localhost:5000/team/overlay:1.0").unwrap();
        assert_eq!(t.registry, "localhost:5000");
        assert_eq!(t.repository, "team/overlay");
        assert_eq!(t.tag.as_deref(), Some("1.0"));
        assert_eq!(Target::parse("r.io/a").unwrap().tag, None);
        assert!(Target::parse(&format!("r.io/a@sha256:{D}")).is_err());
        assert!(Target::parse("team/overlay:1").is_err());
        assert!(Target::parse("r.io/../x").is_err());
    }

    #[test]
    fn the_default_name_is_the_repository_s_last_component() {
        assert_eq!(
            default_name(&format!("r.io/a/team-overlay:v1@sha256:{D}")).as_deref(),
            Some("team-overlay")
        );
        assert_eq!(
            default_name(&format!("localhost:5000/x@sha256:{D}")).as_deref(),
            Some("x")
        );
    }

    #[test]
    fn repositories_follow_the_distribution_grammar() {
        for ok in ["a", "a/b", "a.b_c__d--e/f0", "library/team-overlay"] {
            assert!(valid_repository(ok), "{ok}");
        }
        for bad in [
            "", "a/", "/a", "a..b", "a___b", "-a", "a-", "a/../b", "A", "a b",
        ] {
            assert!(!valid_repository(bad), "{bad}");
        }
    }
}
