//! The `confo` command: see `confo --help` and `docs/cli.md`.

fn main() -> std::process::ExitCode {
    confo_cli::main()
}
