//! Registry credentials from the standard Docker config: `$DOCKER_CONFIG/config.json`, else
//! `$HOME/.docker/config.json` (what a Kubernetes `kubernetes.io/dockerconfigjson` pull secret
//! mounts). An entry of `auths` is found by the registry's `host[:port]`, with or without a
//! scheme and path (`https://ghcr.io`, `https://index.docker.io/v1/`); its `auth` (base64
//! `user:password`) or `username`/`password` are used, or `identitytoken` and
//! `registrytoken`. Credential helpers (`credsStore`, `credHelpers`) are not run: the host
//! starts no programs named by a file. The same entry, alone, is what Helm gets for an
//! `oci://` chart ([`helm_registry_config`]), so Helm runs no helper either.

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The largest Docker config read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identitytoken: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registrytoken: Option<String>,
}

/// The Docker config's path, from `var` for the environment.
fn path(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = var("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    let home = var("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".docker").join("config.json"))
}

/// Where the credentials for `registry` come from, for messages: the config file's path.
pub fn source() -> String {
    path(&|k| std::env::var(k).ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no Docker config (neither DOCKER_CONFIG nor HOME is set)".into())
}

/// The credentials for `registry` (`host[:port]`): anonymous when there is no config or no
/// entry; an error when the config exists but cannot be read or parsed, or the entry is
/// malformed (never quoting a secret).
pub fn for_registry(registry: &str) -> Result<RegistryAuth, String> {
    let Some((path, config)) = read()? else {
        return Ok(RegistryAuth::Anonymous);
    };
    lookup(&config, registry).map_err(|why| format!("{}: {why}", path.display()))
}

/// A registry config for Helm (`helm pull --registry-config`, the Docker config format) that
/// holds only the entry of the Docker config for `registry`, under `registry` (`{"auths":{}}`
/// when there is none): Helm sees no other registry's credentials, and no credential helper
/// (`credsStore`, `credHelpers`) to run. Errors as [`for_registry`]'s.
pub fn helm_registry_config(registry: &str) -> Result<String, String> {
    match read()? {
        None => helm_config(&Config::default(), registry),
        Some((path, config)) => {
            helm_config(&config, registry).map_err(|why| format!("{}: {why}", path.display()))
        }
    }
}

/// [`helm_registry_config`] of `config`.
fn helm_config(config: &Config, registry: &str) -> Result<String, String> {
    // The same checks as for a plugin's pull: a malformed entry is refused here too.
    lookup(config, registry)?;
    let mut auths = serde_json::Map::new();
    if let Some((_, entry)) = entry(config, registry) {
        let entry = serde_json::to_value(entry).map_err(|e| e.to_string())?;
        auths.insert(registry.to_string(), entry);
    }
    Ok(serde_json::json!({ "auths": auths }).to_string())
}

/// The Docker config and its path, `None` when there is none; bounded, never quoting content.
fn read() -> Result<Option<(PathBuf, Config)>, String> {
    let Some(path) = path(&|k| std::env::var(k).ok()) else {
        return Ok(None);
    };
    let text = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        Ok(meta) if !meta.is_file() || meta.len() > MAX_CONFIG_BYTES => {
            return Err(format!(
                "{} is not a regular file of at most {MAX_CONFIG_BYTES} bytes",
                path.display()
            ));
        }
        Ok(_) => {
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
    };
    let config = parse(&path, &text)?;
    Ok(Some((path, config)))
}

/// The Docker config in `text` (read from `path`). A fault is named by its position and class
/// only: serde_json's own message may quote a value (`invalid type: string "<a token>"`), and
/// the file holds credentials, other registries' among them.
fn parse(path: &std::path::Path, text: &[u8]) -> Result<Config, String> {
    serde_json::from_slice(text).map_err(|e| {
        let fault = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "a field of the wrong type or shape",
            serde_json::error::Category::Eof => "cut short",
        };
        format!(
            "{} is not a Docker config: {fault} at line {}, column {}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// The key and entry of `config.auths` for `registry`: its `host[:port]` with or without a
/// scheme and path; Docker Hub under any of its names.
fn entry<'c>(config: &'c Config, registry: &str) -> Option<(&'c String, &'c Entry)> {
    let docker_hub = matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    );
    config.auths.iter().find(|(key, _)| {
        let host = key
            .strip_prefix("https://")
            .or_else(|| key.strip_prefix("http://"))
            .unwrap_or(key);
        let host = host.split('/').next().unwrap_or(host);
        host == registry
            || (docker_hub
                && matches!(
                    host,
                    "docker.io" | "index.docker.io" | "registry-1.docker.io"
                ))
    })
}

/// The entry of `config` for `registry`.
fn lookup(config: &Config, registry: &str) -> Result<RegistryAuth, String> {
    let Some((key, entry)) = entry(config, registry) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let key = crate::text::safe(key);
    if let Some(token) = entry.registrytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(RegistryAuth::Bearer(token.clone()));
    }
    if let (Some(user), Some(password)) = (&entry.username, &entry.password) {
        return Ok(RegistryAuth::Basic(user.clone(), password.clone()));
    }
    if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| format!("auths.{key}.auth is not base64"))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| format!("auths.{key}.auth is not base64 of UTF-8 `user:password`"))?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| format!("auths.{key}.auth is not base64 of `user:password`"))?;
        if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
            // An identity token is a refresh token: sent as the password (Docker's convention).
            return Ok(RegistryAuth::Basic(user.to_string(), token.clone()));
        }
        return Ok(RegistryAuth::Basic(user.to_string(), password.to_string()));
    }
    Ok(RegistryAuth::Anonymous)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Config {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_entry_is_found_by_host_with_or_without_scheme() {
        let c = parse(r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"dTpw"}}}"#);
        assert!(
            matches!(lookup(&c, "reg.example:5000"), Ok(RegistryAuth::Basic(u, p)) if u == "u" && p == "p")
        );
        assert!(matches!(
            lookup(&c, "reg.example"),
            Ok(RegistryAuth::Anonymous)
        ));
        let c =
            parse(r#"{"auths":{"https://index.docker.io/v1/":{"username":"a","password":"b"}}}"#);
        assert!(matches!(lookup(&c, "docker.io"), Ok(RegistryAuth::Basic(u, _)) if u == "a"));
    }

    #[test]
    fn a_config_that_does_not_parse_is_refused_without_quoting_it() {
        let path = std::path::Path::new("/home/u/.docker/config.json");
        for text in [
            r#"{"auths": {"other.example": "ghp_OTHER_REGISTRY_TOKEN"}}"#,
            r#"{"auths": {"other.example": {"auth": 42}}, "x": "ghp_OTHER_REGISTRY_TOKEN"#,
            r#"{"auths": {"a": {"auth": "ghp_OTHER_REGISTRY_TOKEN"}"#,
        ] {
            let e = super::parse(path, text.as_bytes()).map(|_| ()).unwrap_err();
            assert!(!e.contains("ghp_"), "{e}");
            assert!(
                e.contains("is not a Docker config") && e.contains("line 1"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_malformed_entry_is_an_error_that_quotes_no_secret() {
        let c = parse(r#"{"auths":{"r.io":{"auth":"not base64 SECRET!"}}}"#);
        let err = lookup(&c, "r.io").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let c = parse(r#"{"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}}"#);
        assert!(lookup(&c, "r.io").unwrap_err().contains("user:password"));
    }

    #[test]
    fn helm_gets_the_registrys_entry_alone_and_no_helper() {
        let c = parse(
            r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"dTpw","identitytoken":"t"},"other.io":{"auth":"b3RoZXI6c2VjcmV0"}},"credsStore":"desktop","credHelpers":{"reg.example:5000":"evil"}}"#,
        );
        let helm: serde_json::Value =
            serde_json::from_str(&helm_config(&c, "reg.example:5000").unwrap()).unwrap();
        assert_eq!(
            helm,
            serde_json::json!({"auths": {"reg.example:5000": {"auth": "dTpw", "identitytoken": "t"}}})
        );
        assert_eq!(helm_config(&c, "none.example").unwrap(), r#"{"auths":{}}"#);
        let bad = parse(r#"{"auths":{"r.io":{"auth":"not base64 SECRET!"}}}"#);
        assert!(!helm_config(&bad, "r.io").unwrap_err().contains("SECRET"));
    }

    #[test]
    fn docker_config_wins_over_home() {
        let vars = |k: &str| match k {
            "DOCKER_CONFIG" => Some("/d".to_string()),
            "HOME" => Some("/h".to_string()),
            _ => None,
        };
        assert_eq!(path(&vars), Some(PathBuf::from("/d/config.json")));
        let home = |k: &str| (k == "HOME").then(|| "/h".to_string());
        assert_eq!(path(&home), Some(PathBuf::from("/h/.docker/config.json")));
    }
}
