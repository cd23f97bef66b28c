//! The `flinkwasm` binary: everything happens in the library's [`flinkwasm::cli::main`].

fn main() -> std::process::ExitCode {
    flinkwasm::cli::main()
}
