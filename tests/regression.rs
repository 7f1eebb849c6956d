//! Regression tests for defects found in the field (issue 9: hardening). One test per
//! defect, named after it; each drives the real binary.

mod common;

#[path = "regression/engine.rs"]
mod engine;
#[path = "regression/ingest.rs"]
mod ingest;
#[path = "regression/output.rs"]
mod output;
