//! Fuzzing the record reader (issue 9, item 11): arbitrary bytes, and real delivery files
//! damaged in the ways files are damaged in the field (bit flips, truncation, spliced and
//! duplicated spans, stray brackets, quotes and backslashes, sometimes gzipped and cut),
//! go through `ingest::read_file_with` under a small limit. Whatever the input: no panic,
//! nothing read past the limit, and every event kept names a valid account and region.
//!
//! The default case count keeps `cargo test` fast; `PROPTEST_CASES=N` raises it for a
//! long run, e.g. `PROPTEST_CASES=100000 cargo test --test fuzz_reader`.

use flate2::write::GzEncoder;
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;
use trailsight::ingest::{self, FileBatch, InputFile, ReadLimits};

/// Small enough that duplicated spans often reach it.
const LIMIT: u64 = 192 * 1024;

/// No event is kept from fewer bytes of text than this: eventTime, eventName,
/// eventSource, awsRegion and a 12-digit account need more.
const MIN_RECORD_BYTES: u64 = 80;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64)
}

/// Real files to damage: small delivery documents and bare arrays.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cloudtrail");
        let mut files: Vec<_> = ["invictus-stratus-run", "stratus-detonations"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().flatten().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let texts = files.iter().map(|p| std::fs::read(p).unwrap());
        texts.filter(|t| t.len() < 48 * 1024).collect()
    })
}

#[derive(Debug, Clone)]
enum Damage {
    FlipBit { at: usize, bit: u8 },
    Truncate { at: usize },
    /// Moves a span elsewhere (as a bad concatenation would).
    Splice { from: usize, len: usize, to: usize },
    Duplicate { from: usize, len: usize, to: usize },
    Insert { at: usize, byte: u8 },
}

fn damage() -> impl Strategy<Value = Damage> {
    let pos = any::<usize>();
    prop_oneof![
        (pos.clone(), 0u8..8).prop_map(|(at, bit)| Damage::FlipBit { at, bit }),
        pos.clone().prop_map(|at| Damage::Truncate { at }),
        (pos.clone(), 0usize..4096, pos.clone()).prop_map(|(from, len, to)| Damage::Splice { from, len, to }),
        (pos.clone(), 0usize..65536, pos.clone()).prop_map(|(from, len, to)| Damage::Duplicate { from, len, to }),
        (pos, prop::sample::select(b"{}[]\"\\,: \n0".to_vec())).prop_map(|(at, byte)| Damage::Insert { at, byte }),
    ]
}

fn apply(text: &mut Vec<u8>, d: &Damage) {
    let n = text.len().max(1);
    match *d {
        Damage::FlipBit { at, bit } => {
            if let Some(b) = text.get_mut(at % n) {
                *b ^= 1 << bit;
            }
        }
        Damage::Truncate { at } => text.truncate(at % n),
        Damage::Splice { from, len, to } => {
            let from = from % n;
            let span: Vec<u8> = text.drain(from..(from + len).min(text.len())).collect();
            let to = to % (text.len() + 1);
            text.splice(to..to, span);
        }
        Damage::Duplicate { from, len, to } => {
            let from = from % n;
            let span = text[from.min(text.len())..(from + len).min(text.len())].to_vec();
            let to = to % (text.len() + 1);
            text.splice(to..to, span);
        }
        Damage::Insert { at, byte } => {
            let at = at % (text.len() + 1);
            text.insert(at, byte);
        }
    }
}

/// How the damaged text is stored: plain, gzipped, or gzipped and cut.
#[derive(Debug, Clone)]
enum Storage {
    Plain,
    Gzip,
    GzipCut(usize),
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn store(text: &[u8], how: &Storage) -> Vec<u8> {
    match how {
        Storage::Plain => text.to_vec(),
        Storage::Gzip => gzip(text),
        Storage::GzipCut(at) => {
            let mut gz = gzip(text);
            gz.truncate(at % (gz.len() + 1));
            gz
        }
    }
}

fn read(bytes: &[u8]) -> FileBatch {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.json.gz");
    std::fs::write(&path, bytes).unwrap();
    ingest::read_file_with(&InputFile::Path(path), &ReadLimits { max_file_bytes: LIMIT, ..ReadLimits::default() })
}

/// What must hold for any input.
fn check(batch: &FileBatch) -> Result<(), TestCaseError> {
    let r = &batch.report;
    prop_assert!(r.bytes_read <= LIMIT && r.text_bytes <= LIMIT, "read {} / {} bytes", r.bytes_read, r.text_bytes);
    prop_assert_eq!(r.records, batch.events.len());
    prop_assert!(batch.events.len() as u64 * MIN_RECORD_BYTES <= r.text_bytes.max(1));
    for e in &batch.events {
        let (account, region) = (batch.strings.resolve(e.account), batch.strings.resolve(e.region));
        prop_assert!(ingest::is_account_id(account), "account {:?}", account);
        prop_assert!(ingest::is_region(region), "region {:?}", region);
    }
    // Every line of the report can be printed; none is empty.
    prop_assert!(r.describe().iter().all(|l| !l.is_empty()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_the_reader(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..4096),
            proptest::collection::vec(prop::sample::select(b"{}[]\"\\,: \nRecords0aZ".to_vec()), 0..4096),
        ],
        how in prop_oneof![Just(Storage::Plain), Just(Storage::Gzip), any::<usize>().prop_map(Storage::GzipCut)],
    ) {
        check(&read(&store(&bytes, &how)))?;
    }

    #[test]
    fn damaged_real_files_never_break_the_reader(
        seed in any::<prop::sample::Index>(),
        extra in any::<prop::sample::Index>(),
        damages in proptest::collection::vec(damage(), 0..6),
        concatenate in any::<bool>(),
        how in prop_oneof![
            3 => Just(Storage::Plain),
            1 => Just(Storage::Gzip),
            1 => any::<usize>().prop_map(Storage::GzipCut),
        ],
    ) {
        let seeds = seeds();
        let mut text = seed.get(seeds).clone();
        if concatenate {
            let extra: &Vec<u8> = extra.get(seeds);
            text.extend_from_slice(extra);
        }
        for d in &damages {
            apply(&mut text, d);
        }
        check(&read(&store(&text, &how)))?;
    }
}

#[test]
fn undamaged_seeds_are_read_whole() {
    for seed in seeds() {
        let batch = read(seed);
        assert!(!batch.report.has_issues(), "{:?}", batch.report.describe());
        assert!(batch.report.records > 0);
    }
}
