//! The sandbox and the limits, proven with the probe plugin: every escape attempt gets nothing,
//! every limit fires with an error naming the plugin and the cause, exit code 4, empty stdout.

use flinkwasm_tests::harness::{INPUT, Scratch, probe_report};
use std::time::Duration;

use crate::BIN;

fn probe(config: &str, limits: &str) -> Scratch {
    let s = Scratch::new(BIN);
    s.probe_pipeline(config, limits);
    s
}

#[test]
fn memory_limit_fires() {
    let s = probe("{action: alloc}", "{memory: 64Mi}");
    s.run(&["post-render"], Some(INPUT)).fails(
        4,
        "plugin probe: exceeded its memory limit of 64.0 MiB while running",
    );
    // The next render in the same cache works.
    s.probe_pipeline("{action: echo}", "{}");
    s.run(&["post-render"], Some(INPUT)).ok();
}

#[test]
fn time_limit_fires_on_a_spinning_plugin() {
    let r = probe("{action: spin}", "{timeout: 500ms}").run(&["post-render"], Some(INPUT));
    let r = r.fails(
        4,
        "plugin probe: timed out after 500ms (its time limit) while running",
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

#[test]
fn a_plugin_blocked_in_a_host_call_is_stopped_by_the_watchdog() {
    let r = probe("{action: sleep}", "{timeout: 300ms}").run(&["post-render"], Some(INPUT));
    let r = r.fails(4, "plugin probe: timed out after 300ms");
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

#[test]
fn output_limit_fires() {
    probe("{action: output, size: 4194304}", "{output: 1Mi}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "above its output limit of 1.0 MiB");
}

#[test]
fn unbounded_recursion_overflows_the_stack_not_the_host() {
    probe("{action: recurse}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: overflowed its stack");
}

#[test]
fn a_panic_is_reported_with_its_message() {
    probe("{action: panic}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(
            4,
            "plugin probe: panicked or aborted: probe panicked on purpose while running",
        );
}

#[test]
fn log_floods_are_bounded_and_dropped() {
    let r = probe("{action: log-flood}", "{}")
        .run(&["--log-level", "info", "post-render"], Some(INPUT))
        .ok();
    assert!(
        r.stderr
            .contains("bytes of plugin log dropped (limit 1048576 bytes per call)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.len() < 2 << 20,
        "stderr is {} bytes",
        r.stderr.len()
    );
}

#[test]
fn stdout_floods_fail_the_plugin() {
    probe("{action: stdout-flood}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: wrote more than 1.0 MiB to stdout/stderr");
    // Also when the plugin ignores the write errors and returns as if all was well.
    probe("{action: stdout-flood-quiet}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: wrote more than 1.0 MiB to stdout/stderr");
}

#[test]
fn the_filesystem_is_invisible() {
    let s = probe("{action: read-file, path: /etc/passwd}", "{}");
    let data = probe_report(&s.run(&["post-render"], Some(INPUT)).ok().stdout);
    assert!(
        data["read"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
    assert!(
        data["list"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
    let s = probe("{action: read-file, path: flinkwasm.yaml}", "{}");
    let data = probe_report(&s.run(&["post-render"], Some(INPUT)).ok().stdout);
    assert!(
        data["read"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
}

#[test]
fn files_cannot_be_written() {
    let target = std::env::temp_dir().join(format!("flinkwasm-probe-{}", std::process::id()));
    let s = probe(
        &format!("{{action: write-file, path: '{}'}}", target.display()),
        "{}",
    );
    let data = probe_report(&s.run(&["post-render"], Some(INPUT)).ok().stdout);
    assert!(
        data["write"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
    assert!(!target.exists());
}

#[test]
fn environment_and_arguments_are_empty() {
    let s = probe("{action: env}", "{}");
    let r = s
        .run_env(
            &["post-render"],
            Some(INPUT),
            &[("SECRET_TOKEN", "hunter2")],
        )
        .ok();
    let data = probe_report(&r.stdout);
    assert_eq!(data["vars"], "0");
    assert_eq!(data["args"], "0");
    assert!(
        data["home"].as_str().unwrap().starts_with("denied"),
        "{data:?}"
    );
    assert!(!r.stdout.contains("hunter2"));
}

#[test]
fn the_network_is_closed() {
    let data = probe_report(
        &probe("{action: net}", "{}")
            .run(&["post-render"], Some(INPUT))
            .ok()
            .stdout,
    );
    for key in ["tcp", "dns", "udp"] {
        assert!(
            data[key].as_str().unwrap().starts_with("denied"),
            "{key}: {data:?}"
        );
    }
}

#[test]
fn clocks_and_randomness_cannot_make_output_differ() {
    let s = probe("{action: nondeterminism}", "{}");
    let a = s.run(&["post-render"], Some(INPUT)).ok().stdout;
    std::thread::sleep(Duration::from_millis(20));
    let b = s.run(&["post-render"], Some(INPUT)).ok().stdout;
    assert_eq!(a, b);
    let data = probe_report(&a);
    assert_eq!(data["wallClock"], "0");
    assert_eq!(data["elapsed"], "0ns");
}

#[test]
fn invalid_json_and_non_objects_are_refused() {
    probe("{action: bad-json}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: returned manifest 1 is not JSON");
    probe("{action: non-object}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(4, "plugin probe: returned manifest 1 is not a JSON object");
}

#[test]
fn error_diagnostics_fail_the_render_naming_object_and_field() {
    probe("{action: error}", "{}")
        .run(&["post-render"], Some(INPUT))
        .fails(
            4,
            "plugin probe: Deployment/team-a/web spec.replicas: probe refuses this input",
        );
}

#[test]
fn a_wrong_pin_is_refused_before_anything_is_compiled() {
    let s = probe("{action: echo}", "{}");
    let pipeline = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    let wrong = format!("sha256:{}", "0".repeat(64));
    let start = pipeline.find("sha256: sha256:").unwrap() + "sha256: ".len();
    let right = pipeline[start..start + 71].to_string();
    s.write("flinkwasm.yaml", pipeline.replace(&right, &wrong));
    let r = s
        .run(&["post-render"], Some(INPUT))
        .fails(5, "refusing to run it");
    assert!(
        r.stderr.contains(&right) && r.stderr.contains(&wrong),
        "both digests: {}",
        r.stderr
    );
    assert!(
        !s.cache.exists(),
        "nothing may be compiled for a refused plugin"
    );
}

#[test]
fn a_truncated_or_missing_component_is_refused() {
    let s = probe("{action: echo}", "{}");
    let bytes = std::fs::read(s.path().join("probe.wasm")).unwrap();
    let half = &bytes[..bytes.len() / 2];
    let digest = flinkwasm::runtime::sha256_hex(half);
    s.write("probe.wasm", half);
    let pipeline = std::fs::read_to_string(s.path().join("flinkwasm.yaml")).unwrap();
    let start = pipeline.find("sha256: sha256:").unwrap() + "sha256: sha256:".len();
    s.write(
        "flinkwasm.yaml",
        pipeline.replace(&pipeline[start..start + 64], &digest),
    );
    s.run(&["post-render"], Some(INPUT))
        .fails(5, "plugin probe: not a valid WebAssembly component");
    std::fs::remove_file(s.path().join("probe.wasm")).unwrap();
    s.run(&["post-render"], Some(INPUT))
        .fails(5, "plugin probe: cannot read");
}
