//! `--sink` destinations: each is handed a run's final records once, stages them, and
//! makes them visible only when the caller commits after the run has succeeded.
//!
//! The engine writes records through the streaming [`Sink`] seam; [`fan_out`] turns a
//! list of destinations into one such sink, which keeps the records until `finish` and
//! then hands the whole list, in output order, to every destination. A caller that
//! already holds the final list (a nightly run that drops the records earlier nights
//! emitted) can call [`Destination::stage`] itself.
//!
//! Staging never makes anything visible: files are written under temporary names
//! ([`super::atomic`]), network destinations only encode their requests. Commit renames
//! the files or sends the requests, destination by destination in the order given.

use super::{Refused, Sink};
use crate::insight::InsightRecord;
use std::io;
use std::sync::{Arc, Mutex};

/// One destination of a run's Insight records.
pub trait Destination: Send {
    /// Stages the run's final records, in output order. Called once per run.
    fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()>;
    /// Makes the staged records visible or sends them; called only after the run
    /// succeeded. A destination dropped uncommitted leaves earlier output as it was.
    fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError>;
}

/// What a committed destination delivered.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Records written or sent.
    pub records: usize,
    /// Records the destination could not place (the S3 layout's refusals).
    pub refused: Vec<Refused>,
}

/// Why a destination could not deliver.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The receiver refused a request (HTTP 4xx other than 429): retrying cannot help.
    #[error("{url} refused the request: HTTP {status}: {body:?} ({delivered} of {total} records delivered)")]
    Refused { url: String, status: u16, body: String, delivered: usize, total: usize },
    /// The receiver kept failing (5xx, 429 or no connection) through every retry.
    #[error("{url}: gave up after {attempts} attempts: {last} ({delivered} of {total} records delivered)")]
    GaveUp { url: String, attempts: u32, last: String, delivered: usize, total: usize },
}

/// A named destination, as `--sink` gave it.
pub struct Named {
    pub name: String,
    pub destination: Box<dyn Destination>,
}

/// The handle that commits every destination of a [`fan_out`] once the run succeeded.
pub struct Deliveries {
    shared: Arc<Mutex<FanState>>,
}

#[derive(Default)]
struct FanState {
    destinations: Vec<Named>,
    staged: bool,
}

/// One [`Sink`] for the engine that stages every destination with the full record list
/// on `finish`, and the handle that commits them.
pub fn fan_out(destinations: Vec<Named>) -> (Box<dyn Sink>, Deliveries) {
    let shared = Arc::new(Mutex::new(FanState { destinations, staged: false }));
    let sink = FanOut { records: Vec::new(), shared: Arc::clone(&shared) };
    (Box::new(sink), Deliveries { shared })
}

struct FanOut {
    records: Vec<InsightRecord>,
    shared: Arc<Mutex<FanState>>,
}

impl Sink for FanOut {
    fn write(&mut self, record: &InsightRecord) -> io::Result<()> {
        self.records.push(record.clone());
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut state = self.shared.lock().map_err(|_| io::Error::other("a destination panicked"))?;
        for named in &mut state.destinations {
            named.destination.stage(&self.records).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", named.name)))?;
        }
        state.staged = true;
        Ok(())
    }
}

impl Deliveries {
    /// Commits every destination in order, also after one has failed (a collector that
    /// is down must not keep the files from being written); one result per destination.
    pub fn commit(self) -> Vec<(String, Result<Delivered, DeliveryError>)> {
        let state = match self.shared.lock() {
            Ok(mut state) => std::mem::take(&mut *state),
            Err(_) => return vec![("output".to_string(), Err(io::Error::other("a destination panicked").into()))],
        };
        if !state.staged {
            let err = || Err(io::Error::other("the run did not finish; nothing delivered").into());
            return state.destinations.into_iter().map(|n| (n.name, err())).collect();
        }
        state.destinations.into_iter().map(|n| (n.name, n.destination.commit())).collect()
    }
}
