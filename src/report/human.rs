//! Numbers for people: `3.2 MiB`, `311,464`.

/// Binary units with one decimal, as ncdu and dua show sizes.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// Thousands separators, as valgrind prints counts.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A change in bytes with its sign: `+1.2 MiB`, `-512 B`, `0 B`.
pub fn signed_bytes(d: i64) -> String {
    match d {
        0 => "0 B".to_string(),
        d if d > 0 => format!("+{}", bytes(d as u64)),
        d => format!("-{}", bytes(d.unsigned_abs())),
    }
}

/// A change in a count with its sign: `+1,155`, `-3`, `0`.
pub fn signed_count(d: i64) -> String {
    match d {
        0 => "0".to_string(),
        d if d > 0 => format!("+{}", count(d as u64)),
        d => format!("-{}", count(d.unsigned_abs())),
    }
}

/// Reads a byte count as people write thresholds: `1048576`, `512K`, `1.5MiB`,
/// `2G` (K, M, G, T are powers of 1024, as `bytes` prints them).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        u => return Err(format!("unknown unit '{u}' (expected B, K, M, G or T)")),
    };
    let bad = || format!("'{s}' is not a byte count (e.g. 0, 4096, 512K, 1.5MiB)");
    if num.is_empty() {
        return Err(bad());
    }
    if shift == 0 || !num.contains('.') {
        let n: u64 = num.parse().map_err(|_| bad())?;
        return n.checked_mul(1u64 << shift).ok_or_else(bad);
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let b = v * (1u64 << shift) as f64;
    if b.is_finite() && b >= 0.0 && b < u64::MAX as f64 {
        Ok(b.round() as u64)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn units() {
        assert_eq!(super::bytes(0), "0 B");
        assert_eq!(super::bytes(1023), "1023 B");
        assert_eq!(super::bytes(1024), "1.0 KiB");
        assert_eq!(super::bytes(3_355_443), "3.2 MiB");
        assert_eq!(super::count(1_234_567), "1,234,567");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::signed_bytes(1_258_291), "+1.2 MiB");
        assert_eq!(super::signed_bytes(-512), "-512 B");
        assert_eq!(super::signed_bytes(0), "0 B");
        assert_eq!(super::signed_count(-1_155), "-1,155");
    }

    #[test]
    fn thresholds() {
        use super::parse_bytes as p;
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("4096"), Ok(4096));
        assert_eq!(p("512K"), Ok(512 * 1024));
        assert_eq!(p("1.5MiB"), Ok(1_572_864));
        assert_eq!(p("2 gb"), Ok(2 << 30));
        assert!(p("").is_err());
        assert!(p("1.5").is_err());
        assert!(p("-1").is_err());
        assert!(p("12X").is_err());
        assert!(p("99999999999999999999").is_err());
        assert!(p("99999999999T").is_err());
    }
}
