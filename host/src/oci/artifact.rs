//! The CNCF Wasm OCI artifact: what a component's manifest must say, checked on the manifest's
//! bytes, and how a pulled artifact is kept in (and read back from) the cache, checked again.
//!
//! The media types are those of the CNCF TAG Runtime's Wasm OCI artifact layout, as
//! `oci-wasm` (`wkg`) and `oras` write them.

use super::Pinned;
use crate::runtime::{Cache, sha256_hex};
use crate::source::MAX_COMPONENT_BYTES;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index (a list of manifests): refused as a plugin's manifest.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Docker's manifest list, an index too.
pub const DOCKER_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker's image manifest.
pub const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The config of a Wasm artifact.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The layer holding a Wasm component.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The largest manifest read (the limit CNCF Distribution itself puts on manifests).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The media types asked for when pulling a manifest: the index types too, so that an index
/// is recognised and refused by name rather than answered with a 404.
pub const ACCEPT: &[&str] = &[
    MANIFEST_MEDIA_TYPE,
    INDEX_MEDIA_TYPE,
    DOCKER_MANIFEST_MEDIA_TYPE,
    DOCKER_LIST_MEDIA_TYPE,
];

/// An OCI content descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the content is.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its length in bytes.
    pub size: u64,
    /// Annotations (cosign keeps its signature in one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Descriptor {
    /// The descriptor of `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: format!("sha256:{}", sha256_hex(bytes)),
            size: bytes.len() as u64,
            annotations: None,
        }
    }

    /// The digest's hex when it is `sha256:` and 64 lower-case hex digits.
    pub fn sha256(&self) -> Option<&str> {
        let hex = self.digest.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then_some(hex)
    }
}

/// A manifest as read: anything an index or a manifest may hold, so both are recognised.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Must be 2.
    pub schema_version: u32,
    /// The manifest's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type (OCI 1.1), informative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Descriptor>,
    /// The layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<Descriptor>>,
    /// An index's manifests: present only in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<serde_json::Value>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Manifest {
    /// Parses a manifest's bytes; an index, a foreign media type or a malformed document is
    /// refused with the reason.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| format!("the manifest is not an OCI manifest ({e})"))?;
        if m.schema_version != 2 {
            return Err(format!(
                "the manifest has schemaVersion {}, not 2",
                m.schema_version
            ));
        }
        let media_type = m.media_type.as_deref();
        if m.manifests.is_some()
            || matches!(media_type, Some(INDEX_MEDIA_TYPE | DOCKER_LIST_MEDIA_TYPE))
        {
            return Err(
                "the digest names an image index (a list of manifests), not a component's \
                 manifest; pin the digest of the component's own manifest"
                    .into(),
            );
        }
        if let Some(t) = media_type.filter(|t| *t != MANIFEST_MEDIA_TYPE) {
            return Err(format!(
                "the manifest's media type is {}, not {MANIFEST_MEDIA_TYPE}",
                crate::text::safe(t)
            ));
        }
        Ok(m)
    }

    /// The component's layer: the config must be the Wasm config and the one layer a Wasm
    /// component of at most [`MAX_COMPONENT_BYTES`].
    pub fn component_layer(&self) -> Result<&Descriptor, String> {
        let config = self.config.as_ref().ok_or("the manifest has no config")?;
        if config.media_type != WASM_CONFIG_MEDIA_TYPE {
            return Err(format!(
                "wrong media type: the config is {}, a Wasm component's is {WASM_CONFIG_MEDIA_TYPE} \
                 (is this a container image?)",
                crate::text::safe(&config.media_type)
            ));
        }
        let layer = match self.layers.as_deref() {
            Some([layer]) => layer,
            Some(layers) => {
                return Err(format!(
                    "the manifest has {} layers; a Wasm component's has exactly one",
                    layers.len()
                ));
            }
            None => return Err("the manifest has no layers".into()),
        };
        if layer.media_type != WASM_LAYER_MEDIA_TYPE {
            return Err(format!(
                "wrong media type: the layer is {}, a component's is {WASM_LAYER_MEDIA_TYPE}",
                crate::text::safe(&layer.media_type)
            ));
        }
        if layer.sha256().is_none() {
            return Err(format!(
                "the layer's digest {} is not sha256",
                crate::text::safe(&layer.digest)
            ));
        }
        if layer.size > MAX_COMPONENT_BYTES {
            return Err(format!(
                "the layer is {} bytes, over the {MAX_COMPONENT_BYTES}-byte limit on components",
                layer.size
            ));
        }
        Ok(layer)
    }
}

/// Checks `manifest` (bytes as pulled or read back) against the pin and returns the component
/// layer's descriptor.
pub fn check_manifest(pinned: &Pinned, manifest: &[u8]) -> Result<Descriptor, String> {
    let actual = sha256_hex(manifest);
    if actual != pinned.digest {
        return Err(format!(
            "the manifest has digest sha256:{actual}, not the pinned sha256:{}",
            pinned.digest
        ));
    }
    Manifest::parse(manifest)?.component_layer().cloned()
}

/// Checks the component's bytes against its layer descriptor.
pub fn check_layer(layer: &Descriptor, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 != layer.size {
        return Err(format!(
            "the layer is {} bytes, its descriptor says {}",
            bytes.len(),
            layer.size
        ));
    }
    let actual = sha256_hex(bytes);
    if Some(actual.as_str()) != layer.sha256() {
        return Err(format!(
            "the layer has digest sha256:{actual}, its manifest says {} (tampered?)",
            crate::text::safe(&layer.digest)
        ));
    }
    Ok(())
}

