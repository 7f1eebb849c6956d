//! Non-event siblings of the log files: digest files and an Insight file per account.
//!
//! Real trail buckets hold `CloudTrail-Digest/` and `CloudTrail-Insight/` folders next
//! to `CloudTrail/`; a reader that walks `AWSLogs/` must recognise and skip them, so
//! they are written with realistic names and plausible content.

use rand::Rng;
use serde_json::{json, Value};

use super::account::Account;
use super::rng::{self, tag, SimRng};
use super::setup::Setup;
use super::timefmt::{date_dir, file_minute, file_second, iso, HOUR};
use super::writer::{gzip, suffix, write_file, Totals};
use super::SimError;

const TRAIL: &str = "management-trail";

pub(super) fn write_siblings(
    setup: &Setup,
    accounts: &[Account],
    totals: &Totals,
) -> Result<(), SimError> {
    let mut rng = rng::rng_for(setup.seed, &[tag::EXTRAS]);
    for account in accounts {
        let second_day = if setup.days > 1 {
            setup.day_start(1)
        } else {
            setup.start + HOUR
        };
        let mut previous: Option<String> = None;
        for day_start in [setup.start, second_day] {
            let t = day_start + HOUR + rng.gen_range(0..600);
            let key = digest_key(setup, account, t);
            let doc = digest(
                setup,
                account,
                totals,
                t,
                &key,
                previous.as_deref(),
                &mut rng,
            );
            write_json_gz(setup, &key, &doc)?;
            previous = Some(key);
        }
        let t = setup.start + 12 * HOUR + rng.gen_range(0..3_600);
        let region = setup.regions[0];
        let key = format!(
            "{}/CloudTrail-Insight/{region}/{}/{}_CloudTrail-Insight_{region}_{}_{}.json.gz",
            setup.prefix(account.index),
            date_dir(t),
            account.id,
            file_minute(t),
            suffix(&mut rng)
        );
        write_json_gz(setup, &key, &insight(account, region, t, &mut rng))?;
    }
    Ok(())
}

fn write_json_gz(setup: &Setup, key: &str, doc: &Value) -> Result<(), SimError> {
    let path = setup.out.join(key);
    let text = serde_json::to_vec(doc).map_err(|source| SimError::Json {
        path: path.clone(),
        source,
    })?;
    write_file(&path, &gzip(&text, &path)?)
}

fn bucket(setup: &Setup) -> String {
    format!(
        "acme-org-cloudtrail-{}",
        setup.accounts.first().map_or("", String::as_str)
    )
}

fn digest_key(setup: &Setup, account: &Account, t: i64) -> String {
    let region = setup.regions[0];
    format!(
        "{}/CloudTrail-Digest/{region}/{}/{}_CloudTrail-Digest_{region}_{TRAIL}_us-east-1_{}.json.gz",
        setup.prefix(account.index),
        date_dir(t),
        account.id,
        file_second(t)
    )
}

fn digest(
    setup: &Setup,
    account: &Account,
    totals: &Totals,
    t: i64,
    key: &str,
    previous: Option<&str>,
    rng: &mut SimRng,
) -> Value {
    let bucket = bucket(setup);
    let files: Vec<Value> = totals
        .keys
        .iter()
        .filter(|(a, r, at, _)| *a == account.index && *r == 0 && (t - HOUR..t).contains(at))
        .map(|(_, _, at, k)| {
            json!({"s3Bucket": bucket, "s3Object": k, "hashValue": rng::chars(rng, 64, rng::HEX),
                   "hashAlgorithm": "SHA-256", "newestEventTime": iso(at - 30), "oldestEventTime": iso(at - 600)})
        })
        .collect();
    json!({
        "awsAccountId": account.id,
        "digestStartTime": iso(t - HOUR),
        "digestEndTime": iso(t),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": rng::chars(rng, 32, rng::HEX),
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": iso(t - 60),
        "oldestEventTime": iso(t - HOUR - 300),
        "previousDigestS3Bucket": previous.map(|_| bucket.clone()),
        "previousDigestS3Object": previous,
        "previousDigestHashValue": previous.map(|_| rng::chars(rng, 64, rng::HEX)),
        "previousDigestHashAlgorithm": previous.map(|_| "SHA-256"),
        "previousDigestSignature": previous.map(|_| rng::chars(rng, 512, rng::HEX)),
        "logFiles": files,
    })
}

fn insight(account: &Account, region: &str, t: i64, rng: &mut SimRng) -> Value {
    json!({"Records": [{
        "eventVersion": "1.08",
        "eventTime": iso(t),
        "awsRegion": region,
        "eventID": rng::uuid_string(rng::key_words(rng)),
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": account.id,
        "sharedEventID": rng::uuid_string(rng::key_words(rng)),
        "insightDetails": {
            "state": "Start",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "RunInstances",
            "insightType": "ApiCallRateInsight",
            "insightContext": {
                "statistics": {
                    "baseline": {"average": 0.0213},
                    "insight": {"average": 1.4},
                    "insightDuration": 1,
                    "baselineDuration": 10079
                },
                "attributions": []
            }
        },
        "eventCategory": "Insight"
    }]})
}
