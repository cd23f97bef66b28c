//! The flinkwasm command line, built inside the tests package so its integration tests can run
//! the real binary (`CARGO_BIN_EXE_flinkwasm-cli`). Same code as `host/src/main.rs`.

fn main() -> std::process::ExitCode {
    flinkwasm::cli::main()
}
