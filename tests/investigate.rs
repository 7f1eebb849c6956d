//! End to end: the investigation commands (`timeline`, `top`, `explain`, `report`) on the
//! bundled sample and on real CloudTrail files, with their charts checked as images and
//! the report page loaded in headless Chromium.

mod common;

use common::{fixtures, trailsight};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

fn real(dir: &str) -> PathBuf {
    fixtures().join("real-cloudtrail").join(dir)
}

/// The CreateTags insight of the sample: 50 calls on 2026-01-13 from 08:24.
const ACCOUNT: &str = "772045118750";

fn stdout_of(args: &[&str]) -> String {
    let out = trailsight().args(args).output().expect("trailsight runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout_of(args)).expect("one JSON document")
}

/// The Insight records `detect` writes for `path` (with extra flags).
fn detect(path: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["detect", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::records(stdout_of(&args).as_bytes())
}

/// The calls of the counts table `detect --write-counts` writes, read back with the
/// library's own reader: what the detector counted.
/// What one series counted in one minute for one principal (a table row feeds one or two).
struct Call {
    /// "call" (a call-rate series) or "error" (an error-rate series).
    kind: &'static str,
    scope: String,
    api: String,
    error: Option<String>,
    principal: String,
    minute: i64,
    calls: u64,
}

impl Call {
    /// A call `top` counts by default: successful writes and every failed call.
    fn is_judged(&self) -> bool {
        self.kind == "error" || self.error.is_none()
    }
}

fn counted_calls(path: &Path, extra: &[&str]) -> Vec<Call> {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("counts.parquet");
    let mut args = vec!["detect", path.to_str().unwrap(), "--quiet", "--write-counts", table.to_str().unwrap()];
    args.extend_from_slice(extra);
    stdout_of(&args);
    let batch = trailsight::ingest::read_file(&trailsight::ingest::InputFile::Path(table));
    assert!(!batch.report.has_issues(), "{:?}", batch.report.describe());
    let s = |sym| batch.strings.resolve(sym).to_string();
    // A row of the table (version 2) stands for records: it feeds the call-rate series
    // when it is a write (or any data event) and the error series when it failed.
    batch
        .events
        .iter()
        .flat_map(|e| {
            assert!(e.feeds.is_none(), "--write-counts writes version 2 rows");
            let data = e.category == trailsight::ingest::Category::Data;
            let kinds = [("call", data || !e.read_only), ("error", e.error.is_some())];
            kinds.into_iter().filter(|(_, feeds)| *feeds).map(|(kind, _)| Call {
                kind,
                scope: format!("{} {}", s(e.account), s(e.region)),
                api: format!("{}:{}", s(e.source), s(e.name)),
                error: e.error.map(s),
                principal: s(e.principal),
                minute: e.minute,
                calls: u64::from(e.calls),
            })
            .collect::<Vec<_>>()
        })
        .collect()
}

fn minute(t: &str) -> i64 {
    trailsight::time::parse_cli_time(t).unwrap()
}

#[test]
fn timeline_table_counts_what_the_detector_counted() {
    let path = sample();
    let out = stdout_of(&["timeline", path.to_str().unwrap(), "--api", "ec2:CreateTags", "--account", ACCOUNT, "--region", "us-east-1", "--from", "2026-01-13", "--to", "2026-01-14"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "772045118750 us-east-1 ec2.amazonaws.com:CreateTags ApiCallRateInsight");
    assert!(lines[1].starts_with("2026-01-13T00:00:00Z .. 2026-01-14T00:00:00Z (UTC), calls per 30 minutes;"), "{}", lines[1]);
    let counted: u64 = counted_calls(&path, &[])
        .iter()
        .filter(|c| c.kind == "call" && c.api == "ec2.amazonaws.com:CreateTags" && c.scope == "772045118750 us-east-1")
        .filter(|c| (minute("2026-01-13")..minute("2026-01-14")).contains(&c.minute))
        .map(|c| c.calls)
        .sum();
    let rows: u64 = lines[3..].iter().filter(|l| l.starts_with("2026-01-13T")).map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(rows, counted);
    assert!(lines[1].contains(&format!("; {counted} calls;")));
    // The insight's buckets are marked, and the insight is listed with its sharedEventID.
    assert!(lines.iter().any(|l| l.starts_with("2026-01-13T08:00:00Z") && l.ends_with("insight")), "{out}");
    let shared = detect(&path, &["--quiet"]).into_iter().find(|r| r["insightDetails"]["eventName"] == "CreateTags").unwrap()["sharedEventID"].clone();
    assert!(out.contains(&format!("sharedEventID {}", shared.as_str().unwrap())), "{out}");
}

/// Decodes an 8-bit RGB or RGBA PNG: (width, height, pixels), checking the signature,
/// every chunk's CRC-32 and undoing all five row filters, as any viewer would.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let (mut at, mut header, mut data) = (8, None, Vec::new());
    loop {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = &bytes[at + 8..at + 8 + len];
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[at + 4..at + 8 + len]);
        assert_eq!(crc.sum().to_be_bytes(), bytes[at + 8 + len..at + 12 + len], "CRC of {:?}", String::from_utf8_lossy(kind));
        match kind {
            b"IHDR" => header = Some((u32::from_be_bytes(body[..4].try_into().unwrap()), u32::from_be_bytes(body[4..8].try_into().unwrap()), body[8], body[9])),
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let (w, h, depth, colour) = header.expect("an IHDR chunk");
    assert_eq!(depth, 8);
    let bpp = match colour { 2 => 3, 6 => 4, other => panic!("colour type {other}") };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..]).read_to_end(&mut raw).expect("a zlib stream");
    let stride = w as usize * bpp;
    assert_eq!(raw.len(), (stride + 1) * h as usize, "one filter byte and one row per line");
    let mut out = vec![0u8; stride * h as usize];
    for y in 0..h as usize {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= bpp { out[y * stride + x - bpp] } else { 0 };
            let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 };
            let c = if x >= bpp && y > 0 { out[(y - 1) * stride + x - bpp] } else { 0 };
            let predicted = match line[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                    if pa <= pb && pa <= pc { a } else if pb <= pc { b } else { c }
                }
                f => panic!("filter {f}"),
            };
            out[y * stride + x] = line[1 + x].wrapping_add(predicted);
        }
    }
    (w, h, out)
}

