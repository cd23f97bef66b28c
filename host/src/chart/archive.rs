//! What a pulled chart archive says it is: the name and version in its `Chart.yaml`, read from
//! the gzipped tar within bounds. A repository (or registry) that answers the chart asked for
//! with another one is refused, pinned or not: Helm pulls by the index's (or tag's) word, and
//! would render whatever the archive holds.

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::Read;
use std::path::Component;

/// How much of the archive is unpacked looking for `Chart.yaml` (Helm's own bound on a whole
/// decompressed chart is 100 MiB).
const MAX_UNPACKED: u64 = 100 << 20;
/// How many entries are looked at.
const MAX_ENTRIES: usize = 100_000;
/// How big `Chart.yaml` may be.
const MAX_CHART_YAML: u64 = 1 << 20;

/// The two fields checked.
#[derive(Debug, Deserialize)]
struct Meta {
    name: Option<String>,
    version: Option<String>,
}

/// Checks that `archive` (a `.tgz`) is the chart `name` at `version`; the error says what it
/// is instead, or why it cannot be read as a chart.
pub fn check(archive: &[u8], name: &str, version: &str) -> Result<(), String> {
    let meta = chart_yaml(archive, MAX_UNPACKED)?;
    let (Some(have_name), Some(have_version)) = (&meta.name, &meta.version) else {
        return Err("its Chart.yaml has no name or no version".into());
    };
    // Helm matches `--version 1.2.3` to a chart versioned `v1.2.3`.
    let plain = |v: &str| v.strip_prefix('v').unwrap_or(v).to_string();
    if have_name != name || plain(have_version) != plain(version) {
        return Err(format!(
            "the archive served is the chart {} {}, not the one asked for",
            crate::text::safe(have_name),
            crate::text::safe(have_version)
        ));
    }
    Ok(())
}

/// The top-level `Chart.yaml` (`<chart>/Chart.yaml`, where Helm's loader reads it), looked for
/// in the first `max_unpacked` bytes of the tar.
fn chart_yaml(archive: &[u8], max_unpacked: u64) -> Result<Meta, String> {
    let unpacked = GzDecoder::new(archive).take(max_unpacked);
    let mut tar = tar::Archive::new(unpacked);
    let entries = tar
        .entries()
        .map_err(|e| format!("it is not a chart archive (a gzipped tar): {e}"))?;
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            break;
        }
        let entry = entry.map_err(|e| {
            format!(
                "it is not a chart archive (a gzipped tar), or unpacks past {max_unpacked} \
                 bytes: {e}"
            )
        })?;
        let top_level = entry.path().ok().is_some_and(|p| {
            let parts: Vec<Component<'_>> = p.components().collect();
            matches!(parts.as_slice(), [Component::Normal(_), Component::Normal(f)] if *f == "Chart.yaml")
        });
        if !top_level || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut text = String::new();
        entry
            .take(MAX_CHART_YAML + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("its Chart.yaml cannot be read as text: {e}"))?;
        if text.len() as u64 > MAX_CHART_YAML {
            return Err(format!("its Chart.yaml is over {MAX_CHART_YAML} bytes"));
        }
        return serde_yaml::from_str(&text)
            .map_err(|_| "its Chart.yaml is not a YAML mapping with a name and version".into());
    }
    Err(format!(
        "no Chart.yaml at its top level within {MAX_ENTRIES} entries and {max_unpacked} \
         unpacked bytes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        for (path, body) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, *body).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn the_chart_asked_for_passes_and_another_is_refused() {
        let good = tgz(&[
            ("cmf/charts/sub/Chart.yaml", b"name: sub\nversion: 9.9.9\n"),
            (
                "cmf/Chart.yaml",
                b"apiVersion: v2\nname: cmf\nversion: v2.1.0\n",
            ),
        ]);
        assert_eq!(check(&good, "cmf", "2.1.0"), Ok(()));
        let err = check(&good, "notevil", "2.1.0").unwrap_err();
        assert!(
            err.contains("the chart cmf v2.1.0, not the one asked for"),
            "{err}"
        );
        assert!(check(&good, "cmf", "2.1.1").is_err());
        // A subchart alone is not the chart.
        let sub_only = tgz(&[("cmf/charts/cmf/Chart.yaml", b"name: cmf\nversion: 2.1.0\n")]);
        assert!(
            check(&sub_only, "cmf", "2.1.0")
                .unwrap_err()
                .contains("no Chart.yaml")
        );
    }

    #[test]
    fn what_is_not_a_chart_archive_is_refused_within_bounds() {
        assert!(check(b"not gzip", "c", "1").is_err());
        let no_version = tgz(&[("c/Chart.yaml", b"name: c\n")]);
        assert!(
            check(&no_version, "c", "1")
                .unwrap_err()
                .contains("no version")
        );
        let big = vec![b'#'; (MAX_CHART_YAML + 10) as usize];
        let huge = tgz(&[("c/Chart.yaml", &big)]);
        assert!(check(&huge, "c", "1").unwrap_err().contains("over"));
        // Past the unpack bound before any Chart.yaml: refused, not read on (a small bound
        // here; the real one is MAX_UNPACKED).
        let filler = vec![0u8; 2 << 20];
        let bomb = tgz(&[
            ("c/values.bin", &filler),
            ("c/Chart.yaml", b"name: c\nversion: 1\n"),
        ]);
        assert!(chart_yaml(&bomb, 1 << 20).is_err());
        assert!(chart_yaml(&bomb, 4 << 20).is_ok());
    }
}
