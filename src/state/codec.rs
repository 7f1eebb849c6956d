//! `aggregates.bin`: the part of the retained aggregates that is not the counts table
//! (strings, series keys, behaviour windows, scope days, per-day counters, recent
//! deduplication keys), in a compact binary form.
//!
//! Integers are LEB128 varints (signed ones zigzag-encoded), strings are a length and
//! UTF-8 bytes, lists a count and their items. The file starts with [`MAGIC`]; its
//! SHA-256 is in `state.json`, checked before a byte of it is decoded. Every count read
//! is bounded by the bytes left, so a damaged file is refused, never a huge allocation.

use crate::aggregate::{Day, IngestStats, InsightType, Retained, SeriesKey, WindowStats};
use crate::intern::{Interner, Sym};

/// The first bytes of the file.
pub const MAGIC: &[u8; 8] = b"TSAGGv1\n";

/// Encodes everything of `r` but its cells (those go to the counts table).
pub fn encode(r: &Retained) -> Vec<u8> {
    let mut w = Writer(MAGIC.to_vec());
    w.uint(r.strings.len() as u64);
    for s in 0..r.strings.len() as Sym {
        w.text(r.strings.resolve(s));
    }
    w.uint(r.series.len() as u64);
    for k in &r.series {
        w.syms(&[k.account, k.region, k.source, k.name]);
        // 0 and 1: management call and error rate; 2 and 3: the same of data events.
        let kind = match k.insight_type {
            InsightType::ApiCallRate => 0,
            InsightType::ApiErrorRate => 1,
        };
        w.uint(kind + if k.data { 2 } else { 0 });
        w.opt_sym(k.error);
    }
    w.uint(r.behaviour.len() as u64);
    for ((account, family, window), s) in &r.behaviour {
        w.syms(&[*account, *family]);
        w.int(*window);
        for n in [s.calls, s.writes, s.iam_writes, s.errors] {
            w.uint(u64::from(n));
        }
        for list in [&s.apis, &s.agents, &s.ips] {
            w.uint(list.len() as u64);
            w.syms(list);
        }
        w.uint(s.series.len() as u64);
        for &(series, calls) in &s.series {
            w.uint(u64::from(series));
            w.uint(u64::from(calls));
        }
    }
    w.uint(r.scope_days.len() as u64);
    for &(a, region, day) in &r.scope_days {
        w.syms(&[a, region]);
        w.int(day);
    }
    w.uint(r.scope_began.len() as u64);
    for &((a, region), day) in &r.scope_began {
        w.syms(&[a, region]);
        w.int(day);
    }
    w.uint(r.days.len() as u64);
    for (day, t) in &r.days {
        w.int(*day);
        for n in counters(t) {
            w.uint(n);
        }
        for m in [t.first_minute, t.last_minute] {
            w.uint(u64::from(m.is_some()));
            w.int(m.unwrap_or(0));
        }
    }
    w.uint(r.seen.len() as u64);
    for (day, ids) in &r.seen {
        w.int(*day);
        w.uint(ids.len() as u64);
        for id in ids {
            w.0.extend_from_slice(&id.to_le_bytes());
        }
    }
    w.0
}

/// Decodes a file written by [`encode`]: the retained aggregates without cells.
pub fn decode(bytes: &[u8]) -> Result<Retained, String> {
    let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or("it does not start with the aggregates header")?;
    let mut r = Reader { bytes: body, at: 0 };
    let mut out = Retained::default();
    let mut strings = Interner::new();
    for _ in 0..r.count(1)? {
        let s = r.text()?;
        if strings.intern(&s) as usize != strings.len() - 1 {
            return Err(format!("the string {s:?} is listed twice"));
        }
    }
    let n_strings = strings.len();
    out.strings = strings;
    let sym = |r: &mut Reader| -> Result<Sym, String> {
        let s = r.uint()?;
        if s as usize >= n_strings {
            return Err(format!("string {s} of {n_strings}"));
        }
        Ok(s as Sym)
    };
    for _ in 0..r.count(5)? {
        let (account, region, source, name) = (sym(&mut r)?, sym(&mut r)?, sym(&mut r)?, sym(&mut r)?);
        let kind = r.uint()?;
        let insight_type = match kind % 2 {
            0 => InsightType::ApiCallRate,
            _ => InsightType::ApiErrorRate,
        };
        if kind > 3 {
            return Err(format!("series kind {kind}"));
        }
        let error = if r.uint()? == 1 { Some(sym(&mut r)?) } else { None };
        out.series.push(SeriesKey { account, region, source, name, insight_type, error, data: kind >= 2 });
    }
    let n_series = out.series.len() as u64;
    for _ in 0..r.count(9)? {
        let (account, family, window) = (sym(&mut r)?, sym(&mut r)?, r.int()?);
        let mut s = WindowStats::default();
        for slot in [&mut s.calls, &mut s.writes, &mut s.iam_writes, &mut s.errors] {
            *slot = r.u32()?;
        }
        for list in [&mut s.apis, &mut s.agents, &mut s.ips] {
            for _ in 0..r.count(1)? {
                list.push(sym(&mut r)?);
            }
        }
        for _ in 0..r.count(2)? {
            let series = r.uint()?;
            if series >= n_series {
                return Err(format!("series {series} of {n_series}"));
            }
            s.series.push((series as u32, r.u32()?));
        }
        out.behaviour.push(((account, family, window), s));
    }
    for _ in 0..r.count(3)? {
        out.scope_days.push((sym(&mut r)?, sym(&mut r)?, r.int()?));
    }
    for _ in 0..r.count(3)? {
        out.scope_began.push(((sym(&mut r)?, sym(&mut r)?), r.int()?));
    }
    for _ in 0..r.count(17)? {
        let day: Day = r.int()?;
        let mut t = IngestStats::default();
        let mut values = [0u64; COUNTERS];
        for v in &mut values {
            *v = r.uint()?;
        }
        set_counters(&mut t, values);
        let mut minute = || -> Result<Option<i64>, String> {
            let present = r.uint()? == 1;
            let m = r.int()?;
            Ok(present.then_some(m))
        };
        t.first_minute = minute()?;
        t.last_minute = minute()?;
        out.days.push((day, t));
    }
    for _ in 0..r.count(2)? {
        let day = r.int()?;
        let n = r.count(8)?;
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            ids.push(u64::from_le_bytes(r.take(8)?.try_into().map_err(|_| "short id")?));
        }
        out.seen.push((day, ids));
    }
    if r.at != r.bytes.len() {
        return Err(format!("{} bytes follow the end of the aggregates", r.bytes.len() - r.at));
    }
    Ok(out)
}

