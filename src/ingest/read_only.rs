//! Inferring `readOnly` for the oldest records, which lack the flag (SPEC §2).
//!
//! The verb of an API name is a good first guess (Describe*, Get*, List*... are reads),
//! but measured on real records that carry the flag it is wrong for about one in ten:
//! the busiest APIs of all are exceptions. KMS cryptographic calls (Decrypt, Encrypt,
//! GenerateDataKey) and `sts:AssumeRole*` change nothing and CloudTrail marks them read-only;
//! `sts:GetFederationToken` mints credentials and is marked as a write. So a table of
//! (eventSource, eventName) pairs whose flag is known is consulted first, and the verb
//! only for APIs it does not list.
//!
//! The table holds the exceptions seen in the real delivery files of
//! `tests/fixtures/real-cloudtrail` plus well-known AWS APIs whose flag is certain. It is
//! kept sorted (checked by a test) and searched by bisection.

/// (eventSource, eventName, readOnly), sorted by source then name.
static KNOWN_APIS: [(&str, &str, bool); 21] = [
    ("bedrock.amazonaws.com", "InvokeModel", true), // fixtures
    ("bedrock.amazonaws.com", "InvokeModelWithResponseStream", true),
    ("dynamodb.amazonaws.com", "TransactGetItems", true),
    ("kms.amazonaws.com", "Decrypt", true), // fixtures
    ("kms.amazonaws.com", "Encrypt", true), // fixtures
    ("kms.amazonaws.com", "GenerateDataKey", true), // fixtures
    ("kms.amazonaws.com", "GenerateDataKeyPair", true),
    ("kms.amazonaws.com", "GenerateDataKeyPairWithoutPlaintext", true),
    ("kms.amazonaws.com", "GenerateDataKeyWithoutPlaintext", true),
    ("kms.amazonaws.com", "GenerateMac", true),
    ("kms.amazonaws.com", "GenerateRandom", true),
    ("kms.amazonaws.com", "ReEncrypt", true),
    ("kms.amazonaws.com", "Sign", true),
    ("kms.amazonaws.com", "Verify", true),
    ("kms.amazonaws.com", "VerifyMac", true),
    ("logs.amazonaws.com", "FilterLogEvents", true),
    ("signin.amazonaws.com", "CheckMfa", false), // fixtures
    ("sts.amazonaws.com", "AssumeRole", true), // fixtures
    ("sts.amazonaws.com", "AssumeRoleWithSAML", true),
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity", true),
    ("sts.amazonaws.com", "GetFederationToken", false), // fixtures
];

/// Read-only for a record without the flag: the known table, else the verb.
pub fn infer_read_only_api(event_source: &str, event_name: &str) -> bool {
    KNOWN_APIS
        .binary_search_by(|&(source, name, _)| (source, name).cmp(&(event_source, event_name)))
        .map_or_else(|_| infer_read_only(event_name), |i| KNOWN_APIS[i].2)
}

/// Read-only by the verb of the API name alone (AWS's own rule of thumb: these verbs
/// never change state). Prefer [`infer_read_only_api`], which knows the exceptions.
pub fn infer_read_only(event_name: &str) -> bool {
    const READ_PREFIXES: [&str; 14] = [
        "Describe", "Get", "List", "Head", "Lookup", "Search", "BatchGet", "Query", "Scan",
        "Select", "View", "Check", "Preview", "Estimate",
    ];
    READ_PREFIXES.iter().any(|p| {
        event_name.strip_prefix(p).is_some_and(|rest| {
            rest.chars().next().is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_without_duplicates() {
        assert!(KNOWN_APIS.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
    }

    #[test]
    fn infers_reads_by_verb() {
        for read in ["DescribeInstances", "GetObject", "ListUsers", "HeadBucket", "LookupEvents", "BatchGetItem"] {
            assert!(infer_read_only(read), "{read}");
        }
        for write in ["RunInstances", "CreateUser", "Getaway", "PutObject", "DeleteTrail"] {
            assert!(!infer_read_only(write), "{write}");
        }
    }

    #[test]
    fn known_apis_override_the_verb() {
        assert!(infer_read_only_api("kms.amazonaws.com", "Decrypt"));
        assert!(infer_read_only_api("sts.amazonaws.com", "AssumeRole"));
        assert!(!infer_read_only_api("sts.amazonaws.com", "GetFederationToken"));
        assert!(infer_read_only_api("ec2.amazonaws.com", "DescribeInstances"));
        assert!(!infer_read_only_api("ec2.amazonaws.com", "Decrypt"));
    }

    /// Every real fixture record carries `readOnly`: drop it, infer it, and count the
    /// misses of the verb rule alone (before) and of the table plus verb (after).
    #[test]
    fn error_rate_on_real_records_that_carry_the_flag() {
        let (mut total, mut verb_wrong, mut api_wrong) = (0usize, 0usize, 0usize);
        for (source, name, flag) in real_flags() {
            total += 1;
            verb_wrong += usize::from(infer_read_only(&name) != flag);
            api_wrong += usize::from(infer_read_only_api(&source, &name) != flag);
        }
        let rate = |n: usize| 100.0 * n as f64 / total as f64;
        println!(
            "readOnly inferred for {total} real records: verb rule wrong for {verb_wrong} ({:.2}%), table + verb wrong for {api_wrong} ({:.2}%)",
            rate(verb_wrong),
            rate(api_wrong)
        );
        assert!(total > 3000, "fixtures found: {total}");
        assert!(rate(verb_wrong) > 5.0, "the measurement no longer shows the old defect");
        assert!(rate(api_wrong) < 0.5, "{api_wrong} of {total} wrong");
    }

    /// (eventSource, eventName, readOnly) of every fixture record with the flag.
    fn real_flags() -> Vec<(String, String, bool)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cloudtrail");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(root).unwrap().flatten().filter(|d| d.path().is_dir()) {
            for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
                if file.path().extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let text = std::fs::read(file.path()).unwrap();
                let doc: serde_json::Value = serde_json::from_slice(&text).unwrap();
                let records = doc.get("Records").unwrap_or(&doc).as_array().cloned().unwrap_or_default();
                out.extend(records.iter().filter_map(|r| {
                    let s = |k: &str| r.get(k).and_then(|v| v.as_str()).map(str::to_string);
                    Some((s("eventSource")?, s("eventName")?, r.get("readOnly")?.as_bool()?))
                }));
            }
        }
        out
    }
}
