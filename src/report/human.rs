//! Numbers for people: `3.2 MiB`, `311,464`.

/// Binary units with one decimal, as ncdu and dua show sizes. Any magnitude
/// a sum can reach (u128) has a unit: past PiB come EiB, ZiB, YiB, RiB, QiB.
pub fn bytes(n: impl Into<u128>) -> String {
    const UNITS: [&str; 11] = [
        "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB", "RiB", "QiB",
    ];
    let n: u128 = n.into();
    if n < 1024 {
        return format!("{n} B");
    }
    // The unit is chosen on the integer, so it is exact at any size; the
    // fraction only decides the one decimal shown.
    let mut u = 0;
    while u < UNITS.len() - 1 && n >> (10 * (u + 1)) > 0 {
        u += 1;
    }
    let v = n as f64 / (1u128 << (10 * u)) as f64;
    // 1023.96 KiB would print as "1024.0 KiB": that is 1.0 MiB.
    let mut out = format!("{v:.1}");
    if out == "1024.0" && u < UNITS.len() - 1 {
        return format!("1.0 {}", UNITS[u + 1]);
    }
    out.push(' ');
    out.push_str(UNITS[u]);
    out
}

/// A byte count to the byte, with its size in units when that says more:
/// `1,234,567 B (1.2 MiB)`, `512 B`.
pub fn exact_bytes(n: impl Into<u128>) -> String {
    let n: u128 = n.into();
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{} B ({})", count(n), bytes(n))
    }
}

/// Thousands separators, as valgrind prints counts.
pub fn count(n: impl Into<u128>) -> String {
    // u128 → decimal is a slow division loop; every real count fits in u64
    // (the tree formats a few hundred figures per frame).
    let n: u128 = n.into();
    let s = match u64::try_from(n) {
        Ok(small) => small.to_string(),
        Err(_) => n.to_string(),
    };
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
pub fn signed_bytes(d: impl Into<i128>) -> String {
    let d: i128 = d.into();
    match d {
        0 => "0 B".to_string(),
        d if d > 0 => format!("+{}", bytes(d.unsigned_abs())),
        d => format!("-{}", bytes(d.unsigned_abs())),
    }
}

/// A change in a count with its sign: `+1,155`, `-3`, `0`.
pub fn signed_count(d: impl Into<i128>) -> String {
    let d: i128 = d.into();
    match d {
        0 => "0".to_string(),
        d if d > 0 => format!("+{}", count(d.unsigned_abs())),
        d => format!("-{}", count(d.unsigned_abs())),
    }
}

/// A series as block characters, one per value (the last `width`), scaled
/// from its smallest to its largest value so growth shows as a rising line;
/// readable without colour. A series that stays within the trend tolerance
/// is drawn level (`▄▄▄▄`), all zeros at the bottom.
pub fn sparkline(series: &[u128], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &series[series.len().saturating_sub(width)..];
    let lo = tail.iter().copied().min().unwrap_or(0);
    let hi = tail.iter().copied().max().unwrap_or(0);
    let level = if hi == 0 { BARS[0] } else { BARS[3] };
    tail.iter()
        .map(|&v| {
            if crate::triage::trend::same(lo, hi) {
                level
            } else {
                let k = ((v - lo) as f64 / (hi - lo) as f64 * 7.0).round() as usize;
                BARS[k.min(7)]
            }
        })
        .collect()
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
    fn sparklines_rise_with_the_series() {
        use super::sparkline;
        assert_eq!(sparkline(&[0, 256, 512, 768], 8), "▁▃▆█");
        assert_eq!(sparkline(&[16_384; 4], 8), "▄▄▄▄");
        assert_eq!(sparkline(&[16_384, 16_400, 16_384], 8), "▄▄▄");
        assert_eq!(sparkline(&[0; 3], 8), "▁▁▁");
        assert_eq!(sparkline(&[1_000, 2_000, 3_000, 4_000, 5_000], 3), "▁▅█");
        assert_eq!(sparkline(&[], 8), "");
        assert_eq!(sparkline(&[u128::MAX, 0], 8), "█▁");
    }

    #[test]
    fn units() {
        assert_eq!(super::bytes(0u64), "0 B");
        assert_eq!(super::bytes(1023u64), "1023 B");
        assert_eq!(super::bytes(1024u64), "1.0 KiB");
        assert_eq!(super::bytes(3_355_443u64), "3.2 MiB");
        assert_eq!(super::count(1_234_567u64), "1,234,567");
        assert_eq!(super::count(999u64), "999");
        assert_eq!(super::exact_bytes(1_234_567u64), "1,234,567 B (1.2 MiB)");
        assert_eq!(super::exact_bytes(1023u64), "1023 B");
        assert_eq!(
            super::exact_bytes(u128::MAX),
            "340,282,366,920,938,463,463,374,607,431,768,211,455 B (268435456.0 QiB)"
        );
        assert_eq!(super::signed_bytes(1_258_291i64), "+1.2 MiB");
        assert_eq!(super::signed_bytes(-512i64), "-512 B");
        assert_eq!(super::signed_bytes(0i64), "0 B");
        assert_eq!(super::signed_count(-1_155i64), "-1,155");
    }

    #[test]
    fn any_magnitude() {
        use super::bytes;
        assert_eq!(bytes(1_048_535u64), "1.0 MiB"); // 1023.96 KiB rounds up a unit
        assert_eq!(bytes(1u128 << 50), "1.0 PiB");
        assert_eq!(bytes(1u128 << 60), "1.0 EiB");
        assert_eq!(bytes(1u128 << 64), "16.0 EiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
        assert_eq!(bytes(1u128 << 100), "1.0 QiB");
        assert_eq!(bytes(u128::MAX), "268435456.0 QiB");
        assert_eq!(super::count(1u128 << 64), "18,446,744,073,709,551,616");
        assert_eq!(super::signed_bytes(-(1i128 << 64)), "-16.0 EiB");
        assert_eq!(
            super::signed_count(i128::MIN),
            format!("-{}", super::count(1u128 << 127))
        );
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
