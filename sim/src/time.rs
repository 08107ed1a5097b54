//! Simulated time: integer microseconds, so that a trial never accumulates
//! floating-point clock drift and two runs order events identically.
//!
//! [`SimTime`] is an instant since the trial started and [`SimDuration`] a
//! span; adding two instants does not compile. Scenario files write spans as
//! human strings (`90s`, `15m`, `4h`, `14d`, `1.5h`), parsed by
//! [`SimDuration::from_str`].

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds in one second.
pub const MICROS_PER_SECOND: u64 = 1_000_000;
const MICROS_PER_HOUR: u64 = 3_600 * MICROS_PER_SECOND;

/// An instant of simulated time: microseconds since the trial began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every trial.
    pub const ZERO: SimTime = SimTime(0);
    /// An instant later than any trial can reach.
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Seconds since the start, for datasets.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }

    /// Hours since the start, for datasets.
    pub fn as_hours_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_HOUR as f64
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs * MICROS_PER_SECOND)
    }

    /// A span of whole hours.
    pub const fn from_hours(hours: u64) -> Self {
        SimDuration(hours * MICROS_PER_HOUR)
    }

    /// A span of whole days.
    pub const fn from_days(days: u64) -> Self {
        SimDuration(days * 24 * MICROS_PER_HOUR)
    }

    /// Converts seconds to a span, rounding to the nearest microsecond and
    /// saturating at the largest representable span.
    pub fn from_secs_f64(secs: f64) -> Self {
        if !secs.is_finite() || secs >= u64::MAX as f64 / MICROS_PER_SECOND as f64 {
            return SimDuration(u64::MAX);
        }
        SimDuration(round_half_up(secs.max(0.0) * MICROS_PER_SECOND as f64))
    }

    /// The span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }

    /// The span in hours.
    pub fn as_hours_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_HOUR as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{input}`: {reason}; write a number and a unit: us, ms, s, m or min, h, d or w, e.g. `90s`, `15m`, `4h`, `14d`"
)]
pub struct DurationParseError {
    input: String,
    reason: &'static str,
}

/// Longest span a scenario may write: a century keeps every sum of spans
/// far from overflow.
const MAX_DURATION_SECS: f64 = 100.0 * 365.0 * 86_400.0;

impl FromStr for SimDuration {
    type Err = DurationParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| DurationParseError { input: input.to_owned(), reason };
        let s = input.trim();
        let split = s.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| err("missing unit"))?;
        let (number, unit) = s.split_at(split);
        let number = number.trim();
        if number.starts_with('-') {
            return Err(err("durations cannot be negative"));
        }
        let value: f64 = number.parse().map_err(|_| err("not a number"))?;
        let scale = match unit.trim() {
            "us" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            _ => return Err(err("unknown unit")),
        };
        let secs = value * scale;
        if !secs.is_finite() || secs > MAX_DURATION_SECS {
            return Err(err("longer than 100 years"));
        }
        Ok(SimDuration::from_secs_f64(secs))
    }
}

impl fmt::Display for SimDuration {
    /// Prints the largest whole unit that represents the span exactly, so
    /// that a parsed duration prints back as the user wrote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        for (unit, size) in [
            ("d", 86_400 * MICROS_PER_SECOND),
            ("h", MICROS_PER_HOUR),
            ("m", 60 * MICROS_PER_SECOND),
            ("s", MICROS_PER_SECOND),
            ("ms", 1_000),
        ] {
            if us >= size && us.is_multiple_of(size) {
                return write!(f, "{}{unit}", us / size);
            }
        }
        if us == 0 { write!(f, "0s") } else { write!(f, "{us}us") }
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for SimDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*(us|ms|s|m|min|h|d|w)\s*$",
            "description": "A span of time: a number and a unit (us, ms, s, m or min, h, d, w), e.g. `90s`, `4h`, `14d`.",
            "examples": ["90s", "4h", "14d"]
        })
    }
}

/// An instant relative to the start of a trial that may lie before it, such
/// as the disclosure of a vulnerability two months before the outbreak.
/// Written `-59d`, `0s` or `3h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offset(pub i64);

