//! The two inputs that come from AWS rather than from the bucket copy: CloudTrail's
//! public keys (`aws cloudtrail list-public-keys`) and the digest signatures, which
//! CloudTrail stores as S3 object metadata (`signature`) and so are lost by a plain
//! download.
//!
//! The keys file is the trust anchor of the whole validation: fetch it from AWS when you
//! validate, never from the same place as the logs. Keys are matched by the fingerprint
//! the digest names; the fingerprint is AWS's, taken as given.

use super::error::IntegrityError;
use super::layout::{tail_from_aws_logs, ObjectKey};
use base64::Engine;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// One CloudTrail public key: PKCS#1 DER RSA (AWS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub fingerprint: String,
    der: Vec<u8>,
}

impl PublicKey {
    /// True when `signature` is this key's SHA256withRSA (PKCS#1 v1.5) signature of
    /// `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.der).verify(message, signature).is_ok()
    }
}

/// The public keys a validation may use, by fingerprint.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    by_fingerprint: HashMap<String, PublicKey>,
}

impl PublicKeys {
    /// Reads the output of `aws cloudtrail list-public-keys` (`{"PublicKeyList": [...]}`),
    /// or a JSON list of such outputs (one per region, e.g. `jq -s .`).
    pub fn load(path: &Path) -> Result<Self, IntegrityError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| IntegrityError::KeysUnreadable { path: path.to_path_buf(), source })?;
        let keys =
            Self::from_json(&text).map_err(|reason| IntegrityError::KeysFormat { path: path.to_path_buf(), reason })?;
        if keys.by_fingerprint.is_empty() {
            return Err(IntegrityError::NoKeys { path: path.to_path_buf() });
        }
        Ok(keys)
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let outputs = match value {
            Value::Array(list) => list,
            other => vec![other],
        };
        let mut keys = Self::default();
        for output in &outputs {
            let list = output.get("PublicKeyList").and_then(Value::as_array).ok_or("no PublicKeyList list")?;
            for (i, entry) in list.iter().enumerate() {
                let key = key_of(entry).map_err(|e| format!("PublicKeyList[{i}]: {e}"))?;
                keys.by_fingerprint.insert(key.fingerprint.to_ascii_lowercase(), key);
            }
        }
        Ok(keys)
    }

    pub fn get(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.by_fingerprint.get(&fingerprint.to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }
}

fn key_of(entry: &Value) -> Result<PublicKey, String> {
    let fingerprint = entry.get("Fingerprint").and_then(Value::as_str).ok_or("no Fingerprint")?;
    let value = entry.get("Value").and_then(Value::as_str).ok_or("no Value")?;
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("Value of key {fingerprint} is not base64: {e}"))?;
    if !is_pkcs1_rsa_public_key(&der) {
        return Err(format!("Value of key {fingerprint} is not a PKCS#1 RSAPublicKey (DER)"));
    }
    Ok(PublicKey { fingerprint: fingerprint.to_string(), der })
}

/// A cheap shape check, so a SubjectPublicKeyInfo (what `openssl -pubout` writes) is
/// refused with a clear message instead of failing every signature: PKCS#1 is
/// `SEQUENCE { INTEGER n, INTEGER e }`, SPKI starts `SEQUENCE { SEQUENCE { OID ...`.
fn is_pkcs1_rsa_public_key(der: &[u8]) -> bool {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    if der.first() != Some(&SEQUENCE) {
        return false;
    }
    let header = match der.get(1) {
        Some(len) if len & 0x80 == 0 => 2,
        Some(len) => 2 + usize::from(len & 0x7f),
        None => return false,
    };
    der.get(header) == Some(&INTEGER)
}

/// Digest signatures by S3 key, from a JSON object `{"<digest key>": "<hex>"}` (values
/// may also be `{"signature": "<hex>", ...}`, the shape of `head-object`'s Metadata).
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    by_key: HashMap<String, String>,
    /// By the key's tail from `AWSLogs/`, for copies whose prefix is unknown; `None`
    /// when two keys share a tail, so an ambiguous match is never used.
    by_tail: HashMap<String, Option<String>>,
}

