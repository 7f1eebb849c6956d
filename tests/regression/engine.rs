//! Regression tests: engine.

#[allow(unused_imports)]
use super::common::*;
