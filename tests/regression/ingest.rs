//! Regression tests: ingest.

#[allow(unused_imports)]
use super::common::*;
