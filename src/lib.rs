//! trailsight: an open-source CloudTrail Insights engine.
//!
//! The crate is a pipeline whose modules read in the order the data flows:
//! [`ingest`] finds and parses CloudTrail delivery files, [`aggregate`] turns records
//! into per-minute counts per series, [`frame`] holds those counts as polars frames,
//! [`baseline`] learns what normal looks like, [`detect`] turns scores into episodes,
//! [`insight`] renders episodes as AWS-format Insight records and [`sink`] writes them.
//! [`engine`] is the orchestrator that runs the steps in order, and [`state`] keeps
//! what nightly runs carry from one night to the next; [`simulate`] makes
//! realistic labelled histories to test it on. [`investigate`] answers "what happened
//! here?" from a run's frames and insights, and [`plot`] draws its charts; [`text`]
//! makes input values safe to print.

pub mod aggregate;
pub mod baseline;
pub mod detect;
pub mod engine;
pub mod frame;
pub mod hash;
pub mod ingest;
pub mod insight;
pub mod integrity;
pub mod intern;
pub mod investigate;
pub mod nightly;
pub mod plot;
pub mod simulate;
pub mod sink;
pub mod source;
pub mod state;
pub mod text;
pub mod time;

#[cfg(test)]
mod testutil;
