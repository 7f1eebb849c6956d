//! `ListObjectsV2` for `s3://` inputs, one folder (`/`-delimited prefix) at a time.
//!
//! Made here rather than by `object_store`, whose listing turns each key into its own
//! path type: one key it cannot hold (a `.`, `..` or empty part, a control character)
//! fails the whole page, so one odd object hid a whole folder, and a common prefix
//! `/` (keys starting with `/`) became the bucket root, listed again forever. Here every
//! key stays the string S3 gave (asked URL-encoded, so no character is lost in XML); a
//! key that is not a plain path is named with the reason ([`odd_key`]) and skipped, and
//! every other object is kept. A folder's pages always end: a continuation token given
//! twice, or a truncated page without one, is an error naming the folder.

use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// Tries per page when the store answers 5xx or 429, or not at all.
const ATTEMPTS: u32 = 4;
const FIRST_WAIT: Duration = Duration::from_millis(200);
/// The largest answer read for one page (S3 sends at most 1,000 keys of 1 KiB each).
const MAX_PAGE_BYTES: usize = 16 << 20;
/// S3's limit on a key's length: a longer folder name is not from S3, and refusing it
/// bounds how deep a walk goes.
pub const MAX_KEY_BYTES: usize = 1024;

/// One object a folder listing found.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub etag: Option<String>,
    pub size: u64,
}

/// Everything in one folder (all its pages).
#[derive(Debug, Default)]
pub struct Folder {
    pub objects: Vec<Entry>,
    /// Names of the sub-folders (the part between the folder's prefix and the next `/`).
    pub folders: Vec<String>,
    /// Keys that are not plain paths, with why, not read.
    pub odd_keys: Vec<(String, String)>,
    /// Sub-folders whose name is not a plain path part (full prefixes): every key under
    /// them is odd.
    pub odd_folders: Vec<String>,
}

/// Why `key` is not read: a part that is empty (a leading `/`, `//`), `.` or `..`, or a
/// control character. Such a key cannot be a file path, and object_store cannot read it.
pub fn odd_key(key: &str) -> Option<&'static str> {
    if key.starts_with('/') {
        Some("the key starts with /")
    } else if key.chars().any(char::is_control) {
        Some("the key holds a control character")
    } else if key.ends_with('/') {
        Some("the key ends with /")
    } else if key.split('/').any(str::is_empty) {
        Some("the key has an empty part (//)")
    } else if key.split('/').any(|p| p == "." || p == "..") {
        Some("the key has a . or .. part")
    } else if key.len() > MAX_KEY_BYTES {
        Some("the key is longer than S3's 1024 bytes")
    } else {
        None
    }
}

/// Lists one bucket through its S3 endpoint, signing with the store's credentials.
pub struct Lister {
    http: reqwest::Client,
    /// `https://s3.REGION.amazonaws.com/BUCKET`, or the bucket's URL at the endpoint.
    endpoint: reqwest::Url,
    region: String,
    credentials: AwsCredentialProvider,
    sign: bool,
}

