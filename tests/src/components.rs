//! Hand-made hostile components: attacks a Rust guest cannot express (several linear memories,
//! many large tables, a function built to be slow to compile, a schema built at run time),
//! written as WebAssembly text and wrapped into a component of the `plugin` world with
//! `wit-component`, as any toolchain would. Test fixtures only.
//!
//! Each core module implements the canonical ABI of `wit/plugin.wit` by hand: `describe`
//! returns a static `plugin-info` record (a transformer that takes an empty config), `run`
//! returns an empty `run-output`, `cabi_realloc` is a bump allocator. The attack is spliced in:
//! extra module fields, code run at instantiation (`start`), in `describe` or in `run`.

use std::path::Path;

/// The `plugin-info` record `describe` returns, at address 1024: name, version, description,
/// config-schema (four strings), role (`transformer`), select (`none`).
const INFO: &str = r#"
  (data (i32.const 1024)
    "\00\08\00\00" "\07\00\00\00"   ;; name -> 2048, "hostile"
    "\10\08\00\00" "\05\00\00\00"   ;; version -> 2064, "0.1.0"
    "\20\08\00\00" "\07\00\00\00"   ;; description -> 2080, "hostile"
    "\00\00\00\00" "\00\00\00\00"   ;; config-schema: "" (an empty object only)
    "\01\00\00\00"                  ;; role: transformer
    "\00\00\00\00" "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00") ;; select: none
  (data (i32.const 2048) "hostile")
  (data (i32.const 2064) "0.1.0")
  (data (i32.const 2080) "hostile")
  ;; run-output at 3072: no manifests, no diagnostics.
  (data (i32.const 3072) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
"#;

/// The bump allocator the host lowers `run`'s arguments through, from 64 KiB up.
const REALLOC: &str = r#"
  (global $heap (mut i32) (i32.const 65536))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    ;; align up
    (local.set $at (i32.and
      (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $at) (local.get 3)))
    (block $fits
      (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (drop (memory.grow
        (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))))
    )
    (local.get $at))
"#;

/// A core module exporting the plugin world, with `fields` spliced in; `describe_body` and
/// `run_body` run before the record's address is returned.
pub fn core_module(fields: &str, describe_body: &str, run_body: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") 1)
  {INFO}
  {REALLOC}
  (func (export "describe") (result i32) {describe_body} (i32.const 1024))
  (func (export "run") (param i32) (result i32) {run_body} (i32.const 3072))
  {fields}
)"#
    )
}

/// The component wrapping the core module in WebAssembly text `wat`, against the repository's
/// `wit/plugin.wit`.
pub fn component(wat: &str) -> Vec<u8> {
    let mut module = wat::parse_str(wat).expect("the hostile module's text parses");
    let mut resolve = wit_parser::Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let (pkg, _) = resolve.push_dir(&wit).expect("wit/plugin.wit parses");
    let world = resolve
        .select_world(&[pkg], Some("plugin"))
        .expect("the plugin world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .expect("embedding the world");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("a core module wit-component accepts")
        .validate(true)
        .encode()
        .expect("a valid component")
}

/// `count` extra linear memories of `pages` 64 KiB pages each, declared (reserved at
/// instantiation).
pub fn many_memories(count: usize, pages: u32) -> Vec<u8> {
    let fields: String = (0..count).map(|_| format!("(memory {pages})\n")).collect();
    component(&core_module(&fields, "", ""))
}

/// `count` extra memories of one page each, every one grown by `pages` in `run`.
pub fn memories_grown_in_run(count: usize, pages: u32) -> Vec<u8> {
    let mut fields = String::new();
    let mut grow = String::new();
    for i in 1..=count {
        fields.push_str(&format!("(memory $m{i} 1)\n"));
        grow.push_str(&format!(
            "(if (i32.eq (memory.grow $m{i} (i32.const {pages})) (i32.const -1)) (then unreachable))\n"
        ));
    }
    component(&core_module(&fields, "", &grow))
}

/// `count` tables of `elements` function references each.
pub fn many_tables(count: usize, elements: u32) -> Vec<u8> {
    let fields: String = (0..count)
        .map(|_| format!("(table {elements} funcref)\n"))
        .collect();
    component(&core_module(&fields, "", ""))
}

/// One function of `statements` statements over `locals` locals, each live until the end:
/// Cranelift's time and memory grow with it (its register allocator sees every value
/// interfere with every other).
pub fn compile_bomb(statements: usize, locals: usize) -> Vec<u8> {
    let mut body = String::with_capacity(statements * 48);
    body.push_str("(func $bomb (param i32) (result i32)");
    for i in 0..locals {
        body.push_str(&format!(" (local $l{i} i32)"));
    }
    // Every local starts from the parameter: nothing folds to a constant.
    for i in 0..locals {
        body.push_str(&format!(
            "\n (local.set $l{i} (i32.add (local.get 0) (i32.const {i})))"
        ));
    }
    for s in 0..statements {
        let (a, b, c) = (s % locals, (s * 7 + 3) % locals, (s * 13 + 5) % locals);
        body.push_str(&format!(
            "\n (local.set $l{c} (i32.add (local.get $l{a}) (i32.mul (local.get $l{b}) (local.get 0))))"
        ));
    }
    body.push_str("\n (local.get $l0)");
    for i in 1..locals {
        body.push_str(&format!(" (local.get $l{i}) i32.xor"));
    }
    body.push_str(")\n");
    // Called from `run`, so no tool along the way can drop it as unused.
    component(&core_module(&body, "", "(drop (call $bomb (i32.const 1)))"))
}

/// A `describe` whose config schema is `bytes` bytes of `{`, built at run time.
pub fn schema_bomb(bytes: u32) -> Vec<u8> {
    let pages = bytes / 65536 + 2;
    let describe = format!(
        "(drop (memory.grow (i32.const {pages}))) \
         (memory.fill (i32.const 65536) (i32.const 123) (i32.const {bytes})) \
         (i32.store (i32.const 1048) (i32.const 65536)) \
         (i32.store (i32.const 1052) (i32.const {bytes}))"
    );
    component(&core_module("", &describe, ""))
}

/// Writes `bytes` to `dir/name` and returns its sha256, for a pipeline's pin.
pub fn write_pinned(dir: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::write(dir.join(name), bytes).expect("writing the component");
    flinkwasm::runtime::sha256_hex(bytes)
}