#[test]
fn timeline_charts_are_real_images_and_the_same_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample();
    let chart = |name: &str, size: &str| {
        let file = dir.path().join(name);
        stdout_of(&["timeline", path.to_str().unwrap(), "--quiet", "--api", "ec2:CreateTags", "--account", ACCOUNT, "--region", "us-east-1", "--from", "2026-01-12", "--to", "2026-01-14", "--size", size, "--plot", file.to_str().unwrap()]);
        std::fs::read(&file).unwrap()
    };
    let png = chart("a.png", "900x400");
    let (w, h, pixels) = decode_png(&png);
    assert_eq!((w, h), (900, 400));
    let channels = pixels.len() / (w * h) as usize;
    let px: Vec<&[u8]> = pixels.chunks(channels).collect();
    let dark = px.iter().filter(|p| p[..3].iter().all(|&c| c < 80)).count();
    let red = px.iter().filter(|p| p[0] > 230 && u16::from(p[0]) > u16::from(p[1]) + 20 && p[1] == p[2]).count();
    let blue = px.iter().filter(|p| p[2] > 150 && p[0] < 120).count();
    // Text, axes and the observed line are dark; the insight is shaded red; the expected
    // line is blue. A blank or text-less image has none of them.
    assert!(dark > 2000, "dark pixels {dark}");
    assert!(red > 2000, "insight shading {red}");
    assert!(blue > 200, "expected line {blue}");
    assert_eq!(chart("b.png", "900x400"), png, "the same PNG bytes every run");

    let svg = String::from_utf8(chart("a.svg", "1000x420")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!((root.attribute("width"), root.attribute("height")), (Some("1000"), Some("420")));
    let texts: Vec<String> = doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_string()).collect();
    assert!(texts.iter().any(|t| t.contains("ec2.amazonaws.com:CreateTags")), "title: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("time (UTC")), "x axis: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("calls per")), "y axis: {texts:?}");
    assert!(texts.iter().any(|t| t == "01-13 06:00"), "UTC tick labels on round hours: {texts:?}");
    assert!(doc.descendants().filter(|n| n.has_tag_name("polyline") || n.has_tag_name("path") || n.has_tag_name("polygon")).count() >= 3);
    assert_eq!(String::from_utf8(chart("b.svg", "1000x420")).unwrap(), svg, "the same SVG bytes every run");
}

