//! Golden tests of the Insight record format against AWS's own example records
//! (tests/fixtures/aws-insight-examples, from the CloudTrail User Guide).
//!
//! The input is crafted to reproduce the documented Start record: one call in the
//! 11336-minute baseline window, then three calls by three CodeDeploy roles in the first
//! five minutes. Our record must equal AWS's except where SPEC §4 says otherwise
//! (eventVersion 1.09, sourceEventCategory, identifiers, numbers without exponent).

mod common;

use serde_json::{json, Value};
use trailsight::aggregate::Aggregates;
use trailsight::detect::{Detector, Episode};
use trailsight::frame::Frames;
use trailsight::ingest::{read_file, InputFile};
use trailsight::insight::{InsightPair, RenderContext};
use trailsight::time::parse_event_minute;

fn aws_example() -> Value {
    let path = common::fixtures().join("aws-insight-examples/insight-examples.json");
    let all: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    all["Records"][0].clone()
}

fn call(id: &str, time: &str, role: &str) -> Value {
    json!({
        "eventVersion": "1.08", "eventTime": time, "eventSource": "autoscaling.amazonaws.com",
        "eventName": "CompleteLifecycleAction", "awsRegion": "us-east-1", "eventID": id,
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "eventCategory": "Management", "recipientAccountId": "838185438692",
        "userAgent": "codedeploy.amazonaws.com",
        "userIdentity": { "type": "AssumedRole", "arn": format!("arn:aws:sts::012345678901:assumed-role/{role}") }
    })
}

fn render() -> InsightPair {
    let records = json!({ "Records": [
        call("b1", "2020-07-14T09:00:00Z", "CodeDeployRole1"),
        call("i1", "2020-07-21T20:56:10Z", "CodeDeployRole1"),
        call("i2", "2020-07-21T20:57:00Z", "CodeDeployRole2"),
        call("i3", "2020-07-21T20:59:59Z", "CodeDeployRole3"),
    ]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.json");
    std::fs::write(&path, serde_json::to_vec(&records).unwrap()).unwrap();
    let mut agg = Aggregates::new();
    agg.absorb(read_file(&InputFile::Path(path)));
    let frames = Frames::new(agg).unwrap();
    let start = parse_event_minute("2020-07-21T20:56:00Z").unwrap();
    let episode = Episode { series: 0, start, end: start + 5, detector: Detector::Rate, score: 9.0, observed: 3.0, expected: 0.0, window: 5, trigger_end: start + 5, reason: None };
    RenderContext { frames: &frames }.render(&episode)
}

#[test]
fn start_record_matches_the_aws_example() {
    let ours: Value = serde_json::to_value(&render().start).unwrap();
    let mut theirs = aws_example();
    // Where SPEC §4 differs from the 2020 example on purpose:
    theirs["eventVersion"] = json!("1.09");
    theirs["eventID"] = ours["eventID"].clone();
    theirs["sharedEventID"] = ours["sharedEventID"].clone();
    let details = theirs["insightDetails"].as_object_mut().unwrap();
    let context = details.remove("insightContext").unwrap();
    details.insert("sourceEventCategory".into(), json!("Management"));
    details.insert("insightContext".into(), context);
    assert_eq!(ours, theirs);
}

#[test]
fn numbers_are_printed_without_exponent_and_keys_in_aws_order() {
    let text = serde_json::to_string(&render().start).unwrap();
    assert!(text.contains(r#""baseline":{"average":0.0000882145}"#), "{text}");
    assert!(text.contains(r#""insight":{"average":0.6}"#), "{text}");
    for number in text.split("\"average\":").skip(1) {
        let literal: String = number.chars().take_while(|c| !matches!(c, ',' | '}')).collect();
        assert!(literal.chars().all(|c| c.is_ascii_digit() || c == '.'), "{literal}");
    }
    common::assert_aws_shape(&serde_json::from_str(&text).unwrap());
    common::assert_aws_key_order(&text);
}

#[test]
fn the_end_record_covers_the_whole_episode() {
    let pair = render();
    let end: Value = serde_json::to_value(&pair.end).unwrap();
    assert_eq!(end["eventTime"], "2020-07-21T21:01:00Z");
    assert_eq!(end["sharedEventID"], serde_json::to_value(&pair.start).unwrap()["sharedEventID"]);
    assert_eq!(end["insightDetails"]["state"], "End");
    assert_eq!(end["insightDetails"]["insightContext"]["statistics"]["insightDuration"], 5);
    assert_eq!(end["insightDetails"]["insightContext"]["statistics"]["baselineDuration"], 11336);
}

#[test]
fn golden_pair() {
    let pair = render();
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&pair.start).unwrap(),
        serde_json::to_string_pretty(&pair.end).unwrap()
    );
    insta::assert_snapshot!(text);
}
