//! Numbers as a reader would write them: thousands separated, and rounded
//! to what their confidence interval supports, the same way across a row.

/// `x` with `decimals` decimal places and thousands separators.
pub fn with_decimals(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    let zero = out.chars().all(|c| c == '0' || c == '.' || c == ',');
    if x < 0.0 && !zero { format!("-{out}") } else { out }
}

/// The decimals a value known to within `half_width` deserves: two
/// significant digits of the half-width, none for whole numbers known to
/// within one, at most three.
pub fn decimals_for(half_width: f64, whole_numbers: bool) -> usize {
    if !half_width.is_finite() || half_width <= 0.0 {
        return if whole_numbers { 0 } else { 2 };
    }
    let d = (1.0 - half_width.log10().floor()).max(0.0) as usize;
    if whole_numbers && half_width >= 1.0 { 0 } else { d.min(3) }
}

/// Decimals for a share and its interval: two, or up to four when two
/// would print a bound that differs from the share as the share itself
/// (1,000 of 1,000 trials is [0.996, 1.000], not [1.00, 1.00]).
pub fn decimals_for_share(share: f64, low: f64, high: f64) -> usize {
    let hides = |d: usize, bound: f64| {
        bound.is_finite() && (bound - share).abs() > 1e-12 && with_decimals(bound, d) == with_decimals(share, d)
    };
    let mut d = 2;
    while d < 4 && (hides(d, low) || hides(d, high)) {
        d += 1;
    }
    d
}

/// A number as a reader would write it on its own: thousands separated, no
/// decimals from 10 up, two below.
pub fn readable(x: f64) -> String {
    if x.is_finite() && x.abs() < 10.0 && x.fract() != 0.0 { with_decimals(x, 2) } else { with_decimals(x, 0) }
}

/// A count of things with the noun that agrees with it.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", with_decimals(n as f64, 0), if n == 1 { one } else { many })
}

/// Numbers one sentence sets side by side ("from 10.0 to 9.5"), all to the
/// same precision: whole when every one is whole, one decimal when that
/// shows each exactly (a median of counts halfway between two), otherwise
/// as [`readable`] would show the one that needs most.
pub fn alike(xs: &[f64]) -> Vec<String> {
    let needs = |x: f64| -> usize {
        if !x.is_finite() || x.fract() == 0.0 {
            0
        } else if ((x * 10.0) - (x * 10.0).round()).abs() < 1e-9 {
            1
        } else if x.abs() >= 10.0 {
            0
        } else {
            2
        }
    };
    let decimals = xs.iter().map(|&x| needs(x)).max().unwrap_or(0);
    xs.iter().map(|&x| with_decimals(x, decimals)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(readable(1240.0), "1,240");
        assert_eq!(readable(1_144_850.4), "1,144,850");
        assert_eq!(readable(85.0), "85");
        assert_eq!(readable(0.25), "0.25");
        assert_eq!(readable(-3000.0), "-3,000");
        assert_eq!(with_decimals(-0.0001, 2), "0.00");
        assert_eq!(count(1, "device", "devices"), "1 device");
        assert_eq!(count(6060, "device", "devices"), "6,060 devices");
    }

    #[test]
    fn numbers_side_by_side_share_their_precision() {
        // A median of counts halfway between two is 9.5, not 9.50, and the
        // number beside it is given to the same place.
        assert_eq!(alike(&[10.0, 9.5]), ["10.0", "9.5"]);
        assert_eq!(alike(&[1240.0, 980.0]), ["1,240", "980"]);
        assert_eq!(alike(&[3.27, 12.0]), ["3.27", "12.00"]);
        assert_eq!(alike(&[1240.37, 980.12]), ["1,240", "980"]);
    }

    #[test]
    fn precision_follows_the_interval() {
        // A mean of 530 known to ±21: no decimals; 0.70 known to ±0.04: two.
        assert_eq!(decimals_for(21.0, true), 0);
        assert_eq!(decimals_for(0.038, false), 3);
        assert_eq!(decimals_for(0.4, false), 2);
        assert_eq!(decimals_for(4.0, false), 1);
        assert_eq!(decimals_for(0.4, true), 2);
    }
}