/// The number of plain counters of [`IngestStats`] kept per day.
const COUNTERS: usize = 11;

fn counters(t: &IngestStats) -> [u64; COUNTERS] {
    [
        t.records,
        t.duplicates,
        t.management,
        t.write_management,
        t.errors,
        t.data_events,
        t.network_activity,
        t.insight_records,
        t.other_category,
        t.read_only_inferred,
        t.out_of_range,
    ]
}

fn set_counters(t: &mut IngestStats, v: [u64; COUNTERS]) {
    [
        t.records,
        t.duplicates,
        t.management,
        t.write_management,
        t.errors,
        t.data_events,
        t.network_activity,
        t.insight_records,
        t.other_category,
        t.read_only_inferred,
        t.out_of_range,
    ] = v;
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn text(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn syms(&mut self, syms: &[Sym]) {
        syms.iter().for_each(|&s| self.uint(u64::from(s)));
    }

    fn opt_sym(&mut self, s: Option<Sym>) {
        match s {
            Some(s) => {
                self.uint(1);
                self.uint(u64::from(s));
            }
            None => self.uint(0),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn uint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or("it ends in the middle of a number")?;
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number is longer than 64 bits".to_string())
    }

    fn int(&mut self) -> Result<i64, String> {
        let v = self.uint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let v = self.uint()?;
        u32::try_from(v).map_err(|_| format!("{v} is beyond 32 bits"))
    }

    /// A list length, refused when its items (at least `min_bytes` each) could not fit
    /// in the bytes left.
    fn count(&mut self, min_bytes: usize) -> Result<usize, String> {
        let n = self.uint()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_bytes as u64) > left {
            return Err(format!("a list of {n} items in {left} bytes"));
        }
        Ok(n as usize)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("it ends in the middle of a field")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn text(&mut self) -> Result<String, String> {
        let n = self.count(1)?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Retained {
        let mut r = Retained::default();
        for s in ["111122223333", "us-east-1", "iam.amazonaws.com", "CreateUser", "arn:aws:iam::111122223333:user/a", "aws-cli"] {
            r.strings.intern(s);
        }
        r.series.push(SeriesKey { account: 0, region: 1, source: 2, name: 3, insight_type: InsightType::ApiCallRate, error: None, data: false });
        let w = WindowStats { calls: 3, writes: 2, iam_writes: 2, errors: 0, apis: vec![3], agents: vec![5], ips: vec![], series: vec![(0, 2)] };
        r.behaviour.push(((0, 4, 5_000_000), w));
        r.scope_days.push((0, 1, 20_458));
        r.scope_began.push(((0, 1), 20_400));
        r.days.push((20_458, IngestStats { records: 7, management: 7, first_minute: Some(-3), last_minute: Some(29_459_520), ..IngestStats::default() }));
        r.seen.push((20_458, vec![1, u64::MAX]));
        r
    }

    #[test]
    fn what_is_encoded_decodes_the_same() {
        let r = sample();
        assert_eq!(decode(&encode(&r)).unwrap(), r);
    }

    #[test]
    fn every_truncation_and_a_forged_count_are_refused() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut forged = MAGIC.to_vec();
        forged.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode(&forged).unwrap_err().contains("items"));
    }
}