/// One `ListObjectsV2` answer.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Page {
    is_truncated: bool,
    next_continuation_token: Option<String>,
    encoding_type: Option<String>,
    contents: Vec<Content>,
    common_prefixes: Vec<CommonPrefix>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Content {
    key: String,
    size: u64,
    #[serde(rename = "ETag")]
    e_tag: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CommonPrefix {
    prefix: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ErrorAnswer {
    code: String,
    message: String,
}

impl Lister {
    pub fn new(endpoint: &str, region: &str, credentials: AwsCredentialProvider, sign: bool) -> Result<Self, String> {
        let endpoint = reqwest::Url::parse(endpoint).map_err(|e| format!("{endpoint:?} is not a URL: {e}"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self { http, endpoint, region: region.to_string(), credentials, sign })
    }

    /// Every page of the folder `prefix` (empty, or ending in `/`); with why the listing
    /// stopped early, if it did (what the pages before held is kept).
    pub async fn folder(&self, prefix: &str) -> (Folder, Option<String>) {
        let mut folder = Folder::default();
        let mut tokens = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = match self.page(prefix, true, token.as_deref()).await {
                Ok(page) => page,
                Err(why) => return (folder, Some(why)),
            };
            let (truncated, next) = (page.is_truncated, page.next_continuation_token.clone());
            absorb(&mut folder, prefix, page);
            if !truncated {
                return (folder, None);
            }
            let Some(next) = next.filter(|t| !t.is_empty()) else {
                return (folder, Some("the store said the listing goes on (IsTruncated) but gave no continuation token".to_string()));
            };
            if !tokens.insert(next.clone()) {
                let pages = tokens.len() + 1;
                return (folder, Some(format!("the store gave the same continuation token twice (page {pages}): listing stopped")));
            }
            token = Some(next);
        }
    }

    /// The keys under `prefix`, all depths, from the first page only; and whether there
    /// are more. For naming the keys under an odd folder at the cost of one request.
    pub async fn first_keys(&self, prefix: &str) -> Result<(Vec<String>, bool), String> {
        let page = self.page(prefix, false, None).await?;
        let url_encoded = is_url_encoded(&page);
        let keys = page.contents.into_iter().map(|c| decode(&c.key, url_encoded).unwrap_or(c.key)).collect();
        Ok((keys, page.is_truncated))
    }

    async fn page(&self, prefix: &str, delimited: bool, token: Option<&str>) -> Result<Page, String> {
        let mut url = self.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("list-type", "2").append_pair("encoding-type", "url");
            if delimited {
                query.append_pair("delimiter", "/");
            }
            if !prefix.is_empty() {
                query.append_pair("prefix", prefix);
            }
            if let Some(token) = token {
                query.append_pair("continuation-token", token);
            }
        }
        let body = self.get(&url).await?;
        quick_xml::de::from_reader(body.as_slice()).map_err(|e| format!("not a ListObjectsV2 answer: {e}"))
    }

    /// The body of a GET of `url`, tried again on 5xx, 429 or no answer (a listing
    /// changes nothing, so it is safe to send again).
    async fn get(&self, url: &reqwest::Url) -> Result<Vec<u8>, String> {
        let mut wait = FIRST_WAIT;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            let headers = self.signed(url).await?;
            let mut response = match self.http.get(url.clone()).headers(headers).send().await {
                Ok(r) => r,
                Err(e) => {
                    last = format!("no answer: {e}");
                    continue;
                }
            };
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| format!("the answer broke off: {e}"))? {
                if body.len() + chunk.len() > MAX_PAGE_BYTES {
                    return Err(format!("an answer larger than {} MiB", MAX_PAGE_BYTES >> 20));
                }
                body.extend_from_slice(&chunk);
            }
            match status {
                200 => return Ok(body),
                429 | 500..=599 => last = refusal(status, &body),
                _ => return Err(refusal(status, &body)),
            }
        }
        Err(format!("no listing after {ATTEMPTS} tries: {last}"))
    }

    /// The SigV4 headers of a GET of `url` (none when signing is off).
    async fn signed(&self, url: &reqwest::Url) -> Result<http::HeaderMap, String> {
        if !self.sign {
            return Ok(http::HeaderMap::new());
        }
        let mut request = http::Request::builder()
            .method("GET")
            .uri(url.as_str())
            .body(object_store::client::HttpRequestBody::from(Vec::new()))
            .map_err(|e| format!("cannot make a ListObjectsV2 request: {e}"))?;
        let credential = self.credentials.get_credential().await.map_err(|e| format!("AWS credentials: {e}"))?;
        AwsAuthorizer::new(&credential, "s3", &self.region).authorize(&mut request, None);
        Ok(request.headers().clone())
    }
}

/// "HTTP 404 NoSuchBucket: The specified bucket does not exist", from an S3 error body.
fn refusal(status: u16, body: &[u8]) -> String {
    let answer: ErrorAnswer = quick_xml::de::from_reader(body).unwrap_or_default();
    let said = [answer.code, answer.message].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(": ");
    let said: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
    if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {said}")
    }
}

fn is_url_encoded(page: &Page) -> bool {
    page.encoding_type.as_deref().is_some_and(|e| e.eq_ignore_ascii_case("url"))
}

/// A key or prefix as S3 sent it with `encoding-type=url` (form encoding: `+` is a
/// space); `None` when it does not decode to UTF-8.
fn decode(s: &str, url_encoded: bool) -> Option<String> {
    if !url_encoded {
        return Some(s.to_string());
    }
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space).decode_utf8().ok().map(|s| s.into_owned())
}

