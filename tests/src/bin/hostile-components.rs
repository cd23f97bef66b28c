//! Test fixture, never shipped: writes the hand-made hostile components of
//! `flinkwasm_tests::components` into the directory given as the only argument, for
//! `tests/security-table.sh`.

use flinkwasm_tests::components::*;

/// The compile bomb's statements and locals (see `compile_bomb`): about 7 s and 130 MiB to
/// compile on a 2-core machine.
pub const BOMB: (usize, usize) = (60_000, 400);

fn main() {
    let arg = |i: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse::<usize>().ok())
    };
    if let (Some(statements), Some(locals)) = (arg(2), arg(3)) {
        let dir = std::path::PathBuf::from(std::env::args_os().nth(1).unwrap_or_default());
        let _ = std::fs::write(dir.join("bomb.wasm"), compile_bomb(statements, locals));
        return;
    }
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: hostile-components DIR");
        std::process::exit(2);
    };
    let all: [(&str, Vec<u8>); 7] = [
        ("memories-declared.wasm", many_memories(6, 960)),
        ("memories-grown.wasm", memories_grown_in_run(6, 7168)),
        ("tables.wasm", many_tables(100, 1 << 20)),
        ("too-many-memories.wasm", many_memories(12, 1)),
        ("compile-bomb.wasm", compile_bomb(BOMB.0, BOMB.1)),
        // About 40 s and 430 MiB to compile on a 2-core machine: past the default bounds.
        ("compile-bomb-large.wasm", compile_bomb(200_000, 400)),
        ("schema-bomb.wasm", schema_bomb(25 << 20)),
    ];
    for (name, bytes) in all {
        if let Err(e) = std::fs::write(dir.join(name), bytes) {
            eprintln!("writing {name}: {e}");
            std::process::exit(1);
        }
    }
}
