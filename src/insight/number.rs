//! Averages as AWS prints them: rounded to 10 decimal places, never with an exponent,
//! without trailing zeros (`0.0000882145`, `0.6`, `664`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A per-minute average that serialises in AWS's number format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Average(pub f64);

impl Average {
    pub fn of(v: f64) -> Self {
        Self(if v.is_finite() { v } else { 0.0 })
    }
}

/// Formats an average the way AWS Insight records do.
pub fn format_average(v: f64) -> String {
    let text = format!("{:.10}", v.max(0.0));
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() { "0".to_string() } else { text.to_string() }
}

impl Serialize for Average {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(format_average(self.0)).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Average {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_aws() {
        assert_eq!(format_average(8.82145e-5), "0.0000882145");
        assert_eq!(format_average(0.6), "0.6");
        assert_eq!(format_average(664.0), "664");
        assert_eq!(format_average(85.420238095238), "85.4202380952");
        assert_eq!(format_average(0.0), "0");
        assert_eq!(format_average(1e-12), "0");
        assert_eq!(format_average(2.0 / 3.0), "0.6666666667");
    }

    #[test]
    fn serialises_as_a_bare_number() {
        let json = serde_json::to_string(&[Average(0.00001), Average(12.5)]).unwrap();
        assert_eq!(json, "[0.00001,12.5]");
    }
}
