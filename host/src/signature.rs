//! cosign signatures of `oci:` plugins, with keys (keyless Fulcio/Rekor signing is out of scope).
//!
//! The format is cosign's: the signatures of the manifest `sha256:<hex>` live in the same
//! repository under the tag `sha256-<hex>.sig`, an OCI image manifest whose layers are each a
//! simple-signing payload (`application/vnd.dev.cosign.simplesigning.v1+json`: the JSON that
//! names the signed manifest digest) with the base64 signature of the payload's bytes in the
//! annotation `dev.cosignproject.cosign/signature`. A plugin is accepted when one layer's
//! signature (ECDSA P-256 with SHA-256, DER, cosign's key type) verifies under one of the
//! pipeline's keys (PEM SubjectPublicKeyInfo, as `cosign generate-key-pair` and
//! `openssl pkey -pubout` write it) and its payload names the pinned digest as a cosign
//! container image signature. The verifier is RustCrypto's `p256`: sigstore-rs's key verifiers
//! cannot be built without a TLS crypto backend (aws-lc-rs or OpenSSL), which the host does
//! not link; the tests check this module's signatures with sigstore-rs itself. The payload's
//! `docker-reference` is not compared: a mirrored artifact keeps its signature, as with
//! `cosign verify`.
//!
//! Signatures are pulled with the component and kept in the cache beside it (`<hex>.sigs`), so
//! verification works offline; an offline run whose cached signatures do not verify is refused,
//! an online one looks at the registry once more (a signature may have been added since).

use crate::error;
use crate::network::offline;
use crate::oci::Pinned;
use crate::oci::artifact::{self, Descriptor, Manifest};
use crate::oci::registry::Registry;
use crate::runtime::Cache;
use anyhow::Result;
use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The media type of a signature layer.
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The `critical.type` of a cosign image signature.
const SIGNATURE_TYPE: &str = "cosign container image signature";
/// The largest signature manifest read.
const MAX_SIGNATURE_MANIFEST: u64 = 1 << 20;
/// The largest payload read.
const MAX_PAYLOAD: u64 = 64 << 10;
/// The most signature layers looked at.
const MAX_SIGNATURES: usize = 32;
/// The largest key file read.
const MAX_KEY_BYTES: u64 = 64 << 10;

/// The tag of the signatures of manifest `hex`: `sha256-<hex>.sig`.
pub fn tag(hex: &str) -> String {
    format!("sha256-{hex}.sig")
}

/// A public key the pipeline names.
pub struct Key {
    /// Its path as the pipeline writes it.
    pub path: String,
    key: VerifyingKey,
}

/// The keys `paths` (relative to the pipeline directory `base`, read through [`crate::files`]):
/// a missing, unreadable or malformed key is a pipeline error.
pub fn load_keys(plugin: &str, paths: &[String], base: &Path) -> Result<Vec<Key>> {
    let root = crate::files::Root::new(base)?;
    paths
        .iter()
        .map(|path| {
            let shown = crate::text::safe(path);
            let what = format!("plugin {plugin}: verify.keys");
            let pem = root
                .read(path, &what, MAX_KEY_BYTES)
                .map_err(|e| error::input(format!("{e:#}")))?;
            let key = std::str::from_utf8(&pem)
                .ok()
                .and_then(|text| VerifyingKey::from_public_key_pem(text).ok())
                .ok_or_else(|| {
                    error::input(format!(
                        "plugin {plugin}: verify.keys: {shown} is not a PEM public key of \
                         ECDSA P-256 (cosign's key type)"
                    ))
                })?;
            Ok(Key {
                path: path.clone(),
                key,
            })
        })
        .collect()
}

/// One signature as kept in the cache: the payload and its signature, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cached {
    /// The simple-signing payload, base64.
    pub payload: String,
    /// The signature of the payload's bytes, base64 (as in the annotation).
    pub signature: String,
}

fn cache_name(pinned: &Pinned) -> String {
    format!("{}.sigs", pinned.digest)
}