/// A pulled artifact, every check passed.
pub struct Artifact {
    /// The manifest's bytes (hashing to the pin).
    pub manifest: Vec<u8>,
    /// The component's bytes (hashing to the layer's digest).
    pub component: Vec<u8>,
    /// The layer's digest, hex: the component's sha256.
    pub layer_digest: String,
}

impl Artifact {
    /// The artifact after checking `manifest` against the pin and `component` against it.
    pub fn checked(
        pinned: &Pinned,
        manifest: Vec<u8>,
        component: Vec<u8>,
    ) -> Result<Artifact, String> {
        let layer = check_manifest(pinned, &manifest)?;
        check_layer(&layer, &component)?;
        let layer_digest = layer.sha256().unwrap_or_default().to_string();
        Ok(Artifact {
            manifest,
            component,
            layer_digest,
        })
    }

    /// Keeps the artifact in the cache, under the pinned digest (component first, so that a
    /// reader who finds the manifest finds the component). Trouble is logged: an artifact not
    /// kept is only pulled again.
    pub fn keep(&self, cache: &Cache, pinned: &Pinned) {
        let _ = cache.keep_oci(&format!("{}.wasm", pinned.digest), &self.component)
            && cache.keep_oci(&format!("{}.manifest", pinned.digest), &self.manifest);
    }
}

/// The artifact `pinned` names, from the cache: `Ok(None)` when it is not there, `Err` when
/// what is there fails a check (a poisoned or damaged entry).
pub fn cached(cache: &Cache, pinned: &Pinned) -> Result<Option<Artifact>, String> {
    let Some(manifest) = cache.read_oci(&format!("{}.manifest", pinned.digest), MAX_MANIFEST_BYTES)
    else {
        return Ok(None);
    };
    let layer = check_manifest(pinned, &manifest)?;
    let component = cache
        .read_oci(&format!("{}.wasm", pinned.digest), layer.size)
        .ok_or("the cached component is missing or larger than its descriptor")?;
    Artifact::checked(pinned, manifest, component).map(Some)
}

/// The Wasm config `plugins push` writes: the CNCF layout's required fields.
pub fn config(layer_digest: &str) -> Vec<u8> {
    serde_json::json!({
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
    })
    .to_string()
    .into_bytes()
}

/// The manifest `plugins push` writes for a component with `config` and `layer`.
pub fn manifest(config: Descriptor, layer: Descriptor) -> Vec<u8> {
    let m = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.into()),
        artifact_type: Some(WASM_CONFIG_MEDIA_TYPE.into()),
        config: Some(config),
        layers: Some(vec![layer]),
        manifests: None,
        annotations: None,
    };
    serde_json::to_vec(&m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(config_type: &str, layer_type: &str, component: &[u8]) -> (Pinned, Vec<u8>) {
        let config = config("x");
        let m = manifest(
            Descriptor::of(config_type, &config),
            Descriptor::of(layer_type, component),
        );
        let pinned = Pinned {
            registry: "r.io".into(),
            repository: "a".into(),
            digest: sha256_hex(&m),
        };
        (pinned, m)
    }

    #[test]
    fn the_manifest_is_checked_before_the_layer() {
        let (pinned, m) = artifact(WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE, b"comp");
        let a = Artifact::checked(&pinned, m.clone(), b"comp".to_vec()).unwrap();
        assert_eq!(a.layer_digest, sha256_hex(b"comp"));
        let err = Artifact::checked(&pinned, m.clone(), b"cOmp".to_vec())
            .err()
            .unwrap();
        assert!(err.contains("tampered"), "{err}");
        let mut other = m.clone();
        other.push(b' ');
        let err = Artifact::checked(&pinned, other, b"comp".to_vec())
            .err()
            .unwrap();
        assert!(err.contains("not the pinned"), "{err}");
    }

    #[test]
    fn foreign_media_types_and_indexes_are_refused() {
        let (pinned, m) = artifact(
            "application/vnd.oci.image.config.v1+json",
            WASM_LAYER_MEDIA_TYPE,
            b"c",
        );
        let err = check_manifest(&pinned, &m).unwrap_err();
        assert!(err.contains("wrong media type: the config"), "{err}");
        let (pinned, m) = artifact(
            WASM_CONFIG_MEDIA_TYPE,
            "application/vnd.oci.image.layer.v1.tar",
            b"c",
        );
        let err = check_manifest(&pinned, &m).unwrap_err();
        assert!(err.contains("wrong media type: the layer"), "{err}");
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = Manifest::parse(index).unwrap_err();
        assert!(err.contains("image index"), "{err}");
        let untyped_index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(
            Manifest::parse(untyped_index)
                .unwrap_err()
                .contains("image index")
        );
    }

    #[test]
    fn an_oversized_layer_is_refused_from_its_descriptor() {
        let config = config("x");
        let mut layer = Descriptor::of(WASM_LAYER_MEDIA_TYPE, b"c");
        layer.size = MAX_COMPONENT_BYTES + 1;
        let m = manifest(Descriptor::of(WASM_CONFIG_MEDIA_TYPE, &config), layer);
        let err = Manifest::parse(&m).unwrap().component_layer().unwrap_err();
        assert!(err.contains("over the"), "{err}");
    }
}
