//! What flinkwasm writes, read by a real Go YAML reader: `kubectl kustomize` (kyaml on go-yaml,
//! the family Helm, kubectl and Argo CD read with). Every string and key that flinkwasm writes
//! must come back as written; what the Go readers cannot read (`<<` keys, keys over 1,024
//! characters) is refused with a clear error instead of written.

use flinkwasm_tests::harness::Scratch;
use serde_json::{Map, Value, json};
use std::process::Command;

use crate::BIN;

/// Strings that trip YAML readers: every ASCII character alone, the C1 controls, Unicode line
/// breaks, YAML 1.1 booleans and numbers, indicators, block-scalar edge cases.
fn tricky() -> Vec<String> {
    // DEL, the C1 controls and U+FFFE/U+FFFF are refused (see the next test).
    let mut out: Vec<String> = (1u8..0x7f).map(|b| (b as char).to_string()).collect();
    for s in [
        "\u{a0}",
        "\u{200b}",
        "\u{fdd0}",
        "\u{10ffff}",
        "\u{2028}",
        "a\u{2029}b",
        "\u{feff}bom",
        "é",
        "日本",
        "😀",
        "e\u{301}",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "~",
        "null",
        "true",
        "=",
        "<<",
        "0755",
        "0x1F",
        "1e3",
        ".inf",
        "-.inf",
        ".NaN",
        "12:30:00",
        "2024-01-02",
        "1_000",
        "0b101",
        "+1",
        "- a",
        "? a",
        ": a",
        "a: b",
        "a #b",
        "#c",
        "%TAG",
        "!tag",
        "&a",
        "*a",
        "|",
        ">",
        "'q'",
        "\"dq\"",
        "@x",
        "`x",
        "{a}",
        "[a]",
        " lead",
        "trail ",
        "\ttab",
        "tab\t",
        "a\r\nb",
        "\r",
        "one\ntwo",
        "one\ntwo\n",
        "lines\n\n",
        "\n",
        "\n\n",
        "  indented\nblock\n",
        "a\n \nb",
        "a\n\tb\n",
        "x\u{0}y",
    ] {
        out.push(s.to_string());
    }
    out.push("long ".repeat(20_000));
    out
}

/// Runs flinkwasm (post-render with no plugins) over `object`, then `kubectl kustomize` over
/// flinkwasm's output, and returns both outputs parsed.
fn through_kustomize(object: &Value) -> (String, Value) {
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins: []\n",
    );
    let r = s.run(&["post-render"], Some(&object.to_string())).ok();
    let dir = s.path().join("kustomize");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("resource.yaml"), &r.stdout).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        "resources: [resource.yaml]\n",
    )
    .unwrap();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl is needed for this test (on the machine image)");
    assert!(
        out.status.success(),
        "kubectl kustomize refused flinkwasm's output: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        r.stdout
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 from kustomize");
    let back: Value = serde_yaml::from_str(&text).expect("kustomize wrote YAML");
    (r.stdout, back)
}

#[test]
fn every_tricky_string_reads_back_through_kubectl_kustomize() {
    let strings = tricky();
    let values: Map<String, Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("v{i:03}"), json!(s)))
        .collect();
    // The same strings as keys (those a key may be: at most 1,024 characters).
    let keys: Map<String, Value> = strings
        .iter()
        .filter(|s| s.len() < 1000 && s.as_str() != "<<")
        .enumerate()
        .map(|(i, s)| (s.clone(), json!(i)))
        .collect();
    let object = json!({
        "apiVersion": "example.com/v1",
        "kind": "Blob",
        "metadata": {"name": "tricky", "namespace": "t"},
        "spec": {"values": values, "keys": keys, "list": strings},
    });
    let (written, back) = through_kustomize(&object);
    let mut wrong = Vec::new();
    for part in ["values", "keys"] {
        let (want, got) = (&object["spec"][part], &back["spec"][part]);
        for (k, v) in want.as_object().unwrap() {
            if got.get(k) != Some(v) {
                wrong.push(format!("{part} {k:?}: wrote {v:?}, read {:?}", got.get(k)));
            }
        }
        if let Some(extra) = got.as_object().and_then(|g| {
            g.keys()
                .find(|k| !want.as_object().unwrap().contains_key(*k))
        }) {
            wrong.push(format!(
                "{part}: kustomize read a key flinkwasm did not write: {extra:?}"
            ));
        }
    }
    if back["spec"]["list"] != object["spec"]["list"] {
        wrong.push("the list of strings came back different".into());
    }
    assert!(
        wrong.is_empty(),
        "{} values did not read back:\n{}\n--- flinkwasm wrote:\n{}",
        wrong.len(),
        wrong.join("\n"),
        written.chars().take(4000).collect::<String>()
    );
}

#[test]
fn what_the_go_readers_cannot_read_is_refused_not_written() {
    let s = Scratch::new(BIN);
    s.write(
        "flinkwasm.yaml",
        "apiVersion: flinkwasm.io/v1alpha1\nkind: Pipeline\nmetadata: {name: t}\nspec:\n  plugins: []\n",
    );
    let merge =
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m"},"data":{"<<":"x"}}"#;
    s.run(&["post-render"], Some(merge))
        .fails(3, "ConfigMap/m has a key `<<` under data");
    let long = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"l"}},"data":{{"{}":"x"}}}}"#,
        "k".repeat(1100)
    );
    s.run(&["post-render"], Some(&long))
        .fails(3, "ConfigMap/l has a key of 1100 characters under data");
    // kustomize reads these from an escape, writes them raw, then refuses its own output.
    for (c, name) in [
        ('\u{85}', "U+0085"),
        ('\u{7f}', "U+007F"),
        ('\u{9b}', "U+009B"),
        ('\u{ffff}', "U+FFFF"),
    ] {
        let bad = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": format!("x{c}y")}});
        s.run(&["post-render"], Some(&bad.to_string())).fails(
            3,
            &format!("ConfigMap/c has a string with the character {name} at data.k"),
        );
    }
}
