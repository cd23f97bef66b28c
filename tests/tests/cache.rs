//! The compile cache: reused when valid, repaired when corrupt, optional when unwritable, and
//! safe under concurrent renders from an empty cache.

use flinkwasm_tests::harness::Scratch;
use std::path::PathBuf;

const BIN: &str = env!("CARGO_BIN_EXE_flinkwasm-cli");

fn entries(cache: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for engine_dir in std::fs::read_dir(cache).into_iter().flatten().flatten() {
        for e in std::fs::read_dir(engine_dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

#[test]
fn a_warm_cache_is_reused_and_a_corrupt_entry_is_recompiled() {
    let s = Scratch::new(BIN);
    let cold = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(cold.stderr.contains("outcome=Miss"), "{}", cold.stderr);
    let files = entries(&s.cache);
    let components = flinkwasm::builtin::names().count();
    assert_eq!(
        files.len(),
        components,
        "one entry per component: {files:?}"
    );
    let warm = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(warm.stderr.contains("outcome=Hit"), "{}", warm.stderr);
    assert_eq!(warm.stdout, cold.stdout);

    // Flip one byte in the middle of the compiled code.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&files[0], &bytes).unwrap();
    let repaired = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(
        repaired.stderr.contains("compile cache entry is corrupt"),
        "{}",
        repaired.stderr
    );
    assert!(
        repaired.stderr.contains("outcome=Corrupt"),
        "{}",
        repaired.stderr
    );
    assert_eq!(repaired.stdout, cold.stdout);

    // A foreign file in its place is not trusted either; then the repaired entry is a hit.
    std::fs::write(&files[0], b"\x7fELF not ours").unwrap();
    s.run(&["render"], None).ok();
    let again = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(again.stderr.contains("outcome=Hit"), "{}", again.stderr);
}

#[test]
fn an_unwritable_cache_directory_does_not_stop_a_render() {
    let s = Scratch::new(BIN);
    let blocker = s.write("not-a-dir", "file");
    let cache = blocker.join("cache");
    let r = s
        .run_env(
            &["render"],
            None,
            &[("FLINKWASM_CACHE_DIR", cache.to_str().unwrap())],
        )
        .ok();
    assert!(r.stdout.contains("kind: FlinkEnvironment"));
    assert!(
        r.stderr.contains("compile cache not written"),
        "{}",
        r.stderr
    );
}

#[test]
fn concurrent_renders_from_an_empty_cache_agree() {
    let s = Scratch::new(BIN);
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| s.run(&["render"], None)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("render thread"))
            .collect()
    });
    let first = &runs[0].stdout;
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(&r.stdout, first);
    }
    let files = entries(&s.cache);
    assert_eq!(
        files.len(),
        flinkwasm::builtin::names().count(),
        "one complete entry per component and no temporary files: {files:?}"
    );
    let warm = s
        .run(&["--log-level", "flinkwasm=debug", "render"], None)
        .ok();
    assert!(
        warm.stderr.contains("outcome=Hit"),
        "the entry left by the race is valid: {}",
        warm.stderr
    );
}
