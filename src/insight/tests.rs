use super::*;
use crate::detect::Detector;
use crate::testutil::{batch, rec, Rec};
use crate::time::parse_event_minute;

fn at(s: &str) -> Minute {
    parse_event_minute(s).unwrap()
}

/// Seven quiet days with one call a day, then a burst of 12 calls by mallory.
fn fixture() -> (Frames, Episode) {
    let start = at("2026-01-12T20:56:00Z");
    let mut recs: Vec<Rec> = (0..8).map(|d| rec(start - 1440 * (d + 1) + 30, d as u64, "RunInstances")).collect();
    for i in 0..12u64 {
        let mut r = rec(start + (i as i64) / 3, 100 + i, "RunInstances");
        r.principal = "arn:aws:iam::111122223333:user/mallory";
        r.agent = if i % 2 == 0 { "boto3" } else { "curl" };
        if i == 0 {
            r.error = Some("AccessDenied");
        }
        recs.push(r);
    }
    let mut agg = crate::aggregate::Aggregates::new();
    agg.absorb(batch(&recs));
    agg.settle();
    let frames = Frames::new(agg).unwrap();
    let episode = Episode { series: 0, start, end: start + 4, detector: Detector::Rate, score: 9.0, observed: 12.0, expected: 0.0, window: 5, trigger_end: start + 4, reason: None };
    (frames, episode)
}

#[test]
fn start_and_end_follow_the_aws_rules() {
    let (frames, e) = fixture();
    let pair = RenderContext { frames: &frames }.render(&e);
    let (s, end) = (&pair.start, &pair.end);
    assert_eq!(s.event_time, "2026-01-12T20:56:00Z");
    assert_eq!(end.event_time, "2026-01-12T21:00:00Z");
    assert_eq!(s.shared_event_id, end.shared_event_id);
    assert_ne!(s.event_id, end.event_id);
    let (ss, es) = (&s.insight_details.insight_context.statistics, &end.insight_details.insight_context.statistics);
    // 10080 + 20:56 after midnight, as in AWS's own example.
    assert_eq!(ss.baseline_duration, 11336);
    assert_eq!(ss.insight_duration, 5);
    assert_eq!(es.insight_duration, 4);
    // 7 quiet calls in the baseline window (days 1..7 before, plus none today).
    assert_eq!(format_average(ss.baseline.0), format_average(7.0 / 11336.0));
    assert_eq!(format_average(ss.insight.0), "2.4");
    assert_eq!(format_average(es.insight.0), "3");
}

#[test]
fn attributions_rank_the_top_values() {
    let (frames, e) = fixture();
    let pair = RenderContext { frames: &frames }.render(&e);
    let attrs = &pair.start.insight_details.insight_context.attributions;
    let names: Vec<&str> = attrs.iter().map(|a| a.attribute).collect();
    assert_eq!(names, ["userIdentityArn", "userAgent", "errorCode"]);
    assert_eq!(attrs[0].insight[0].value, "arn:aws:iam::111122223333:user/mallory");
    assert_eq!(format_average(attrs[0].insight[0].average.0), "2.4");
    assert_eq!(attrs[0].baseline[0].value, "arn:aws:iam::111122223333:user/alice");
    let errors: Vec<(&str, String)> = attrs[2].insight.iter().map(|v| (v.value.as_str(), format_average(v.average.0))).collect();
    assert_eq!(errors, [("null", "2.2".to_string()), ("AccessDenied", "0.2".to_string())]);
}

#[test]
fn rendering_is_deterministic_and_keys_are_in_aws_order() {
    let (frames, e) = fixture();
    let ctx = RenderContext { frames: &frames };
    let a = serde_json::to_string(&ctx.render(&e).start).unwrap();
    let b = serde_json::to_string(&ctx.render(&e).start).unwrap();
    assert_eq!(a, b);
    let order = ["eventVersion", "eventTime", "awsRegion", "eventID", "eventType", "recipientAccountId", "sharedEventID", "insightDetails", "eventCategory"];
    let positions: Vec<usize> = order.iter().map(|k| a.find(&format!("\"{k}\"")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{a}");
    assert!(!a.contains("errorCode\":\"") || a.contains("\"attribute\":\"errorCode\""));
    let averages = numbers_after(&a, "\"average\":");
    assert!(averages.len() >= 4, "{a}");
    for n in &averages {
        assert!(is_aws_number(n), "{n} is not in AWS's number format: {a}");
    }
}

/// AWS's number format: digits, at most 10 decimals, no trailing zero, no exponent.
fn is_aws_number(n: &str) -> bool {
    let (whole, decimals) = n.split_once('.').unwrap_or((n, ""));
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    !whole.is_empty() && digits(whole) && digits(decimals) && decimals.len() <= 10 && !decimals.ends_with('0') && !n.ends_with('.')
}

/// The raw text of every JSON number that follows `key` in `json`.
fn numbers_after<'a>(json: &'a str, key: &str) -> Vec<&'a str> {
    json.match_indices(key)
        .map(|(i, _)| {
            let rest = &json[i + key.len()..];
            &rest[..rest.find([',', '}', ']']).unwrap_or(rest.len())]
        })
        .collect()
}

#[test]
fn the_number_format_check_catches_exponents_and_long_or_padded_decimals() {
    assert_eq!(numbers_after(r#"{"average":0.6},{"average":1e-7}"#, "\"average\":"), ["0.6", "1e-7"]);
    for good in ["0", "664", "0.0000882145", "85.4202380952"] {
        assert!(is_aws_number(good), "{good}");
    }
    for bad in ["8.82145e-5", "1E+3", "0.12345678901", "0.50", "-1", "1.", ".5", ""] {
        assert!(!is_aws_number(bad), "{bad}");
    }
}
