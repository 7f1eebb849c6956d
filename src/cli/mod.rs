//! Command-line surface (SPEC §5). Subcommands are verbs; doc comments are the help.

mod config;
mod detect;
mod explain;
mod investigate;
mod report;
mod simulate;
mod summary;
mod timeline;
mod top;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// trailsight: CloudTrail Insights on the logs you already keep.
///
/// Learns each API's normal call and error rate from your CloudTrail history and writes
/// Insight events in the exact AWS CloudTrail Insights record format.
#[derive(Debug, Parser)]
#[command(name = "trailsight", version, propagate_version = true)]
pub struct Cli {
    /// More log output on standard error (-v info, -vv debug). RUST_LOG also works.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Detect(detect::DetectArgs),
    /// Learn from history into a model state (--models DIR) and write no insight: the
    /// first step of a nightly job. Takes detect's options; later `detect --models DIR`
    /// runs go on from the state.
    Train(detect::DetectArgs),
    Simulate(simulate::SimulateArgs),
    ValidateLogs(validate::ValidateArgs),
    Timeline(timeline::TimelineArgs),
    Top(top::TopArgs),
    Explain(explain::ExplainArgs),
    Report(report::ReportArgs),
}

/// Exit code when the run could not read anything or could not write its output.
pub const EXIT_FAILURE: u8 = 1;

pub fn main() -> ExitCode {
    let cli = match with_config(Cli::parse()) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("trailsight: error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Detect(args) => detect::run(args),
        Command::Train(args) => detect::train(args),
        Command::Simulate(args) => simulate::run(args),
        Command::ValidateLogs(args) => validate::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Top(args) => top::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trailsight: error: {}", trailsight::text::printable(&format!("{e:#}")));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// True when an error is a closed pipe on our output (`trailsight detect ... | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<trailsight::engine::EngineError>().is_some_and(|ee| {
                matches!(ee, trailsight::engine::EngineError::Output(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// With `detect --config FILE`, the command line again with the file's flags placed
/// before the typed ones (which override them) and its paths where none were typed.
fn with_config(cli: Cli) -> Result<Cli, config::ConfigError> {
    let (Command::Detect(args) | Command::Train(args)) = &cli.command else {
        return Ok(cli);
    };
    let Some(path) = &args.config else {
        return Ok(cli);
    };
    let file = config::read(path)?;
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let at = argv.iter().position(|a| a == "detect" || a == "train").map_or(argv.len(), |i| i + 1);
    argv.splice(at..at, file.flags);
    if args.paths.is_empty() {
        // After `--`, a path that starts with `--` is a path, not a flag.
        if !argv.iter().any(|a| a == "--") {
            argv.push("--".into());
        }
        argv.extend(file.paths);
    }
    Ok(Cli::parse_from(argv))
}
