//! Counts with the word that agrees with them.

/// "1 device", "2 devices".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular() {
        assert_eq!(super::count(1, "run", "runs"), "1 run");
        assert_eq!(super::count(0, "run", "runs"), "0 runs");
    }
}