/// Window calls per value of a `top --format json` answer.
fn top_counts(args: &[&str]) -> (BTreeMap<String, u64>, serde_json::Value) {
    let top = json_of(args);
    let counts = top["values"].as_array().unwrap().iter().map(|v| (v["value"].as_str().unwrap().to_string(), v["count"].as_u64().unwrap())).collect();
    (counts, top)
}

#[test]
fn top_counts_equal_the_counts_the_detector_used() {
    let path = sample();
    let p = path.to_str().unwrap();
    let calls = counted_calls(&path, &[]);
    let (from, to) = (minute("2026-01-13"), minute("2026-01-14"));
    let mut writes: BTreeMap<String, u64> = BTreeMap::new();
    let mut principals: BTreeMap<String, u64> = BTreeMap::new();
    let mut baseline_principals: BTreeMap<String, u64> = BTreeMap::new();
    for c in &calls {
        if (from..to).contains(&c.minute) {
            if c.kind == "call" {
                *writes.entry(c.api.clone()).or_default() += c.calls;
            }
            if c.is_judged() {
                *principals.entry(c.principal.clone()).or_default() += c.calls;
            }
        } else if (from - 7 * 1440..from).contains(&c.minute) && c.is_judged() {
            *baseline_principals.entry(c.principal.clone()).or_default() += c.calls;
        }
    }
    let (by_api, _) = top_counts(&["top", p, "--quiet", "--by", "api", "--writes", "--from", "2026-01-13", "--to", "2026-01-14", "--format", "json"]);
    assert_eq!(by_api, writes);
    // The default window is the last day of the data: the same day here.
    let (by_principal, top) = top_counts(&["top", p, "--quiet", "--by", "principal", "--format", "json"]);
    assert_eq!(by_principal, principals);
    assert_eq!((top["from"].as_str(), top["to"].as_str()), (Some("2026-01-13T00:00:00Z"), Some("2026-01-14T00:00:00Z")));
    for v in top["values"].as_array().unwrap() {
        let name = v["value"].as_str().unwrap();
        assert_eq!(v["baselineCount"].as_u64(), Some(baseline_principals.get(name).copied().unwrap_or(0)), "{name}");
        assert_eq!(v["isNew"].as_bool(), Some(!calls.iter().any(|c| c.principal == name && c.minute < from && c.is_judged())), "{name}");
    }
    // Source IPs come from the logs, under the same rules: the same calls in total.
    let (by_ip, _) = top_counts(&["top", p, "--quiet", "--by", "ip", "--format", "json"]);
    assert_eq!(by_ip.values().sum::<u64>(), principals.values().sum::<u64>());
    assert!(by_ip.len() > 1);
}

