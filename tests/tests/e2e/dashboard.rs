//! The Grafana dashboard the monitoring plugin ships: it loads as a dashboard model, and every
//! PromQL expression in it passes the real `promtool` (Debian `prometheus`): it parses, and it
//! finds data in series shaped the way Flink's reporter and the ServiceMonitor shape them,
//! and none in series without `job="flink"`.

use flinkwasm_tests::grafana::{Dashboard, DatasourceRef};
use flinkwasm_tests::harness::{Scratch, parse_stream};
use std::collections::BTreeSet;
use std::process::Command;

use crate::BIN;

fn dashboard() -> Dashboard {
    let s = Scratch::new(BIN);
    let r = s.run(&["render"], None).ok();
    let objects = parse_stream(&r.stdout);
    let cm = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "flink-dashboard")
        .expect("the dashboard ConfigMap");
    assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
    let text = cm["data"]["flink.json"].as_str().expect("data.flink.json");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not a dashboard model: {e}"))
}

/// Every (panel title, expression) with Grafana's variables replaced by what they stand for.
fn expressions(d: &Dashboard) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in &d.panels {
        for t in &p.targets {
            out.push((format!("{} {}", p.title, t.ref_id), t.expr.clone()));
        }
    }
    for v in &d.templating.list {
        if let Some(def) = &v.definition {
            // label_values(m, l) is Grafana's; promtool sees the selector it queries.
            let inner = def
                .trim_start_matches("label_values(")
                .rsplit_once(',')
                .unwrap()
                .0;
            out.push((format!("variable {}", v.name), inner.to_string()));
        }
    }
    out.into_iter()
        .map(|(k, e)| (k, e.replace("$__rate_interval", "5m").replace("$env", ".+")))
        .collect()
}