impl Offset {
    /// Adds a span, saturating.
    pub fn plus(self, d: SimDuration) -> Offset {
        Offset(self.0.saturating_add(i64::try_from(d.0).unwrap_or(i64::MAX)))
    }

    /// The instant in the trial, or `None` when it falls before the start.
    pub fn to_time(self) -> Option<SimTime> {
        u64::try_from(self.0).ok().map(SimTime)
    }
}

impl FromStr for Offset {
    type Err = DurationParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.strip_prefix('-') {
            Some(rest) => Ok(Offset(-(rest.parse::<SimDuration>()?.0 as i64))),
            None => Ok(Offset(t.parse::<SimDuration>()?.0 as i64)),
        }
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "-{}", SimDuration(self.0.unsigned_abs()))
        } else {
            write!(f, "{}", SimDuration(self.0 as u64))
        }
    }
}

impl Serialize for Offset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Offset {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Offset".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^\s*-?[0-9]+(\.[0-9]+)?\s*(us|ms|s|m|min|h|d|w)\s*$",
            "description": "An instant relative to the trial start; negative is before it, e.g. `-59d`.",
        })
    }
}

/// `x.round() as u64` for a finite `x` in [0, 2^64), bit for bit, without
/// the library call `round` is on targets without a rounding instruction
/// (every draw of a delay passes here).
#[inline]
fn round_half_up(x: f64) -> u64 {
    // Below 2^52 the truncation and the fraction left are exact; from there
    // on every f64 is a whole number already.
    const WHOLE_FROM: f64 = 4_503_599_627_370_496.0;
    let t = x as u64;
    if x < WHOLE_FROM && x - t as f64 >= 0.5 { t + 1 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn rounding_agrees_with_the_library(bits in 0u64..0x43F0_0000_0000_0000) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(round_half_up(x), x.round() as u64);
        }
    }

    #[test]
    fn rounding_agrees_with_the_library_at_halves_and_edges() {
        for x in
            [0.0, 0.49999999999999994, 0.5, 1.5, 2.5, 4_503_599_627_370_495.5, 4_503_599_627_370_496.0, 9.0e15, 1.8e19]
        {
            assert_eq!(round_half_up(x), x.round() as u64, "{x}");
        }
    }

    #[test]
    fn parses_human_durations() {
        assert_eq!("90s".parse::<SimDuration>().unwrap(), SimDuration::from_secs(90));
        assert_eq!("4h".parse::<SimDuration>().unwrap(), SimDuration::from_hours(4));
        assert_eq!("14d".parse::<SimDuration>().unwrap(), SimDuration::from_days(14));
        assert_eq!("1.5h".parse::<SimDuration>().unwrap(), SimDuration::from_secs(5_400));
        assert_eq!("15 m".parse::<SimDuration>().unwrap(), SimDuration::from_secs(900));
    }

    #[test]
    fn rejects_bad_durations_with_the_reason() {
        for (bad, why) in [
            ("4", "missing unit"),
            ("4x", "unknown unit"),
            ("-3h", "negative"),
            ("abc", "not a number"),
            ("1000000d", "100 years"),
        ] {
            let e = bad.parse::<SimDuration>().unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn durations_print_back_as_written() {
        for s in ["90s", "4h", "14d", "15m", "250ms"] {
            assert_eq!(s.parse::<SimDuration>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn offsets_may_lie_before_the_start() {
        let o: Offset = "-59d".parse().unwrap();
        assert_eq!(o.to_time(), None);
        assert_eq!(o.plus(SimDuration::from_days(60)).to_time(), Some(SimTime(SimDuration::from_days(1).0)));
        assert_eq!(o.to_string(), "-59d");
    }
}
