//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

pub mod chain;
pub mod http;
pub mod score;
pub mod setup;
pub mod splice;

use assert_cmd::Command;
use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn trailsight() -> Command {
    Command::cargo_bin("trailsight").expect("the trailsight binary is built")
}

/// Parses NDJSON output into records, checking each line's key order on the way.
pub fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            assert_aws_key_order(l);
            serde_json::from_str(l).expect("each output line is a JSON record")
        })
        .collect()
}

/// Checks that records come in Start/End pairs sharing a sharedEventID, in AWS format.
pub fn assert_valid_pairs(records: &[serde_json::Value]) {
    use std::collections::HashMap;
    let mut by_shared: HashMap<&str, Vec<&serde_json::Value>> = HashMap::new();
    for r in records {
        assert_aws_shape(r);
        by_shared.entry(r["sharedEventID"].as_str().unwrap()).or_default().push(r);
    }
    for (id, pair) in by_shared {
        let states: Vec<&str> = pair.iter().map(|r| r["insightDetails"]["state"].as_str().unwrap()).collect();
        assert_eq!(states.len(), 2, "{id}: {states:?}");
        assert!(states.contains(&"Start") && states.contains(&"End"), "{id}: {states:?}");
    }
}

pub const TOP_KEYS: [&str; 9] = [
    "eventVersion", "eventTime", "awsRegion", "eventID", "eventType", "recipientAccountId", "sharedEventID",
    "insightDetails", "eventCategory",
];

/// JSON with object keys in document order (serde_json's `Value` sorts them).
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar(serde_json::Value),
}

impl Ordered {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Object(fields) => &fields.iter().find(|(k, _)| k == key).expect(key).1,
            _ => panic!("not an object looking up {key}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Ordered>()? {
                    fields.push((k, v));
                }
                Ok(Ordered::Object(fields))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = s.next_element::<Ordered>()? {
                    items.push(v);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(serde_json::Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks the key order of a record's text against AWS's (SPEC §4).
pub fn assert_aws_key_order(text: &str) {
    let r: Ordered = serde_json::from_str(text).unwrap();
    assert_eq!(r.keys(), TOP_KEYS, "top-level keys");
    let d = r.get("insightDetails");
    let mut expected = vec!["state", "eventSource", "eventName", "insightType"];
    if d.keys().contains(&"errorCode") {
        assert_eq!(d.get("insightType"), &Ordered::Scalar("ApiErrorRateInsight".into()));
        expected.push("errorCode");
    }
    expected.extend(["sourceEventCategory", "insightContext"]);
    assert_eq!(d.keys(), expected, "insightDetails keys");
    let ctx = d.get("insightContext");
    assert_eq!(ctx.keys(), ["statistics", "attributions"]);
    assert_eq!(ctx.get("statistics").keys(), ["baseline", "insight", "insightDuration", "baselineDuration"]);
}

/// The record has exactly the AWS keys with the right types.
pub fn assert_aws_shape(r: &serde_json::Value) {
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    let mut top = TOP_KEYS.to_vec();
    keys.sort_unstable();
    top.sort_unstable();
    assert_eq!(keys, top, "top-level keys");
    assert_eq!(r["eventVersion"], "1.09");
    assert_eq!(r["eventType"], "AwsCloudTrailInsight");
    assert_eq!(r["eventCategory"], "Insight");
    let time = r["eventTime"].as_str().unwrap();
    assert!(time.len() == 20 && time.ends_with(":00Z"), "{time}");
    let d = &r["insightDetails"];
    let mut expected = vec!["state", "eventSource", "eventName", "insightType"];
    if d["insightType"] == "ApiErrorRateInsight" {
        expected.push("errorCode");
    }
    expected.extend(["sourceEventCategory", "insightContext"]);
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let stats = &d["insightContext"]["statistics"];
    assert!(stats["baseline"]["average"].is_number() && stats["insight"]["average"].is_number());
    assert!(stats["insightDuration"].is_u64() && stats["baselineDuration"].is_u64());
    for a in d["insightContext"]["attributions"].as_array().unwrap() {
        for side in ["insight", "baseline"] {
            let list = a[side].as_array().unwrap();
            assert!(list.len() <= 5);
            let avgs: Vec<f64> = list.iter().map(|v| v["average"].as_f64().unwrap()).collect();
            assert!(avgs.windows(2).all(|w| w[0] >= w[1]), "sorted by average: {avgs:?}");
        }
    }
}

/// Retries `attempt`, one request to a server just started, until it is answered: a
/// server may accept connections (or reset them) before it can answer, more so on a
/// loaded machine. Gives up after 30 s, naming `what`.
pub fn until_answered<T>(what: &str, mut attempt: impl FnMut() -> std::io::Result<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match attempt() {
            Ok(answer) => return answer,
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(100)),
            Err(e) => panic!("{what} did not answer within 30 s: {e}"),
        }
    }
}