impl Signatures {
    pub fn load(path: &Path) -> Result<Self, IntegrityError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| IntegrityError::SignaturesUnreadable { path: path.to_path_buf(), source })?;
        Self::from_json(&text).map_err(|reason| IntegrityError::SignaturesFormat { path: path.to_path_buf(), reason })
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let map = value.as_object().ok_or("not a JSON object")?;
        let mut sigs = Self::default();
        for (key, value) in map {
            let signature = match value {
                Value::String(s) => s.as_str(),
                Value::Object(o) => {
                    o.get("signature").and_then(Value::as_str).ok_or_else(|| format!("{key}: no signature"))?
                }
                _ => return Err(format!("{key}: the signature is not a string")),
            };
            sigs.insert(normalise_key(key), signature.trim().to_string());
        }
        Ok(sigs)
    }

    fn insert(&mut self, key: String, signature: String) {
        let tail = tail_from_aws_logs(&key).to_string();
        self.by_tail.entry(tail).and_modify(|existing| *existing = None).or_insert_with(|| Some(signature.clone()));
        self.by_key.insert(key, signature);
    }

    /// The signature of the digest at `key`, if the file gives one.
    pub fn get(&self, key: &ObjectKey) -> Option<&str> {
        if let Some(sig) = self.by_key.get(&key.key) {
            return Some(sig);
        }
        self.by_tail.get(key.tail()).and_then(Option::as_deref)
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Accepts `s3://bucket/key`, `/key` and `key`.
fn normalise_key(key: &str) -> String {
    let key = match key.strip_prefix("s3://") {
        Some(rest) => rest.split_once('/').map_or("", |(_, k)| k),
        None => key,
    };
    key.trim_start_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/integrity").join(name)).unwrap()
    }

    fn keys_json(der: &[u8], fingerprint: &str) -> String {
        let value = base64::engine::general_purpose::STANDARD.encode(der);
        format!(
            r#"{{"PublicKeyList":[{{"Value":"{value}","ValidityStartTime":"2026-01-01T00:00:00+00:00","ValidityEndTime":"2027-01-01T00:00:00+00:00","Fingerprint":"{fingerprint}"}}]}}"#
        )
    }

    #[test]
    fn reads_list_public_keys_output_and_matches_fingerprints_in_any_case() {
        let keys = PublicKeys::from_json(&keys_json(&fixture("signing-public.der"), "ABCDEF")).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys.get("abcdef").is_some());
        assert!(keys.get("012345").is_none());
    }

    #[test]
    fn merges_several_regions_outputs() {
        let a = keys_json(&fixture("signing-public.der"), "aa");
        let b = keys_json(&fixture("wrong-public.der"), "bb");
        let keys = PublicKeys::from_json(&format!("[{a},{b}]")).unwrap();
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn refuses_keys_that_are_not_pkcs1() {
        // A SubjectPublicKeyInfo header (SEQUENCE { SEQUENCE { OID rsaEncryption ...).
        let spki = [0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09];
        let err = PublicKeys::from_json(&keys_json(&spki, "aa")).unwrap_err();
        assert!(err.contains("not a PKCS#1 RSAPublicKey"), "{err}");
        assert!(PublicKeys::from_json(r#"{"PublicKeyList":[{"Fingerprint":"aa","Value":"%%%"}]}"#).is_err());
        assert!(PublicKeys::from_json(r#"{"Keys":[]}"#).is_err());
    }

    #[test]
    fn verifies_only_the_right_signature() {
        use ring::rand::SystemRandom;
        use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
        let pair = RsaKeyPair::from_pkcs8(&fixture("signing-key.pk8")).unwrap();
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), b"message", &mut sig).unwrap();
        let keys = PublicKeys::from_json(&keys_json(&fixture("signing-public.der"), "aa")).unwrap();
        let wrong = PublicKeys::from_json(&keys_json(&fixture("wrong-public.der"), "aa")).unwrap();
        assert!(keys.get("aa").unwrap().verifies(b"message", &sig));
        assert!(!keys.get("aa").unwrap().verifies(b"massage", &sig));
        assert!(!wrong.get("aa").unwrap().verifies(b"message", &sig));
    }

    #[test]
    fn finds_signatures_by_exact_key_or_unambiguous_tail() {
        let sigs = Signatures::from_json(
            r#"{"s3://b/p/AWSLogs/1/CloudTrail-Digest/x.json.gz": "aa",
                "/AWSLogs/1/CloudTrail-Digest/y.json.gz": {"signature": "bb", "signature-algorithm": "SHA256withRSA"}}"#,
        )
        .unwrap();
        assert_eq!(sigs.get(&ObjectKey::exact("p/AWSLogs/1/CloudTrail-Digest/x.json.gz")), Some("aa"));
        assert_eq!(sigs.get(&ObjectKey::exact("AWSLogs/1/CloudTrail-Digest/y.json.gz")), Some("bb"));
        let tail = ObjectKey { key: "AWSLogs/1/CloudTrail-Digest/x.json.gz".into(), from_aws_logs: true };
        assert_eq!(sigs.get(&tail), Some("aa"));
        assert!(Signatures::from_json("[]").is_err());
        assert!(Signatures::from_json(r#"{"k": 5}"#).is_err());
    }

    #[test]
    fn never_uses_an_ambiguous_tail() {
        let sigs = Signatures::from_json(r#"{"a/AWSLogs/1/d.json.gz": "aa", "b/AWSLogs/1/d.json.gz": "bb"}"#).unwrap();
        let tail = ObjectKey { key: "AWSLogs/1/d.json.gz".into(), from_aws_logs: true };
        assert_eq!(sigs.get(&tail), None);
    }
}