/// Sorts one page of the folder `prefix` into objects, sub-folders and odd names.
fn absorb(folder: &mut Folder, prefix: &str, page: Page) {
    let url_encoded = is_url_encoded(&page);
    for content in page.contents {
        let Some(key) = decode(&content.key, url_encoded) else {
            folder.odd_keys.push((content.key, "the key is not UTF-8".to_string()));
            continue;
        };
        if key == prefix && content.size == 0 {
            continue; // the folder's own empty marker object ("Create folder" in the console)
        }
        if !key.starts_with(prefix) {
            folder.odd_keys.push((key, "the store listed it under a folder it is not in".to_string()));
            continue;
        }
        match odd_key(&key) {
            Some(why) => folder.odd_keys.push((key, why.to_string())),
            None => folder.objects.push(Entry { key, etag: content.e_tag, size: content.size }),
        }
    }
    for common in page.common_prefixes {
        let Some(child) = decode(&common.prefix, url_encoded) else {
            folder.odd_keys.push((common.prefix, "a folder name that is not UTF-8".to_string()));
            continue;
        };
        let Some(name) = child.strip_prefix(prefix).and_then(|rest| rest.strip_suffix('/')) else {
            folder.odd_keys.push((child, "the store listed it under a folder it is not in".to_string()));
            continue;
        };
        let is_plain = !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.chars().any(char::is_control);
        if !is_plain {
            folder.odd_folders.push(child);
        } else if child.len() > MAX_KEY_BYTES {
            folder.odd_keys.push((child, "a folder name longer than S3's 1024-byte keys".to_string()));
        } else {
            folder.folders.push(name.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_are_not_odd_and_each_odd_shape_has_its_reason() {
        assert_eq!(odd_key("AWSLogs/1/CloudTrail/us-east-1/2026/01/12/a.json.gz"), None);
        assert_eq!(odd_key("a b/c%2F.json"), None);
        assert_eq!(odd_key("/AWSLogs/x.json.gz"), Some("the key starts with /"));
        assert_eq!(odd_key("AWSLogs//x.json.gz"), Some("the key has an empty part (//)"));
        assert_eq!(odd_key("AWSLogs/../x.json.gz"), Some("the key has a . or .. part"));
        assert_eq!(odd_key("AWSLogs/./x.json.gz"), Some("the key has a . or .. part"));
        assert_eq!(odd_key("AWSLogs/\u{1b}[2J.json.gz"), Some("the key holds a control character"));
        assert_eq!(odd_key("AWSLogs/x/"), Some("the key ends with /"));
    }

    #[test]
    fn a_page_with_odd_keys_keeps_every_other_object() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>AWSLogs/</Prefix>
<Contents><Key>AWSLogs/</Key><Size>0</Size><ETag>&quot;m&quot;</ETag></Contents>
<Contents><Key>AWSLogs/a+b.json.gz</Key><Size>7</Size><ETag>&quot;e1&quot;</ETag></Contents>
<CommonPrefixes><Prefix>AWSLogs/..%2F</Prefix></CommonPrefixes>
<Contents><Key>AWSLogs/%1B.json.gz</Key><Size>3</Size></Contents>
<CommonPrefixes><Prefix>AWSLogs/%2F</Prefix></CommonPrefixes>
<CommonPrefixes><Prefix>AWSLogs/123/</Prefix></CommonPrefixes>
<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated></ListBucketResult>"#;
        let page: Page = quick_xml::de::from_str(xml).unwrap();
        let mut folder = Folder::default();
        absorb(&mut folder, "AWSLogs/", page);
        assert_eq!(folder.objects.len(), 1);
        assert_eq!(folder.objects[0].key, "AWSLogs/a b.json.gz");
        assert_eq!(folder.objects[0].etag.as_deref(), Some("\"e1\""));
        assert_eq!(folder.objects[0].size, 7);
        assert_eq!(folder.folders, ["123"]);
        assert_eq!(folder.odd_folders, ["AWSLogs/../", "AWSLogs//"]);
        assert_eq!(folder.odd_keys, [("AWSLogs/\u{1b}.json.gz".to_string(), "the key holds a control character".to_string())]);
    }

    #[test]
    fn an_error_answer_is_named_by_its_code() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(refusal(404, body), "HTTP 404 NoSuchBucket: The specified bucket does not exist");
        assert_eq!(refusal(503, b"<html>"), "HTTP 503");
    }
}
