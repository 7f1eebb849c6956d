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
use std::collections::BTreeMap;
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

impl DeliveryError {
    /// How many of the staged records, from the first, the receiver took before it
    /// failed: a collector takes batches in record order; a file is written whole or
    /// not at all.
    pub fn delivered(&self) -> usize {
        match self {
            Self::Refused { delivered, .. } | Self::GaveUp { delivered, .. } => *delivered,
            _ => 0,
        }
    }
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
    /// Records an earlier run could not deliver, per destination name: staged before
    /// this run's records.
    carried: BTreeMap<String, Vec<InsightRecord>>,
    /// What each destination was handed, or why it could not stage it (in the order of
    /// `destinations`).
    staged: Vec<Handed>,
    finished: bool,
}

/// The records a destination was handed, and why it could not stage them, if so.
struct Handed {
    records: Vec<InsightRecord>,
    error: Option<io::Error>,
}

/// What one destination did with the records it was handed.
pub struct Outcome {
    pub name: String,
    pub result: Result<Delivered, DeliveryError>,
    /// The records it did not take, in the order they were handed (empty on success:
    /// records the S3 layout refuses can never be placed, and are only reported).
    pub undelivered: Vec<InsightRecord>,
}

/// One [`Sink`] for the engine that stages every destination with the full record list
/// on `finish`, and the handle that commits them.
pub fn fan_out(destinations: Vec<Named>) -> (Box<dyn Sink>, Deliveries) {
    let shared = Arc::new(Mutex::new(FanState { destinations, ..FanState::default() }));
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

    /// Stages every destination: the records carried over for it first, then this run's.
    /// A destination that cannot stage them fails alone (its records are undelivered),
    /// except on a closed standard output, which ends the run as a closed pipe does.
    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut state = self.shared.lock().map_err(|_| io::Error::other("a destination panicked"))?;
        let state = &mut *state;
        let mut staged = Vec::with_capacity(state.destinations.len());
        for named in &mut state.destinations {
            let mut records = state.carried.remove(&named.name).unwrap_or_default();
            records.extend(self.records.iter().cloned());
            let error = match named.destination.stage(&records) {
                Ok(()) => None,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(e),
                Err(e) => Some(e),
            };
            staged.push(Handed { records, error });
        }
        state.staged = staged;
        state.finished = true;
        Ok(())
    }
}

impl Deliveries {
    /// Hands `records` (not delivered by an earlier run) to the destination called
    /// `name` before this run's records; false when this run has no such destination.
    pub fn carry(&self, name: &str, records: Vec<InsightRecord>) -> bool {
        let Ok(mut state) = self.shared.lock() else { return false };
        if !state.destinations.iter().any(|n| n.name == name) {
            return false;
        }
        state.carried.entry(name.to_string()).or_default().extend(records);
        true
    }

    /// Commits every destination in order, also after one has failed (a collector that
    /// is down must not keep the files from being written); one result per destination.
    pub fn commit(self) -> Vec<(String, Result<Delivered, DeliveryError>)> {
        self.commit_each().into_iter().map(|o| (o.name, o.result)).collect()
    }

    /// As [`Deliveries::commit`], with the records each destination did not take.
    pub fn commit_each(self) -> Vec<Outcome> {
        let state = match self.shared.lock() {
            Ok(mut state) => std::mem::take(&mut *state),
            Err(_) => {
                let result = Err(io::Error::other("a destination panicked").into());
                return vec![Outcome { name: "output".to_string(), result, undelivered: Vec::new() }];
            }
        };
        if !state.finished {
            let err = || Err(io::Error::other("the run did not finish; nothing delivered").into());
            return state.destinations.into_iter().map(|n| Outcome { name: n.name, result: err(), undelivered: Vec::new() }).collect();
        }
        state.destinations.into_iter().zip(state.staged).map(|(n, staged)| commit_one(n, staged)).collect()
    }
}

fn commit_one(named: Named, handed: Handed) -> Outcome {
    let Handed { records, error } = handed;
    if let Some(e) = error {
        return Outcome { name: named.name, result: Err(e.into()), undelivered: records };
    }
    let result = named.destination.commit();
    let undelivered = match &result {
        Ok(_) => Vec::new(),
        Err(e) => records.get(e.delivered()..).unwrap_or_default().to_vec(),
    };
    Outcome { name: named.name, result, undelivered }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> InsightRecord {
        let mut record = crate::sink::tests::record_in("111122223333", "us-east-1", "2026-01-12T21:30:00Z", "Start");
        record.event_id = id.into();
        record
    }

    /// Takes the first `takes` records it is handed, then gives up (as a collector that
    /// goes down between batches); `None` takes them all.
    struct Partial {
        takes: Option<usize>,
        handed: Arc<Mutex<Vec<String>>>,
    }

    impl Destination for Partial {
        fn stage(&mut self, records: &[InsightRecord]) -> io::Result<()> {
            *self.handed.lock().unwrap() = records.iter().map(|r| r.event_id.clone()).collect();
            Ok(())
        }

        fn commit(self: Box<Self>) -> Result<Delivered, DeliveryError> {
            let total = self.handed.lock().unwrap().len();
            match self.takes {
                None => Ok(Delivered { records: total, refused: Vec::new() }),
                Some(delivered) => Err(DeliveryError::GaveUp { url: "x".into(), attempts: 1, last: "HTTP 500".into(), delivered, total }),
            }
        }
    }

    #[test]
    fn carried_records_come_first_and_a_sink_keeps_only_what_it_did_not_take() {
        let (a, b) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
        let named = vec![
            Named { name: "a".into(), destination: Box::new(Partial { takes: Some(2), handed: Arc::clone(&a) }) },
            Named { name: "b".into(), destination: Box::new(Partial { takes: None, handed: Arc::clone(&b) }) },
        ];
        let (mut sink, deliveries) = fan_out(named);
        assert!(deliveries.carry("a", vec![record("old-1"), record("old-2")]));
        assert!(!deliveries.carry("c", vec![record("old-3")]), "no such sink this run");
        sink.write(&record("new-1")).unwrap();
        sink.write(&record("new-2")).unwrap();
        sink.finish().unwrap();
        let outcomes = deliveries.commit_each();
        assert_eq!(*a.lock().unwrap(), ["old-1", "old-2", "new-1", "new-2"]);
        assert_eq!(*b.lock().unwrap(), ["new-1", "new-2"]);
        let left: Vec<(&str, Vec<&str>)> =
            outcomes.iter().map(|o| (o.name.as_str(), o.undelivered.iter().map(|r| r.event_id.as_str()).collect())).collect();
        assert_eq!(left, [("a", vec!["new-1", "new-2"]), ("b", vec![])]);
    }
}