/// The signatures of `pinned` kept in the cache, if they were pulled.
pub fn cached(cache: &Cache, pinned: &Pinned) -> Option<Vec<Cached>> {
    let bytes = cache.read_oci(&cache_name(pinned), MAX_SIGNATURE_MANIFEST * 2)?;
    serde_json::from_slice(&bytes).ok()
}

/// Pulls the signatures of `pinned` from `registry` (none is an empty list) and keeps them.
pub fn pull_and_keep(
    cache: &Cache,
    registry: &Registry,
    plugin: &str,
    pinned: &Pinned,
) -> Result<Vec<Cached>> {
    let fail = |why: String| {
        error::integrity(format!(
            "plugin {plugin}: pulling the signatures of {pinned}: {why}"
        ))
    };
    let sigs = match registry
        .manifest_by_tag(
            &pinned.repository,
            &tag(&pinned.digest),
            MAX_SIGNATURE_MANIFEST,
        )
        .map_err(fail)?
    {
        None => Vec::new(),
        Some(bytes) => {
            let manifest = Manifest::parse(&bytes).map_err(fail)?;
            let layers = newest(manifest.layers.unwrap_or_default(), MAX_SIGNATURES);
            if layers.skipped > 0 {
                tracing::warn!(
                    plugin,
                    "{pinned}: {} signatures at {}; only the newest {MAX_SIGNATURES} are checked",
                    layers.skipped + layers.kept.len(),
                    tag(&pinned.digest)
                );
            }
            let mut sigs = Vec::new();
            for layer in &layers.kept {
                let Some(signature) = layer
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                else {
                    continue;
                };
                if layer.size > MAX_PAYLOAD {
                    continue;
                }
                let payload = registry
                    .blob(&pinned.repository, &layer.digest, layer.size)
                    .map_err(fail)?;
                sigs.push(Cached {
                    payload: base64::engine::general_purpose::STANDARD.encode(payload),
                    signature: signature.clone(),
                });
            }
            sigs
        }
    };
    let _ = cache.keep_oci(
        &cache_name(pinned),
        &serde_json::to_vec(&sigs).unwrap_or_default(),
    );
    Ok(sigs)
}

/// The signature layers of a signature manifest, at most `max`: the newest (cosign appends
/// each new signature, so a rotated key's signature is last).
struct Newest {
    kept: Vec<Descriptor>,
    skipped: usize,
}

fn newest(layers: Vec<Descriptor>, max: usize) -> Newest {
    let mut kept: Vec<Descriptor> = layers
        .into_iter()
        .filter(|l| l.media_type == SIGNATURE_MEDIA_TYPE)
        .collect();
    let skipped = kept.len().saturating_sub(max);
    kept.drain(..skipped);
    Newest { kept, skipped }
}

/// Why `sig` is not a signature of `pinned` by `key`, if it is not.
fn check(sig: &Cached, pinned: &Pinned, key: &Key) -> Result<(), String> {
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&sig.payload)
        .map_err(|_| "a damaged cached payload".to_string())?;
    let not_ours = || format!("not signed by {}", crate::text::safe(&key.path));
    // Go's base64 decoder, which cosign's JSON goes through, skips line breaks.
    let text: String = sig
        .signature
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r'))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| not_ours())?;
    let signature = DerSignature::try_from(der.as_slice()).map_err(|_| not_ours())?;
    key.key
        .verify(&payload, &signature)
        .map_err(|_| not_ours())?;
    let doc: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|_| "a signed payload that is not JSON".to_string())?;
    let critical = &doc["critical"];
    if critical["type"] != SIGNATURE_TYPE {
        return Err("a signed payload that is not a cosign image signature".into());
    }
    if critical["image"]["docker-manifest-digest"] != pinned.digest_ref().as_str() {
        return Err("a signature of another digest".into());
    }
    Ok(())
}

/// The key that signed `pinned` among `sigs`, or why none did.
fn verified<'k>(sigs: &[Cached], pinned: &Pinned, keys: &'k [Key]) -> Result<&'k Key, String> {
    let mut why = Vec::new();
    for sig in sigs {
        for key in keys {
            match check(sig, pinned, key) {
                Ok(()) => return Ok(key),
                Err(w) if !why.contains(&w) => why.push(w),
                Err(_) => {}
            }
        }
    }
    Err(if sigs.is_empty() {
        format!("no signature at tag {}", tag(&pinned.digest))
    } else {
        format!("{} signature(s) found: {}", sigs.len(), why.join("; "))
    })
}

