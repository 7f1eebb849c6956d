//! The `trailsight` binary: parses flags, draws progress, maps errors to exit codes.
//! All the work is in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
