//! A large Helm release through `post-render`: the stream is parsed one object at a time,
//! objects no plugin selects are written as they are read, the rest pass through the plugins
//! as text. Whatever the plugins leave alone must come out as it went in, in order,
//! and errors far into the stream must name the stream's own document and line.

use flinkwasm_tests::harness::{Scratch, parse_stream};

use crate::BIN;

const FILE: &str = "postrenderer.helm.sh/postrender-filename";

/// A release of `teams` teams: a ConfigMap whose script holds `---` lines (inside a block
/// scalar, so not document markers), a Deployment that is not the operator's, and a
/// FlinkApplication, each with Helm's file annotation. About 1.2 KiB per team.
fn release(teams: usize) -> String {
    let mut out = String::from("# Source: big/templates/all.yaml\n");
    for t in 0..teams {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script-{t}\n  namespace: team-{t}\n  annotations:\n    {FILE}: big/templates/cm.yaml\ndata:\n  run.sh: |\n    echo start\n    ---\n    echo 'yes' {t}\n  enabled: 'on'\n\
             --- # a marker with a comment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{t}\n  namespace: team-{t}\n  labels: {{app: web}}\n  annotations:\n    {FILE}: big/templates/web.yaml\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        args: [\"--port\", \"8080\"]\n\
             ---\napiVersion: platform.confluent.io/v1\nkind: FlinkApplication\nmetadata:\n  name: job-{t}\n  namespace: team-{t}\n  annotations:\n    {FILE}: big/templates/app.yaml\nspec:\n  flinkEnvironment: env\n  flinkConfiguration:\n    taskmanager.numberOfTaskSlots: \"2\"\n  job: {{jarURI: 'local:///opt/job.jar', state: running}}\n"
        ));
    }
    out
}

#[test]
fn objects_the_plugins_leave_alone_come_out_as_they_went_in() {
    // About 4 MiB.
    let input = release(3500);
    assert!(input.len() > 3 << 20);
    let s = Scratch::new(BIN);
    let r = s
        .run(
            &[
                "post-render",
                "--plugin",
                "flink-operator",
                "--plugin",
                "monitoring",
            ],
            Some(&input),
        )
        .ok();
    let (given, got) = (parse_stream(&input), parse_stream(&r.stdout));
    assert_eq!(got.len(), given.len());
    for (i, (g, o)) in given.iter().zip(&got).enumerate() {
        assert_eq!(g, o, "object {i} changed");
    }
    assert!(
        r.stdout.contains("  enabled: 'on'\n"),
        "YAML 1.1 booleans stay quoted"
    );
}

#[test]
fn an_error_far_into_the_stream_names_its_document_and_line() {
    let good = release(1200);
    let lines = good.lines().count();
    let documents = good.matches("\n---").count();
    let input = format!("{good}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: [oops\n");
    Scratch::new(BIN)
        .run(&["post-render", "--plugin", "monitoring"], Some(&input))
        .fails(
            3,
            &format!(
                "stdin: document {}: invalid YAML at line {}",
                documents + 1,
                lines + 5
            ),
        );
}
