//! The scale benchmark (README "Speed and scale"):
//!
//!     cargo bench --bench scale -- --sizes 0.5,2.5,10
//!
//! simulates histories of increasing size and times, side by side as separate
//! processes with the files in the page cache, plain decompression (gzip, trailsight's
//! own decoder, and libdeflate: the floor), DuckDB's aggregation of the same files and
//! the built `trailsight detect`: wall time, records per second, peak memory and the
//! ratios.

#[path = "support/measure.rs"]
mod measure;
#[path = "support/scale.rs"]
mod run;

use clap::Parser;
use run::{find_duckdb_python, gunzip_all, run_scale, ScaleConfig, ScaleRun};
use std::path::PathBuf;
use std::process::ExitCode;

/// Simulate histories of increasing size and time, side by side, plain decompression,
/// DuckDB's aggregation of the same files and `trailsight detect`: wall time, records per
/// second, peak memory and the ratios.
#[derive(Debug, Parser)]
#[command(name = "scale", after_help = "Example:
  cargo bench --bench scale -- --sizes 0.5,2.5,10")]
struct ScaleArgs {
    /// History sizes in millions of records.
    #[arg(long, value_delimiter = ',', default_value = "0.5,2.5,10")]
    sizes: Vec<f64>,
    /// Days per history.
    #[arg(long, default_value_t = 14)]
    days: u32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to simulate (each history is deleted after its run unless --keep).
    #[arg(long, default_value = "bench-out")]
    work_dir: PathBuf,
    /// Do not run DuckDB (it is installed with pip when missing).
    #[arg(long)]
    no_duckdb: bool,
    /// Keep the simulated histories.
    #[arg(long)]
    keep: bool,
    /// Also time `detect --event-categories management,data` (data events are about a
    /// fifth of the simulated records).
    #[arg(long)]
    data_events: bool,
    /// Only decompress every file under this folder, in parallel, and count the bytes:
    /// the child this benchmark measures as "gunzip".
    #[arg(long, hide = true, value_name = "DIR")]
    gunzip: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = ScaleArgs::parse();
    if let Some(dir) = &args.gunzip {
        let (files, bytes) = gunzip_all(std::slice::from_ref(dir));
        println!("{files} files, {bytes} bytes decompressed");
        return ExitCode::SUCCESS;
    }
    match scale(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

const MB: f64 = 1024.0 * 1024.0;

fn scale(a: ScaleArgs) -> anyhow::Result<()> {
    let python = if a.no_duckdb {
        None
    } else {
        match find_duckdb_python() {
            Ok(p) => Some(p),
            Err(why) => {
                eprintln!("scale: DuckDB skipped: {why}");
                None
            }
        }
    };
    std::fs::create_dir_all(&a.work_dir)?;
    let cfg = ScaleConfig {
        sizes: a.sizes.iter().map(|m| (m * 1e6).round() as u64).collect(),
        days: a.days,
        seed: a.seed,
        work_dir: a.work_dir.clone(),
        binary: PathBuf::from(env!("CARGO_BIN_EXE_trailsight")),
        gunzip: std::env::current_exe()?,
        python,
        keep: a.keep,
        data_events: a.data_events,
    };
    println!(
        "{:>9} {:>6} {:>6} | {:>6} {:>8} {:>7} | {:>8} {:>7} | {:>12} {:>7} {:>9} | {:>9} {:>10}{}",
        "records", "files", "gz MB", "zcat s", "gunzip s", "floor s", "duckdb s", "peak MB", "trailsight s", "peak MB", "rec/s", "ts/duckdb", "ts/floor",
        if a.data_events { " | +data s peak MB" } else { "" }
    );
    run_scale(&cfg, |r| println!("{}", row(r)))?;
    Ok(())
}

fn row(r: &ScaleRun) -> String {
    let (duck_s, duck_mb, ratio) = match &r.duckdb {
        Ok(d) => (format!("{:.1}", d.seconds), format!("{:.0}", d.peak_bytes as f64 / MB), format!("{:.3}", r.trailsight.seconds / d.seconds)),
        Err(why) => {
            eprintln!("scale: DuckDB: {why}");
            ("-".into(), "-".into(), "-".into())
        }
    };
    let (floor_s, floor_ratio) = match &r.libdeflate {
        Ok(f) => (format!("{:.2}", f.seconds), format!("{:.2}", r.trailsight.seconds / f.seconds)),
        Err(why) => {
            eprintln!("scale: libdeflate: {why}");
            ("-".into(), "-".into())
        }
    };
    let data = r.with_data.map_or(String::new(), |d| format!(" | {:>6.1} {:>7.0}", d.seconds, d.peak_bytes as f64 / MB));
    format!(
        "{:>9} {:>6} {:>6.0} | {:>6.1} {:>8.2} {:>7} | {:>8} {:>7} | {:>12.2} {:>7.0} {:>9.0} | {:>9} {:>10}{}",
        r.records, r.files, r.compressed_bytes as f64 / MB, r.zcat.seconds, r.gunzip.seconds, floor_s,
        duck_s, duck_mb, r.trailsight.seconds, r.trailsight.peak_bytes as f64 / MB, r.records_per_second(),
        ratio, floor_ratio, data
    )
}
