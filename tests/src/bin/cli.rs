//! The real `confab-cli` program, built in this package so tests can spawn it.
fn main() -> std::process::ExitCode {
    confab_cli::main_entry()
}
