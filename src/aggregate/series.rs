//! What a series is: one account x region x API (x error code) per insight type.

use crate::ingest::counts::{CALL_RATE, ERROR_RATE};
use crate::ingest::Event;
use crate::intern::{Interner, Sym};
use std::fmt;

/// The two management Insight types AWS defines (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InsightType {
    ApiCallRate,
    ApiErrorRate,
}

impl InsightType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiCallRate => CALL_RATE,
            Self::ApiErrorRate => ERROR_RATE,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            CALL_RATE => Some(Self::ApiCallRate),
            ERROR_RATE => Some(Self::ApiErrorRate),
            _ => None,
        }
    }
}

impl fmt::Display for InsightType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of one counted series. Strings are symbols of the global interner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub account: Sym,
    pub region: Sym,
    pub source: Sym,
    pub name: Sym,
    pub insight_type: InsightType,
    /// Set on error-rate series only: one series per error code.
    pub error: Option<Sym>,
    /// A series of data events (S3 object calls, Lambda Invoke...; `--event-categories
    /// data`), whose call rate counts read and write calls; false for management events.
    pub data: bool,
}

impl SeriesKey {
    pub fn call_rate(e: &Event) -> Self {
        Self {
            account: e.account,
            region: e.region,
            source: e.source,
            name: e.name,
            insight_type: InsightType::ApiCallRate,
            error: None,
            data: e.category == crate::ingest::Category::Data,
        }
    }

    pub fn error_rate(e: &Event, code: Sym) -> Self {
        Self { insight_type: InsightType::ApiErrorRate, error: Some(code), ..Self::call_rate(e) }
    }

    /// `Management` or `Data`: the record's `sourceEventCategory`.
    pub fn source_category(&self) -> &'static str {
        if self.data { "Data" } else { "Management" }
    }

    /// `account region source:name type [errorCode] [(data events)]`, for logs and explanations.
    pub fn describe(&self, strings: &Interner) -> String {
        let error = self.error.map(|e| format!(" {}", strings.resolve(e))).unwrap_or_default();
        let data = if self.data { " (data events)" } else { "" };
        format!(
            "{} {} {}:{} {}{}{data}",
            strings.resolve(self.account),
            strings.resolve(self.region),
            strings.resolve(self.source),
            strings.resolve(self.name),
            self.insight_type,
            error
        )
    }
}
