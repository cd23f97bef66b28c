//! The stream reader and the YAML writer: any input either fails with an error (never a
//! panic) or parses to objects that survive a write and a re-read unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(objects) = flinkwasm::stream::parse(text, "fuzz") else {
        return;
    };
    let written = flinkwasm::stream::write(&objects).expect("writing parsed objects");
    let reread = flinkwasm::stream::parse(&written, "rewritten")
        .unwrap_or_else(|e| panic!("our own output does not parse: {e:#}\n{written}"));
    assert_eq!(objects, reread, "write then parse changed the objects:\n{written}");
});