#[test]
fn top_writes_tables_and_csv() {
    let path = sample();
    let p = path.to_str().unwrap();
    let table = stdout_of(&["top", p, "--quiet", "--by", "agent", "--limit", "3"]);
    assert!(table.starts_with("agent in 2026-01-13T00:00:00Z .. 2026-01-14T00:00:00Z"), "{table}");
    assert!(table.contains("\nbusiest\nvalue") && table.contains("\nmost unusual"), "{table}");
    let csv = stdout_of(&["top", p, "--quiet", "--by", "error", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("value,count,share,baseline_count,baseline_share,ratio,first_seen,is_new"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().any(|r| r.starts_with("AccessDenied,")), "{csv}");
    assert!(rows.iter().any(|r| r.starts_with("null,")), "successful writes are \"null\": {csv}");
}

#[test]
fn explain_takes_apart_an_insight_of_a_detect_run() {
    let path = sample();
    let p = path.to_str().unwrap();
    let records = detect(&path, &["--quiet"]);
    let start = records.iter().find(|r| r["insightDetails"]["eventName"] == "CreateTags" && r["insightDetails"]["state"] == "Start").unwrap();
    let end = records.iter().find(|r| r["sharedEventID"] == start["sharedEventID"] && r["insightDetails"]["state"] == "End").unwrap();
    let by_shared = json_of(&["explain", p, "--quiet", "--insight", start["sharedEventID"].as_str().unwrap(), "--records", "3", "--format", "json"]);
    let by_end = json_of(&["explain", p, "--quiet", "--insight", end["eventID"].as_str().unwrap(), "--records", "3", "--format", "json"]);
    assert_eq!(by_shared, by_end, "the End record's eventID names the same insight");
    assert_eq!(by_shared["sharedEventID"], start["sharedEventID"]);
    assert_eq!(by_shared["startEventID"], start["eventID"]);
    assert_eq!(by_shared["model"], "seasonal-negative-binomial");
    assert_eq!(by_shared["observedCalls"].as_f64(), Some(50.0));
    assert!(by_shared["tailProbability"].as_f64().unwrap() < 1e-7);
    let attributes: Vec<&str> = by_shared["attributions"].as_array().unwrap().iter().map(|a| a["attribute"].as_str().unwrap()).collect();
    assert_eq!(attributes, ["userIdentityArn", "userAgent", "sourceIPAddress", "errorCode"]);
    for a in by_shared["attributions"].as_array().unwrap() {
        let sum: u64 = a["values"].as_array().unwrap().iter().map(|v| v["count"].as_u64().unwrap()).sum();
        assert!(sum <= 50 && sum > 0, "{a}");
    }
    assert_eq!(by_shared["recordsInWindow"].as_u64(), Some(50));
    let raw = by_shared["records"].as_array().unwrap();
    assert_eq!(raw.len(), 3);
    let (from, to) = (start["eventTime"].as_str().unwrap(), end["eventTime"].as_str().unwrap());
    let mut last = String::new();
    for r in raw {
        assert_eq!(r["eventName"], "CreateTags");
        let t = r["eventTime"].as_str().unwrap().to_string();
        assert!(t[..16] >= from[..16] && t[..16] < to[..16], "{t} in {from}..{to}");
        assert!(t >= last, "records in time order");
        last = t;
    }
    let text = stdout_of(&["explain", p, "--quiet", "--insight", start["sharedEventID"].as_str().unwrap(), "--records", "2"]);
    assert!(text.contains("model     seasonal-negative-binomial"), "{text}");
    assert!(text.contains("records: the first 2 of 50 in the window"), "{text}");
}

#[test]
fn investigations_refuse_what_they_cannot_answer() {
    let path = sample();
    let p = path.to_str().unwrap();
    let fails = |args: &[&str], code: i32, says: &str| {
        let out = trailsight().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    fails(&["explain", p, "--quiet", "--insight", "00000000-0000-0000-0000-000000000000"], 2, "no insight with id 00000000-0000-0000-0000-000000000000");
    fails(&["timeline", p, "--quiet", "--api", "ec2:NoSuchCall"], 2, "no series ec2.amazonaws.com:NoSuchCall");
    fails(&["timeline", p, "--quiet", "--api", "ec2:CreateTags"], 2, "choose one with --account (690743889427, 772045118750)");
    fails(&["timeline", p, "--quiet", "--api", "CreateTags"], 2, "not SOURCE:NAME");
    fails(&["timeline", p, "--quiet", "--api", "ec2:CreateTags", "--account", ACCOUNT, "--region", "us-east-1", "--plot", "chart.gif"], 2, "FILE.svg or FILE.png");
    fails(&["top", p, "--quiet", "--by", "api", "--from", "2026-01-13", "--to", "2026-01-12"], 2, "--from (2026-01-13T00:00:00Z) must be before --to");
    fails(&["top", "-", "--by", "ip"], 2, "not -");
    fails(&["top", p, "--quiet", "--by", "api", "--account", "123456789012"], 2, "no series of account 123456789012 in the input");
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.json"), "not json").unwrap();
    fails(&["report", empty.path().to_str().unwrap(), "--html", "x.html"], 1, "no readable CloudTrail records in 1 file");
    assert!(!Path::new("x.html").exists());
}

#[test]
fn investigations_work_on_real_cloudtrail_files() {
    for name in ["invictus-stratus-run", "stratus-detonations"] {
        investigate_real(&real(name));
    }
}

/// Every investigation on one folder of real delivery files, judged from the first day.
fn investigate_real(dir: &Path) {
    let p = dir.to_str().unwrap();
    let records = detect(dir, &["--quiet", "--warmup-days", "0"]);
    let (by_api, top) = top_counts(&["top", p, "--quiet", "--warmup-days", "0", "--by", "api", "--format", "json"]);
    assert!(!by_api.is_empty(), "{p}: {top}");
    let calls = counted_calls(dir, &["--warmup-days", "0"]);
    let window = minute(top["from"].as_str().unwrap())..minute(top["to"].as_str().unwrap());
    let total: u64 = calls.iter().filter(|c| c.is_judged() && window.contains(&c.minute)).map(|c| c.calls).sum();
    assert_eq!(top["windowCalls"].as_u64(), Some(total));
    let first = records.first().unwrap_or_else(|| panic!("{p}: detect finds an insight from the first day"));
    let details = &first["insightDetails"];
    let api = format!("{}:{}", details["eventSource"].as_str().unwrap(), details["eventName"].as_str().unwrap());
    let mut args = vec!["timeline", p, "--quiet", "--warmup-days", "0", "--api", &api];
    args.extend(["--account", first["recipientAccountId"].as_str().unwrap(), "--region", first["awsRegion"].as_str().unwrap()]);
    if let Some(code) = details["errorCode"].as_str() {
        args.extend(["--errors", code]);
    }
    let out = stdout_of(&args);
    assert!(out.lines().next().unwrap().contains(&api), "{out}");
    assert!(out.contains(first["sharedEventID"].as_str().unwrap()), "{p}: the timeline lists the insight: {out}");
    let story = json_of(&["explain", p, "--quiet", "--warmup-days", "0", "--insight", first["eventID"].as_str().unwrap(), "--format", "json"]);
    assert_eq!(story["sharedEventID"], first["sharedEventID"]);
    assert!(story["recordsInWindow"].as_u64().unwrap() > 0);
    let out = tempfile::tempdir().unwrap();
    let html = out.path().join("real.html");
    stdout_of(&["report", p, "--quiet", "--warmup-days", "0", "--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<section class=\"chart\"").count(), records.len() / 2, "{p}");
}

#[test]
fn report_page_loads_in_a_browser_with_a_chart_per_insight() {
    let path = sample();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    stdout_of(&["report", path.to_str().unwrap(), "--quiet", "--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    let insights = detect(&path, &["--quiet"]).len() / 2;
    assert_eq!(html.matches("<section class=\"chart\"").count(), insights);
    let without_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_svg_namespace.contains("http") && !html.contains(" src=") && !html.contains("url("), "no network: nothing is fetched");
    let again = dir.path().join("again.html");
    stdout_of(&["report", path.to_str().unwrap(), "--quiet", "--html", again.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), html, "the same page every run");
    let Some(browser) = common::setup::chromium() else { return };
    let dom = load(&browser, &page, dir.path().join("profile"));
    assert_eq!(dom.matches("<section class=\"chart\"").count(), insights, "every chart is in the loaded page");
    assert_eq!(dom.matches("<svg").count(), insights, "one SVG per insight");
    assert_eq!(scores(&dom).len(), insights, "one table row per insight");
    // A click on the score header sorts the table by score, lowest first.
    let clicked = dir.path().join("clicked.html");
    std::fs::write(&clicked, html.replace("</body>", "<script>document.querySelectorAll('#insights th')[8].click();</script></body>")).unwrap();
    let sorted = scores(&load(&browser, &clicked, dir.path().join("profile2")));
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "sorted by score: {sorted:?}");
    assert!(sorted.first() < sorted.last(), "the scores differ: {sorted:?}");
}

/// The page's DOM after its scripts ran, failing on any console message.
fn load(browser: &Path, page: &Path, profile: PathBuf) -> String {
    std::fs::create_dir(&profile).unwrap();
    let out = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The score column of the insights table, in row order.
fn scores(dom: &str) -> Vec<f64> {
    dom.split("<tr><td data-v=")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(8).expect("a score cell");
            let text = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
            text.parse().expect("a number")
        })
        .collect()
}

#[test]
fn the_readme_chart_is_what_its_documented_command_draws() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("timeline-createtags.png");
    let path = sample();
    stdout_of(&["timeline", path.to_str().unwrap(), "--quiet", "--api", "ec2:CreateTags", "--account", ACCOUNT, "--region", "us-east-1", "--from", "2026-01-13", "--to", "2026-01-14", "--plot", chart.to_str().unwrap()]);
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/timeline-createtags.png");
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("--region us-east-1 --from 2026-01-13 --to 2026-01-14 --plot docs/timeline-createtags.png"), "the README documents the command");
    assert!(std::fs::read(&chart).unwrap() == std::fs::read(&committed).unwrap(), "docs/timeline-createtags.png is stale: regenerate it with the command in the README");
}
