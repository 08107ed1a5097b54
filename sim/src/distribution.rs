//! Named probability distributions of durations, as scenario files write them.
//!
//! A plain string is a fixed span (`"4h"`); a table names the distribution
//! and its parameters:
//!
//! ```toml
//! time_to_detect = { dist = "lognormal", median = "4d", p90 = "30d" }
//! restore_time   = { dist = "exponential", mean = "2d" }
//! isolate_after  = { dist = "uniform", min = "10m", max = "2h" }
//! ```
//!
//! Log-normals are given by median and 90th percentile because that is how
//! incident reports quote times ("half were restored within three weeks").

use std::fmt;

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, Exp, LogNormal};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::time::SimDuration;

/// The standard normal's 90th percentile, linking a log-normal's p90 to its
/// sigma.
const Z90: f64 = 1.281_551_565_544_600_4;

/// A distribution of durations, validated and ready to sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always the same span.
    Fixed(SimDuration),
    /// Memoryless, with the given mean.
    Exponential {
        /// The mean span.
        mean: SimDuration,
    },
    /// Log-normal, given by its median and 90th percentile.
    LogNormal {
        /// Half of the draws are shorter than this.
        median: SimDuration,
        /// Nine draws in ten are shorter than this.
        p90: SimDuration,
    },
    /// Uniform between two spans, both included.
    Uniform {
        /// The shortest span.
        min: SimDuration,
        /// The longest span.
        max: SimDuration,
    },
}