/// Requires a signature of `pinned` by one of `keys`: from the cache, else (online) from the
/// registry; refused (exit 5) naming the plugin, the digest and the keys tried.
pub fn require(cache: &Cache, plugin: &str, pinned: &Pinned, keys: &[Key]) -> Result<()> {
    let sigs = cached(cache, pinned).unwrap_or_default();
    let mut outcome = verified(&sigs, pinned, keys);
    if outcome.is_err() && !offline() {
        // A signature may have been added since the pull; an unreachable registry leaves the
        // verdict on what was cached.
        let fresh = Registry::connect(&pinned.registry)
            .map_err(|why| anyhow::anyhow!(why))
            .and_then(|registry| pull_and_keep(cache, &registry, plugin, pinned));
        match fresh {
            Ok(fresh) => outcome = verified(&fresh, pinned, keys),
            Err(e) => tracing::warn!(plugin, "no fresh signatures of {pinned}: {e:#}"),
        }
    }
    match outcome {
        Ok(key) => {
            tracing::debug!(
                plugin,
                key = key.path.as_str(),
                "signature of {pinned} verified"
            );
            Ok(())
        }
        Err(why) => Err(error::integrity(format!(
            "plugin {plugin}: refusing {pinned}: no valid cosign signature of sha256:{} by any \
             of the keys tried ({}): {why}",
            pinned.digest,
            keys.iter()
                .map(|k| crate::text::safe(&k.path))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// cosign's simple-signing payload for the manifest `digest` (`sha256:<hex>`) of
/// `reference` (`registry/repository`), byte for byte as cosign writes it.
pub fn payload(reference: &str, digest: &str) -> Vec<u8> {
    // Field order as cosign's Go structs serialise it.
    format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":{}}},\"image\":{{\"docker-manifest-digest\":{}}},\"type\":\"{SIGNATURE_TYPE}\"}},\"optional\":null}}",
        serde_json::Value::from(reference),
        serde_json::Value::from(digest)
    )
    .into_bytes()
}

/// A signer from the ECDSA P-256 private key in `path`: PKCS#8 PEM (`openssl genpkey`) or
/// SEC1 PEM (`openssl ecparam -genkey`). Encrypted keys are not read.
pub fn load_signer(path: &Path) -> Result<SigningKey> {
    let shown = path.display();
    let real = path
        .canonicalize()
        .map_err(|e| error::input(format!("signing key {shown}: cannot read it: {e}")))?;
    let bytes = crate::files::read_regular(&real, &shown.to_string(), "signing key", MAX_KEY_BYTES)
        .map_err(|e| error::input(format!("{e:#}")))?;
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    SigningKey::from_pkcs8_pem(text)
        .ok()
        .or_else(|| {
            p256::SecretKey::from_sec1_pem(text)
                .ok()
                .map(SigningKey::from)
        })
        .ok_or_else(|| {
            error::input(format!(
                "{shown} is not an unencrypted PEM private key of ECDSA P-256 (PKCS#8 or SEC1)"
            ))
        })
}

/// Signs the manifest `digest` (`sha256:<hex>`) of `repository` on `registry` with `signer`
/// and pushes the signature to `sha256-<hex>.sig`, keeping the signatures already there.
/// Returns the tag.
pub fn sign_and_push(
    registry: &Registry,
    registry_host: &str,
    repository: &str,
    digest: &str,
    signer: &SigningKey,
) -> Result<String> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let sig_tag = tag(hex);
    let payload = payload(&format!("{registry_host}/{repository}"), digest);
    let signature: DerSignature = signer.sign(&payload);
    let mut layer = Descriptor::of(SIGNATURE_MEDIA_TYPE, &payload);
    layer.annotations = Some(BTreeMap::from([(
        SIGNATURE_ANNOTATION.to_string(),
        base64::engine::general_purpose::STANDARD.encode(signature.as_bytes()),
    )]));
    // Signatures already there stay (cosign appends too; past the bound the oldest go, as
    // verification reads only the newest); their blobs are in the repository.
    let existing: Vec<Descriptor> = registry
        .manifest_by_tag(repository, &sig_tag, MAX_SIGNATURE_MANIFEST)
        .map_err(|why| error::integrity(format!("reading {sig_tag}: {why}")))?
        .and_then(|bytes| Manifest::parse(&bytes).ok())
        .and_then(|m| m.layers)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.digest != layer.digest)
        .collect();
    let mut layers = newest(existing, MAX_SIGNATURES - 1).kept;
    layers.push(layer);
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
    .to_string()
    .into_bytes();
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(artifact::MANIFEST_MEDIA_TYPE.into()),
        artifact_type: None,
        config: Some(Descriptor::of(
            "application/vnd.oci.image.config.v1+json",
            &config,
        )),
        layers: Some(layers),
        manifests: None,
        annotations: None,
    };
    let manifest = serde_json::to_vec(&manifest)?;
    registry
        .push(
            repository,
            Some(&sig_tag),
            &[config.as_slice(), payload.as_slice()],
            &manifest,
        )
        .map_err(|why| error::integrity(format!("pushing {sig_tag}: {why}")))?;
    Ok(sig_tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_bound_the_newest_signatures_are_kept() {
        let layer = |n: usize| Descriptor::of(SIGNATURE_MEDIA_TYPE, n.to_string().as_bytes());
        let mut layers: Vec<Descriptor> = (0..40).map(layer).collect();
        layers.insert(
            3,
            Descriptor::of("application/octet-stream", b"not a signature"),
        );
        let n = newest(layers, MAX_SIGNATURES);
        assert_eq!(n.skipped, 8);
        assert_eq!(n.kept.len(), MAX_SIGNATURES);
        assert_eq!(n.kept[0].digest, layer(8).digest);
        assert_eq!(
            n.kept[MAX_SIGNATURES - 1].digest,
            layer(39).digest,
            "the newest is kept"
        );
        let few = newest((0..3).map(layer).collect(), MAX_SIGNATURES);
        assert_eq!((few.kept.len(), few.skipped), (3, 0));
    }

    fn pinned() -> Pinned {
        Pinned {
            registry: "r.io".into(),
            repository: "team/overlay".into(),
            digest: "ab".repeat(32),
        }
    }

    fn signed(signer: &SigningKey, digest: &str) -> Cached {
        let payload = payload("r.io/team/overlay", digest);
        let sig: DerSignature = signer.sign(&payload);
        Cached {
            payload: base64::engine::general_purpose::STANDARD.encode(&payload),
            signature: base64::engine::general_purpose::STANDARD.encode(sig.as_bytes()),
        }
    }

    fn key(signer: &SigningKey, path: &str) -> Key {
        Key {
            path: path.into(),
            key: *signer.verifying_key(),
        }
    }

    #[test]
    fn a_signature_verifies_only_under_its_key_and_for_its_digest() {
        let ours = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let theirs = SigningKey::from_slice(&[9u8; 32]).unwrap();
        let p = pinned();
        let good = signed(&ours, &p.digest_ref());
        assert!(verified(std::slice::from_ref(&good), &p, &[key(&ours, "ours.pub")]).is_ok());
        let err = verified(
            std::slice::from_ref(&good),
            &p,
            &[key(&theirs, "theirs.pub")],
        )
        .err()
        .unwrap();
        assert!(err.contains("not signed by theirs.pub"), "{err}");
        let other = signed(&ours, &format!("sha256:{}", "cd".repeat(32)));
        let err = verified(&[other], &p, &[key(&ours, "ours.pub")])
            .err()
            .unwrap();
        assert!(err.contains("another digest"), "{err}");
        let err = verified(&[], &p, &[key(&ours, "ours.pub")]).err().unwrap();
        assert!(
            err.contains(&format!("no signature at tag sha256-{}.sig", p.digest)),
            "{err}"
        );
    }

    #[test]
    fn the_payload_is_cosign_s() {
        let p = payload("r.io/a", "sha256:00");
        assert_eq!(
            std::str::from_utf8(&p).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"r.io/a"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#
        );
    }
}