#[test]
fn the_dashboard_is_a_grafana_model_filtered_on_job_flink_with_variables() {
    let d = dashboard();
    assert_eq!(d.uid, "flinkwasm-flink");
    let vars: Vec<&str> = d.templating.list.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(vars, ["datasource", "env"]);
    assert_eq!(d.templating.list[0].kind, "datasource");
    assert_eq!(d.templating.list[0].query, "prometheus");
    let env = d.templating.list[1].definition.as_deref().unwrap();
    assert!(
        env.contains(r#"job="flink""#) && env.ends_with(", app)"),
        "{env}"
    );
    let var_ds = DatasourceRef {
        kind: "prometheus".into(),
        uid: "${datasource}".into(),
    };
    let mut ids = BTreeSet::new();
    let mut cells = BTreeSet::new();
    let mut titles = String::new();
    for p in &d.panels {
        assert!(ids.insert(p.id), "panel id {} repeats", p.id);
        let g = p.grid_pos;
        assert!(g.x + g.w <= 24, "{} overflows the grid", p.title);
        for x in g.x..g.x + g.w {
            for y in g.y..g.y + g.h {
                assert!(cells.insert((x, y)), "{} overlaps another panel", p.title);
            }
        }
        titles.push_str(&p.title);
        titles.push('\n');
        if p.kind == "row" {
            continue;
        }
        assert_eq!(
            p.datasource.as_ref(),
            Some(&var_ds),
            "{}: datasource is the variable",
            p.title
        );
        assert!(!p.targets.is_empty(), "{} has no query", p.title);
        for t in &p.targets {
            assert_eq!(t.datasource, var_ds);
            assert!(t.expr.contains(r#"job="flink""#), "{}: {}", p.title, t.expr);
            assert!(t.expr.contains(r#"app=~"$env""#), "{}: {}", p.title, t.expr);
        }
    }
    for topic in [
        "JobManager",
        "TaskManager",
        "checkpoint",
        "Records in",
        "Back-pressure",
        "Task slots",
        "restarts",
    ] {
        assert!(titles.contains(topic), "no panel about {topic}:\n{titles}");
    }
}

fn promtool(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool is needed for this test (Debian package prometheus)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

/// Series as Flink's Prometheus reporter exposes them after the ServiceMonitor's relabelling.
fn series(job: &str) -> String {
    let jm = format!(
        r#"job="{job}",app="orders",component="jobmanager",type="flink_native_kubernetes",platform_confluent_io_origin="flink""#
    );
    let tm = format!(
        r#"job="{job}",app="orders",component="taskmanager",type="flink_native_kubernetes",platform_confluent_io_origin="flink",tm_id="orders-taskmanager-1-1""#
    );
    let job_labels = r#"job_id="0a1b",job_name="order-totals""#;
    let task = r#"task_name="Source__orders",subtask_index="0""#;
    let metrics = [
        ("flink_jobmanager_numRunningJobs", jm.clone()),
        ("flink_jobmanager_numRegisteredTaskManagers", jm.clone()),
        ("flink_jobmanager_taskSlotsAvailable", jm.clone()),
        ("flink_jobmanager_taskSlotsTotal", jm.clone()),
        ("flink_jobmanager_Status_JVM_CPU_Load", jm.clone()),
        ("flink_jobmanager_Status_JVM_Memory_Heap_Used", jm.clone()),
        (
            "flink_jobmanager_job_numRestarts",
            format!("{jm},{job_labels}"),
        ),
        (
            "flink_jobmanager_job_lastCheckpointDuration",
            format!("{jm},{job_labels}"),
        ),
        (
            "flink_jobmanager_job_lastCheckpointSize",
            format!("{jm},{job_labels}"),
        ),
        (
            "flink_jobmanager_job_numberOfFailedCheckpoints",
            format!("{jm},{job_labels}"),
        ),
        ("flink_taskmanager_Status_JVM_CPU_Load", tm.clone()),
        ("flink_taskmanager_Status_JVM_Memory_Heap_Used", tm.clone()),
        (
            "flink_taskmanager_job_task_numRecordsInPerSecond",
            format!("{tm},{job_labels},{task}"),
        ),
        (
            "flink_taskmanager_job_task_numRecordsOutPerSecond",
            format!("{tm},{job_labels},{task}"),
        ),
        (
            "flink_taskmanager_job_task_busyTimeMsPerSecond",
            format!("{tm},{job_labels},{task}"),
        ),
        (
            "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
            format!("{tm},{job_labels},{task}"),
        ),
    ];
    metrics
        .iter()
        .map(|(m, l)| format!("      - series: '{m}{{{l}}}'\n        values: '1+1x20'\n"))
        .collect()
}

#[test]
fn every_query_passes_promtool_and_finds_flink_series_only() {
    let d = dashboard();
    let exprs = expressions(&d);
    assert!(exprs.len() >= 16, "{exprs:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut rules = String::from("groups:\n  - name: flinkwasm-dashboard\n    rules:\n");
    for (i, (_, e)) in exprs.iter().enumerate() {
        rules.push_str(&format!(
            "      - record: flinkwasm:dashboard_query_{i}\n        expr: {}\n",
            serde_json::to_string(e).unwrap()
        ));
    }
    std::fs::write(dir.path().join("rules.yaml"), &rules).unwrap();
    let checked = promtool(&["check", "rules", "rules.yaml"], dir.path());
    assert!(
        checked.contains(&format!("{} rules found", exprs.len())),
        "{checked}"
    );

    let mut tests = String::from("rule_files: [rules.yaml]\nevaluation_interval: 1m\ntests:\n");
    for (job, expect) in [("flink", true), ("kubernetes-pods", false)] {
        tests.push_str(&format!(
            "  - interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
            series(job)
        ));
        for (name, e) in &exprs {
            let samples = if expect {
                "\n          - labels: '{}'\n            value: 1"
            } else {
                " []"
            };
            tests.push_str(&format!(
                "      # {name}\n      - expr: {}\n        eval_time: 10m\n        exp_samples:{samples}\n",
                serde_json::to_string(&format!("clamp_max(count({e}), 1)")).unwrap()
            ));
        }
    }
    std::fs::write(dir.path().join("tests.yaml"), &tests).unwrap();
    promtool(&["test", "rules", "tests.yaml"], dir.path());
}