impl Distribution {
    /// Draws one span.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        match *self {
            Distribution::Fixed(d) => d,
            Distribution::Exponential { mean } => {
                let exp = Exp::new(1.0 / mean.as_secs_f64()).expect("validated positive mean");
                SimDuration::from_secs_f64(exp.sample(rng))
            }
            Distribution::LogNormal { median, p90 } => {
                let (mu, sigma) = lognormal_params(median, p90);
                let ln = LogNormal::new(mu, sigma).expect("validated sigma");
                SimDuration::from_secs_f64(ln.sample(rng))
            }
            Distribution::Uniform { min, max } => SimDuration(rng.random_range(min.0..=max.0)),
        }
    }

    /// The draw that `key` addresses: a pure function of the key, with no
    /// generator to seed (what mechanisms use, so each draw is keyed by
    /// what it is for). Log-normals use the Box–Muller transform.
    pub fn draw(&self, key: crate::random::Key) -> SimDuration {
        match *self {
            Distribution::Fixed(d) => d,
            Distribution::Exponential { mean } => SimDuration::from_secs_f64(key.exp1() * mean.as_secs_f64()),
            Distribution::LogNormal { median, p90 } => {
                let (mu, sigma) = lognormal_params(median, p90);
                let u1 = 1.0 - key.with(1).uniform(); // in (0, 1]
                let u2 = key.with(2).uniform();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                SimDuration::from_secs_f64((mu + sigma * z).exp())
            }
            Distribution::Uniform { min, max } => {
                let span = (max.0 - min.0) as f64;
                SimDuration(min.0 + ((key.uniform() * (span + 1.0)) as u64).min(max.0 - min.0))
            }
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> SimDuration {
        match *self {
            Distribution::Fixed(d) => d,
            Distribution::Exponential { mean } => mean,
            Distribution::LogNormal { median, p90 } => {
                let (mu, sigma) = lognormal_params(median, p90);
                SimDuration::from_secs_f64((mu + sigma * sigma / 2.0).exp())
            }
            Distribution::Uniform { min, max } => SimDuration(min.0 / 2 + max.0 / 2),
        }
    }
}

/// An exponentially distributed delay with the given rate per second: the
/// waiting time to the next event of a Poisson stream.
pub fn exponential_delay<R: Rng + ?Sized>(rng: &mut R, rate_per_sec: f64) -> SimDuration {
    let x: f64 = rand_distr::Exp1.sample(rng);
    SimDuration::from_secs_f64(x / rate_per_sec)
}

/// A log-normal's (mu, sigma) from its median and 90th percentile.
///
/// Remembered per thread for the few distributions a model draws from, so
/// that a draw takes one logarithm rather than three; the values are those
/// [`lognormal_params_of`] computes, bit for bit.
fn lognormal_params(median: SimDuration, p90: SimDuration) -> (f64, f64) {
    type Slot = std::cell::Cell<Option<(u64, u64, f64, f64)>>;
    const SLOTS: usize = 16;
    thread_local! {
        static MEMO: [Slot; SLOTS] = const { [const { std::cell::Cell::new(None) }; SLOTS] };
    }
    let slot = (median.0 ^ p90.0.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60;
    MEMO.with(|memo| {
        let cell = &memo[slot as usize % SLOTS];
        match cell.get() {
            Some((m, p, mu, sigma)) if m == median.0 && p == p90.0 => (mu, sigma),
            _ => {
                let (mu, sigma) = lognormal_params_of(median, p90);
                cell.set(Some((median.0, p90.0, mu, sigma)));
                (mu, sigma)
            }
        }
    })
}

fn lognormal_params_of(median: SimDuration, p90: SimDuration) -> (f64, f64) {
    let mu = median.as_secs_f64().ln();
    let sigma = (p90.as_secs_f64().ln() - mu) / Z90;
    (mu, sigma)
}

/// The serde shape of a distribution table.
#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum DistributionSpec {
    /// Always `value`.
    Fixed {
        /// The span every draw returns.
        value: SimDuration,
    },
    /// Exponential (memoryless) with the given mean; must be above zero.
    Exponential {
        /// The mean span.
        mean: SimDuration,
    },
    /// Log-normal by its median and 90th percentile; `p90` must exceed `median`.
    Lognormal {
        /// Half of the draws are shorter.
        median: SimDuration,
        /// Nine in ten draws are shorter.
        p90: SimDuration,
    },
    /// Uniform between `min` and `max`; `max` must not be below `min`.
    Uniform {
        /// The shortest span.
        min: SimDuration,
        /// The longest span.
        max: SimDuration,
    },
}

impl TryFrom<DistributionSpec> for Distribution {
    type Error = String;

    fn try_from(spec: DistributionSpec) -> Result<Self, String> {
        Ok(match spec {
            DistributionSpec::Fixed { value } => Distribution::Fixed(value),
            DistributionSpec::Exponential { mean } => {
                if mean == SimDuration::ZERO {
                    return Err("an exponential distribution needs a mean above zero".into());
                }
                Distribution::Exponential { mean }
            }
            DistributionSpec::Lognormal { median, p90 } => {
                if median == SimDuration::ZERO {
                    return Err("a lognormal distribution needs a median above zero".into());
                }
                if p90 <= median {
                    return Err(format!(
                        "a lognormal distribution needs p90 above the median (median {median}, p90 {p90})"
                    ));
                }
                Distribution::LogNormal { median, p90 }
            }
            DistributionSpec::Uniform { min, max } => {
                if max < min {
                    return Err(format!("a uniform distribution needs max >= min (min {min}, max {max})"));
                }
                Distribution::Uniform { min, max }
            }
        })
    }
}

impl From<&Distribution> for DistributionSpec {
    fn from(d: &Distribution) -> Self {
        match *d {
            Distribution::Fixed(value) => DistributionSpec::Fixed { value },
            Distribution::Exponential { mean } => DistributionSpec::Exponential { mean },
            Distribution::LogNormal { median, p90 } => DistributionSpec::Lognormal { median, p90 },
            Distribution::Uniform { min, max } => DistributionSpec::Uniform { min, max },
        }
    }
}

impl Serialize for Distribution {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DistributionSpec::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Distribution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DistVisitor;
        impl<'de> Visitor<'de> for DistVisitor {
            type Value = Distribution;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"4h\" or a table such as { dist = \"exponential\", mean = \"2d\" }")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Distribution, E> {
                v.parse().map(Distribution::Fixed).map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Distribution, A::Error> {
                let spec = DistributionSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Distribution::try_from(spec).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(DistVisitor)
    }
}

impl schemars::JsonSchema for Distribution {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Distribution".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let fixed = generator.subschema_for::<SimDuration>();
        let table = generator.subschema_for::<DistributionSpec>();
        schemars::json_schema!({
            "description": "A distribution of durations: a fixed span such as \"4h\", or a table naming `dist` (fixed, exponential, lognormal, uniform) and its parameters.",
            "anyOf": [fixed, table]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn parse(s: &str) -> Result<Distribution, String> {
        #[derive(Deserialize)]
        struct W {
            d: Distribution,
        }
        toml::from_str::<W>(&format!("d = {s}")).map(|w| w.d).map_err(|e| e.to_string())
    }

    fn sample_mean_secs(d: &Distribution) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).sum::<f64>() / n as f64
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(parse("\"4h\"").unwrap(), Distribution::Fixed(SimDuration::from_hours(4)));
        assert_eq!(
            parse("{ dist = \"exponential\", mean = \"2d\" }").unwrap(),
            Distribution::Exponential { mean: SimDuration::from_days(2) }
        );
        assert!(matches!(
            parse("{ dist = \"lognormal\", median = \"1d\", p90 = \"5d\" }").unwrap(),
            Distribution::LogNormal { .. }
        ));
        assert!(matches!(
            parse("{ dist = \"uniform\", min = \"1h\", max = \"2h\" }").unwrap(),
            Distribution::Uniform { .. }
        ));
    }

    #[test]
    fn rejects_impossible_parameters() {
        assert!(parse("{ dist = \"lognormal\", median = \"5d\", p90 = \"1d\" }").unwrap_err().contains("p90 above"));
        assert!(parse("{ dist = \"exponential\", mean = \"0s\" }").unwrap_err().contains("above zero"));
        assert!(parse("{ dist = \"uniform\", min = \"2h\", max = \"1h\" }").unwrap_err().contains("max >= min"));
        assert!(parse("{ dist = \"gamma\", mean = \"1h\" }").unwrap_err().contains("gamma"));
        assert!(parse("{ dist = \"exponential\", mean = \"1h\", sd = \"1h\" }").unwrap_err().contains("sd"));
    }

    #[test]
    fn sample_means_match_the_parameters() {
        for d in [
            Distribution::Exponential { mean: SimDuration::from_hours(2) },
            Distribution::LogNormal { median: SimDuration::from_hours(2), p90: SimDuration::from_hours(10) },
            Distribution::Uniform { min: SimDuration::from_hours(1), max: SimDuration::from_hours(3) },
        ] {
            let want = d.mean().as_secs_f64();
            let got = sample_mean_secs(&d);
            assert!((got - want).abs() / want < 0.02, "{d:?}: mean {got} vs {want}");
        }
    }

    #[test]
    fn keyed_draws_follow_the_distribution() {
        let root = crate::random::Key::trial(9, 0);
        for d in [
            Distribution::Exponential { mean: SimDuration::from_hours(2) },
            Distribution::LogNormal { median: SimDuration::from_hours(2), p90: SimDuration::from_hours(10) },
            Distribution::Uniform { min: SimDuration::from_hours(1), max: SimDuration::from_hours(3) },
        ] {
            let n = 200_000u64;
            let got = (0..n).map(|i| d.draw(root.with(i)).as_secs_f64()).sum::<f64>() / n as f64;
            let want = d.mean().as_secs_f64();
            assert!((got - want).abs() / want < 0.02, "{d:?}: mean {got} vs {want}");
        }
        let d = Distribution::LogNormal { median: SimDuration::from_hours(4), p90: SimDuration::from_hours(40) };
        let mut v: Vec<f64> = (0..100_000u64).map(|i| d.draw(root.with(i)).as_hours_f64()).collect();
        v.sort_by(f64::total_cmp);
        assert!((v[50_000] - 4.0).abs() < 0.15 && (v[90_000] - 40.0).abs() < 2.0, "{} {}", v[50_000], v[90_000]);
        let u = Distribution::Uniform { min: SimDuration(5), max: SimDuration(7) };
        assert!((0..1000u64).all(|i| (5..=7).contains(&u.draw(root.with(i)).0)));
    }

    #[test]
    fn remembered_lognormal_parameters_are_the_computed_ones() {
        // More pairs than the memo has slots, visited twice in two orders,
        // so that slots are shared and overwritten.
        let pairs: Vec<(SimDuration, SimDuration)> = (1..60u64)
            .map(|i| (SimDuration::from_secs(i * 977), SimDuration::from_secs(i * 977 + i * i * 31 + 1)))
            .collect();
        for (median, p90) in pairs.iter().chain(pairs.iter().rev()).copied() {
            let (mu, sigma) = lognormal_params(median, p90);
            let (want_mu, want_sigma) = lognormal_params_of(median, p90);
            assert_eq!((mu.to_bits(), sigma.to_bits()), (want_mu.to_bits(), want_sigma.to_bits()));
        }
    }

    #[test]
    fn lognormal_median_and_p90_hold() {
        let d = Distribution::LogNormal { median: SimDuration::from_hours(4), p90: SimDuration::from_hours(40) };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut v: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng).as_hours_f64()).collect();
        v.sort_by(f64::total_cmp);
        assert!((v[50_000] - 4.0).abs() < 0.15, "median {}", v[50_000]);
        assert!((v[90_000] - 40.0).abs() < 2.0, "p90 {}", v[90_000]);
    }
}
