//! Per-plugin resource limits as a pipeline writes them, resolved against the runtime's
//! defaults ([`Limits`]): run limits may only be tightened, compile limits raised up to their
//! maximums.

use crate::error;
pub use crate::runtime::Limits;
use anyhow::Result;
use serde::Deserialize;
use std::time::Duration;

/// Limits as written in the pipeline file; every field is optional and may only tighten.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsSpec {
    /// Linear memory, a Kubernetes quantity such as `256Mi`.
    pub memory: Option<String>,
    /// Wall time of one call, such as `10s` or `500ms`.
    pub timeout: Option<String>,
    /// Total size of the manifests a plugin returns, such as `64Mi`.
    pub output: Option<String>,
    /// Memory for compiling the component to machine code (external plugins, once: the result
    /// is cached), such as `2Gi`. May be raised up to [`Limits::MAX_COMPILE_MEMORY`].
    pub compile_memory: Option<String>,
    /// Wall time for compiling the component, such as `120s`. May be raised up to
    /// [`Limits::MAX_COMPILE_TIMEOUT`].
    pub compile_timeout: Option<String>,
}

impl LimitsSpec {
    /// The effective limits: the defaults, tightened by this spec. `at` is the spec's path.
    pub fn resolve(&self, at: &str) -> Result<Limits> {
        let d = Limits::default();
        let memory = tighten(
            self.memory.as_deref(),
            d.memory_bytes,
            parse_bytes,
            &format!("{at}.memory"),
        )?;
        let output = tighten(
            self.output.as_deref(),
            d.output_bytes,
            parse_bytes,
            &format!("{at}.output"),
        )?;
        let timeout_ms = tighten(
            self.timeout.as_deref(),
            d.timeout.as_millis() as usize,
            parse_millis,
            &format!("{at}.timeout"),
        )?;
        let compile_memory = within(
            self.compile_memory.as_deref(),
            d.compile_memory_bytes,
            Limits::MAX_COMPILE_MEMORY,
            parse_bytes,
            &format!("{at}.compileMemory"),
        )?;
        let compile_ms = within(
            self.compile_timeout.as_deref(),
            d.compile_timeout.as_millis() as usize,
            Limits::MAX_COMPILE_TIMEOUT.as_millis() as usize,
            parse_millis,
            &format!("{at}.compileTimeout"),
        )?;
        Ok(Limits {
            memory_bytes: memory,
            timeout: Duration::from_millis(timeout_ms as u64),
            output_bytes: output,
            log_bytes: d.log_bytes,
            compile_memory_bytes: compile_memory,
            compile_timeout: Duration::from_millis(compile_ms as u64),
        })
    }
}

fn tighten(
    value: Option<&str>,
    max: usize,
    parse: fn(&str) -> Option<usize>,
    at: &str,
) -> Result<usize> {
    within(value, max, max, parse, at)
}

/// `value` parsed, at most `max`; `default` when unset.
fn within(
    value: Option<&str>,
    default: usize,
    max: usize,
    parse: fn(&str) -> Option<usize>,
    at: &str,
) -> Result<usize> {
    let Some(text) = value else {
        return Ok(default);
    };
    let v = parse(text).ok_or_else(|| error::input(format!("{at}: cannot read `{text}`")))?;
    if v == 0 {
        return Err(error::input(format!("{at}: must be greater than zero")));
    }
    if v > max {
        return Err(error::input(format!(
            "{at}: `{text}` is above the host's limit{}",
            if default == max {
                "; limits can only be tightened"
            } else {
                ""
            }
        )));
    }
    Ok(v)
}

/// Bytes from a Kubernetes-style quantity: `512`, `64Ki`, `256Mi`, `1Gi`, `10M`.
pub fn parse_bytes(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: usize = num.parse().ok()?;
    let mult: usize = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Milliseconds from `500ms`, `10s` or `2m`.
pub fn parse_millis(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: usize = num.parse().ok()?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_bytes("64Mi"), Some(64 << 20));
        assert_eq!(parse_bytes("10M"), Some(10_000_000));
        assert_eq!(parse_bytes("1.5Gi"), None);
        assert_eq!(parse_millis("250ms"), Some(250));
        assert_eq!(parse_millis("2m"), Some(120_000));
        assert_eq!(parse_millis("5"), None);
    }

    #[test]
    fn limits_only_tighten() {
        let spec = LimitsSpec {
            memory: Some("64Mi".into()),
            timeout: Some("2s".into()),
            compile_memory: Some("2Gi".into()),
            ..Default::default()
        };
        let l = spec.resolve("x").unwrap();
        assert_eq!(l.memory_bytes, 64 << 20);
        assert_eq!(l.timeout, Duration::from_secs(2));
        assert_eq!(l.output_bytes, Limits::default().output_bytes);
        assert_eq!(l.compile_memory_bytes, 2 << 30);
        let huge = LimitsSpec {
            compile_timeout: Some("1h".into()),
            ..Default::default()
        };
        assert!(huge.resolve("x").is_err());
        let loose = LimitsSpec {
            memory: Some("8Gi".into()),
            ..Default::default()
        };
        let err = loose
            .resolve("spec.plugins[0].limits")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("spec.plugins[0].limits.memory: `8Gi` is above the host's limit"),
            "{err}"
        );
    }
}
