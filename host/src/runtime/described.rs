//! Plugin descriptions remembered in the cache. The contract makes `describe` a function of the
//! component alone (`wit/plugin.wit`), so its answer is recorded under the component's sha256
//! and a later run reads it instead of calling into the plugin.
//!
//! A record is JSON in the cache's private `checks/` directory (see [`super::Cache::record`]).
//! One that does not decode is ignored and the plugin is asked again.

use super::wit;
use serde::{Deserialize, Serialize};

/// The record of one description: the WIT record, field for field.
#[derive(Serialize, Deserialize)]
struct Record {
    name: String,
    version: String,
    description: String,
    config_schema: String,
    role: Role,
    select: Option<(Vec<String>, Vec<String>)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    Generator,
    Transformer,
    Both,
}

/// The name the description of the component with sha256 `digest` is recorded under: bound to
/// this flinkwasm version, whose contract the description was made under.
pub fn key(digest: &str) -> String {
    super::record_key(
        "describe",
        &["flinkwasm describe", env!("CARGO_PKG_VERSION"), digest],
    )
}

/// `info` as a record.
pub fn encode(info: &wit::PluginInfo) -> Vec<u8> {
    let record = Record {
        name: info.name.clone(),
        version: info.version.clone(),
        description: info.description.clone(),
        config_schema: info.config_schema.clone(),
        role: match info.role {
            wit::Role::Generator => Role::Generator,
            wit::Role::Transformer => Role::Transformer,
            wit::Role::Both => Role::Both,
        },
        select: info
            .select
            .as_ref()
            .map(|s| (s.groups.clone(), s.kinds.clone())),
    };
    // A struct of strings always serializes.
    serde_json::to_vec(&record).unwrap_or_default()
}

/// The description in `bytes`, or `None` when they are not a record.
pub fn decode(bytes: &[u8]) -> Option<wit::PluginInfo> {
    let r: Record = serde_json::from_slice(bytes).ok()?;
    Some(wit::PluginInfo {
        name: r.name,
        version: r.version,
        description: r.description,
        config_schema: r.config_schema,
        role: match r.role {
            Role::Generator => wit::Role::Generator,
            Role::Transformer => wit::Role::Transformer,
            Role::Both => wit::Role::Both,
        },
        select: r
            .select
            .map(|(groups, kinds)| wit::Selection { groups, kinds }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_survives_its_record() {
        let info = wit::PluginInfo {
            name: "monitoring".into(),
            version: "0.1.0".into(),
            description: "metrics".into(),
            config_schema: r#"{"type":"object"}"#.into(),
            role: wit::Role::Both,
            select: Some(wit::Selection {
                groups: vec!["".into()],
                kinds: vec!["Service".into()],
            }),
        };
        let back = decode(&encode(&info)).expect("decodes");
        assert_eq!(back.name, info.name);
        assert_eq!(back.config_schema, info.config_schema);
        assert_eq!(back.role, wit::Role::Both);
        let s = back.select.expect("select kept");
        assert_eq!(
            (s.groups, s.kinds),
            (vec!["".into()], vec!["Service".into()])
        );
        assert!(decode(b"{\"name\":1}").is_none());
        assert!(decode(b"").is_none());
        assert_ne!(key("a"), key("b"));
    }
}
