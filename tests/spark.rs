//! The Spark job (`jobs/spark/counts.py`) in local mode writes, row for row and in the
//! same order, the counts table `detect --write-counts` writes, with the same footer
//! (version, records per day, source files), and `detect` on it gives the insights of
//! the logs. pyspark and pyarrow come from jobs/spark/requirements.txt, installed on first
//! use into ~/.cache/trailsight/venv-spark (tests/common/setup.rs; or name a Python that
//! has them in TRAILSIGHT_SPARK_PYTHON); Java 17 from the system.

mod common;

use assert_cmd::Command;
use polars::prelude::*;
use std::path::Path;
use trailsight::simulate::{simulate, AnomalyMix, SimConfig};

fn trailsight(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::cargo_bin("trailsight").unwrap().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The table's rows with the minute as epoch milliseconds (Spark and polars annotate
/// the time zone differently), and its trailsight footer.
fn table(path: &Path) -> (DataFrame, Vec<(String, Option<String>)>) {
    let mut reader = ParquetReader::new(std::fs::File::open(path).unwrap());
    let mut meta: Vec<(String, Option<String>)> = reader
        .get_metadata()
        .unwrap()
        .key_value_metadata()
        .iter()
        .flatten()
        .filter(|kv| kv.key.starts_with("trailsight."))
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect();
    meta.sort();
    let mut frame = reader.finish().unwrap();
    let minute = frame.column("minute").unwrap().cast(&DataType::Int64).unwrap();
    frame.with_column(minute).unwrap();
    (frame, meta)
}

#[test]
fn the_spark_job_writes_the_table_detect_writes() {
    let Some(python) = common::setup::python(&common::setup::SPARK) else { return };
    // pyspark finds Java as Spark does (JAVA_HOME, else PATH): here it is only checked.
    let Some(_java) = common::setup::java() else { return };
    let job = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/spark/counts.py");
    let cases = [(51, AnomalyMix::hard(), false), (52, AnomalyMix::reach(), true)];
    for (seed, anomalies, data) in cases {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        // Spark drops a damaged gzip file whole where trailsight keeps the records before
        // the damage: the malformed files are the reader tests' business.
        let config = SimConfig { out: logs.clone(), days: 9, seed, scale: 0.02, malformed: false, anomalies, ..SimConfig::default() };
        simulate(&config).unwrap();
        let categories: Vec<&std::ffi::OsStr> =
            if data { vec!["--event-categories".as_ref(), "management,data".as_ref()] } else { vec![] };

        let ours = dir.path().join("detect.parquet");
        let mut args = vec!["detect".as_ref(), logs.as_os_str(), "--quiet".as_ref(), "--write-counts".as_ref(), ours.as_os_str()];
        args.extend(&categories);
        let from_logs = trailsight(&args);

        let out_dir = dir.path().join("spark");
        let run = std::process::Command::new(&python).arg(&job).arg(&logs).arg(&out_dir).args(&categories).output().unwrap();
        assert!(run.status.success(), "seed {seed}: the Spark job failed:\n{}", String::from_utf8_lossy(&run.stderr));
        let theirs = out_dir.join("counts.parquet");

        let ((a, meta_a), (b, meta_b)) = (table(&ours), table(&theirs));
        assert!(a.height() > 1000, "seed {seed}: {} rows", a.height());
        assert_eq!(a.get_column_names(), b.get_column_names(), "seed {seed}");
        assert_eq!(meta_a, meta_b, "seed {seed}: footer");
        if data {
            let category = a.column("event_category").unwrap().str().unwrap().clone();
            assert!((0..category.len()).any(|i| category.get(i) == Some("Data")), "seed {seed}: no data rows");
        }
        for name in a.get_column_names() {
            let (x, y) = (a.column(name).unwrap().as_materialized_series(), b.column(name).unwrap().as_materialized_series());
            let y = y.cast(x.dtype()).unwrap();
            assert!(x.equals_missing(&y), "seed {seed}: column {name} differs");
        }

        let mut args = vec!["detect".as_ref(), theirs.as_os_str(), "--quiet".as_ref()];
        args.extend(&categories);
        assert_eq!(trailsight(&args), from_logs, "seed {seed}: insights from the Spark table");
        assert!(!from_logs.is_empty());
    }
}
