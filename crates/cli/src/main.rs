fn main() -> std::process::ExitCode {
    confab_cli::main_entry()
}
