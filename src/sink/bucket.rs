//! `s3://BUCKET/PREFIX`: the AWS CloudTrail-Insight layout written to a bucket, where
//! Elastic's aws.cloudtrail integration and other SIEM collectors pick Insight files up
//! by their `/CloudTrail-Insight/` key.
//!
//! The files are those `s3-layout:DIR` writes (same grouping, names and bytes), under
//! `PREFIX/AWSLogs/...`. They are rendered on stage and put only on commit, after the
//! run succeeded. Names derive from the content, so a re-run of the same input puts the
//! same objects again; files of earlier runs are not removed from the bucket.

use super::destination::{Delivered, DeliveryError, Destination};
use super::s3::{Groups, LayoutFile};
use super::Refused;
use crate::insight::InsightRecord;
use crate::source::{S3Bucket, S3Url};
use std::io;

pub struct BucketDestination {
    url: S3Url,
    bucket: S3Bucket,
    files: Vec<LayoutFile>,
    refused: Vec<Refused>,
    staged: usize,
}

impl BucketDestination {
    pub fn new(url: S3Url, bucket: S3Bucket) -> Self {
        Self { url, bucket, files: Vec::new(), refused: Vec::new(), staged: 0 }
    }

    fn key_of(&self, relative: &str) -> String {
        if self.url.prefix.is_empty() { relative.to_string() } else { format!("{}/{relative}", self.url.prefix) }
    }
}

impl Destination for BucketDestination {
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
        let mut groups = Groups::default();
        for r in records {
            groups.add(r)?;
        }
        self.files = groups.render()?;
        self.refused = std::mem::take(&mut groups.refused);
        self.staged = records.len() - self.refused.len();
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
        for (done, file) in self.files.iter().enumerate() {
            let key = self.key_of(&file.relative);
            self.bucket.put(&key, file.gzip.clone()).map_err(|e| {
                io::Error::new(e.kind(), format!("s3://{}/{key}: {e} ({done} of {} files written)", self.url.bucket, self.files.len()))
            })?;
        }
        Ok(Delivered { records: self.staged, refused: self.refused })
    }
}
