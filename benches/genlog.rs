//! Builds a large, valid valgrind text log from a real one, for benchmarks:
//! `cargo run --release --example genlog -- REAL_LOG[.gz] OUT SIZE_MB`.
//!
//! The real log's loss records are repeated with shifted addresses, and one
//! caller frame of every record renamed per copy (`fn` → `fn.v17`), so the
//! result has the distinct-stack count of a long JIT workload rather than one
//! stack repeated. The final LEAK SUMMARY is recomputed, so the big log still
//! agrees with itself and a parser can be checked on it.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 4, "usage: genlog REAL_LOG OUT SIZE_MB");
    let target = args[3].parse::<u64>()? << 20;
    let raw = std::fs::File::open(&args[1])?;
    let mut head = [0u8; 2];
    let mut f = BufReader::new(raw);
    f.read_exact(&mut head)?;
    let reader: Box<dyn Read> = {
        let raw = std::fs::File::open(&args[1])?;
        if head == [0x1f, 0x8b] {
            Box::new(flate2::read::MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        }
    };
    let lines: Vec<String> = BufReader::new(reader).lines().collect::<Result<_, _>>()?;
    let pid = lines
        .first()
        .and_then(|l| l.split("==").nth(1))
        .unwrap_or("1")
        .to_string();
    let prefix = format!("=={pid}== ");
    // Split the log into preamble, records, and errors; drop its summaries.
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut preamble: Vec<String> = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for l in &lines {
        let c = l
            .strip_prefix(&prefix)
            .unwrap_or(l.trim_start_matches(&format!("=={pid}==")));
        if c.contains(" in loss record ") {
            cur = Some(vec![c.to_string()]);
        } else if let Some(r) = cur.as_mut() {
            if c.trim().is_empty() {
                records.push(cur.take().unwrap_or_default());
            } else {
                r.push(c.to_string());
            }
        } else if records.is_empty() && !c.starts_with("HEAP SUMMARY") {
            preamble.push(c.to_string());
        }
    }
    anyhow::ensure!(!records.is_empty(), "no loss records in {}", args[1]);
    let out = std::fs::File::create(&args[2])?;
    let mut w = BufWriter::with_capacity(1 << 20, out);
    let mut written: u64 = 0;
    let put = |w: &mut BufWriter<std::fs::File>, s: &str| -> std::io::Result<u64> {
        w.write_all(prefix.as_bytes())?;
        w.write_all(s.as_bytes())?;
        w.write_all(b"\n")?;
        Ok((prefix.len() + s.len() + 1) as u64)
    };
    for l in &preamble {
        written += put(&mut w, l)?;
    }
    let per_copy: u64 = records
        .iter()
        .flatten()
        .map(|l| (l.len() + prefix.len() + 1) as u64)
        .sum();
    let copies = (target / per_copy.max(1)).max(1);
    let total = copies * records.len() as u64;
    let mut sums = [(0u64, 0u64); 4];
    let kinds = [
        "definitely lost",
        "indirectly lost",
        "possibly lost",
        "still reachable",
    ];
    let mut n = 0u64;
    for copy in 0..copies {
        for rec in &records {
            n += 1;
            let header = &rec[0];
            let (before, _) = header
                .split_once(" in loss record ")
                .unwrap_or((header, ""));
            let kind = kinds.iter().position(|k| before.ends_with(k)).unwrap_or(0);
            let direct = first_number(before);
            let direct = match before.find(" direct,") {
                Some(_) => before.split('(').nth(1).map(first_number).unwrap_or(direct),
                None => direct,
            };
            let blocks = before
                .split(" bytes in ")
                .nth(1)
                .map(first_number)
                .unwrap_or(0);
            sums[kind].0 += direct;
            sums[kind].1 += blocks;
            written += put(
                &mut w,
                &format!("{before} in loss record {} of {}", fmt(n), fmt(total)),
            )?;
            for (i, frame) in rec[1..].iter().enumerate() {
                written += put(&mut w, &vary(frame, copy, i))?;
            }
            written += put(&mut w, "")?;
        }
    }
    put(&mut w, "LEAK SUMMARY:")?;
    for (k, (b, bl)) in kinds.iter().zip(sums) {
        put(
            &mut w,
            &format!("   {k:>15}: {} bytes in {} blocks", fmt(b), fmt(bl)),
        )?;
    }
    put(&mut w, "        suppressed: 0 bytes in 0 blocks")?;
    put(&mut w, "")?;
    w.flush()?;
    eprintln!(
        "wrote {} ({} MB, {} records, {copies} copies)",
        args[2],
        written >> 20,
        total
    );
    Ok(())
}

/// Shifts the address and, for the second frame of a record (the caller of the
/// allocator), renames the function per copy so stacks are distinct.
fn vary(frame: &str, copy: u64, index: usize) -> String {
    let Some(at) = frame.find("0x") else {
        return frame.to_string();
    };
    let end = frame[at + 2..]
        .find(':')
        .map(|e| at + 2 + e)
        .unwrap_or(frame.len());
    let addr = u64::from_str_radix(&frame[at + 2..end], 16).unwrap_or(0);
    let shifted = format!(
        "{}0x{:X}{}",
        &frame[..at],
        addr + copy * 0x1000,
        &frame[end..]
    );
    if index == 1 && copy % 7 != 0 {
        if let Some(p) = shifted.find(" (") {
            return format!("{}.v{}{}", &shifted[..p], copy % 400, &shifted[p..]);
        }
    }
    shifted
}

fn first_number(s: &str) -> u64 {
    let digits: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    digits.parse().unwrap_or(0)
}

fn fmt(n: u64) -> String {
    leakscope::report::human::count(n)
}
