//! The real `confab-server` program, built in this package so tests can spawn it (and SIGKILL it).
fn main() -> std::process::ExitCode {
    confab_server::cli::main_entry()
}
