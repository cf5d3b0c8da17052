//! Valgrind numbers the records of one leak search `1 of M` … `M of M`. A
//! record past M, or an M that changes within a search, means records were
//! lost, duplicated or forged on the way: the figures still count what was
//! read, and the user is told where the numbering breaks.

use crate::model::{Report, Warning};

/// Warnings for impossible numbering in the processes from `first` on (those
/// just read from one input), one per break, with the record's line.
pub fn check(report: &Report, first: usize) -> Vec<Warning> {
    let mut out = Vec::new();
    for p in &report.processes[first..] {
        for search in &p.leak_searches {
            let mut total: Option<u32> = None;
            for (i, r) in search.records.iter().enumerate() {
                let (Some(n), Some(m)) = (r.number(), search.of(i)) else {
                    continue;
                };
                if n > m {
                    out.push(Warning {
                        line: r.line(),
                        message: format!(
                            "PID {}: loss record {n} of {m} is numbered past its own total",
                            p.pid
                        ),
                    });
                }
                match total {
                    Some(t) if t != m => {
                        out.push(Warning {
                            line: r.line(),
                            message: format!(
                                "PID {}: loss record {n} of {m} in a leak search whose records were numbered of {t}: records may be missing or repeated",
                                p.pid
                            ),
                        });
                        total = Some(m);
                    }
                    None => total = Some(m),
                    _ => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::Format;

    fn warnings(log: &str) -> Vec<(u64, String)> {
        let r = crate::parse::parse_bytes("t", log.as_bytes(), Some(Format::ValgrindText)).unwrap();
        r.inputs[0]
            .warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .collect()
    }

    fn record(n: &str, m: &str) -> String {
        format!(
            "==1== 8 bytes in 1 blocks are definitely lost in loss record {n} of {m}\n\
             ==1==    at 0x1: malloc (a.c:1)\n==1== \n"
        )
    }

    #[test]
    fn numbering_past_its_total_or_changing_total_is_a_warning() {
        let head = "==1== Memcheck, a memory error detector\n==1== \n";
        let log = format!("{head}{}{}", record("5", "3"), record("1", "4"));
        let w = warnings(&log);
        let numbering: Vec<_> = w
            .iter()
            .filter(|(_, m)| m.contains("loss record"))
            .collect();
        assert_eq!(numbering.len(), 2, "{w:?}");
        assert_eq!(numbering[0].0, 3);
        assert!(numbering[0].1.contains("5 of 3 is numbered past"), "{w:?}");
        assert_eq!(numbering[1].0, 6);
        assert!(numbering[1].1.contains("numbered of 3"), "{w:?}");
        let fine = format!("{head}{}{}", record("1", "2"), record("2", "2"));
        assert!(warnings(&fine)
            .iter()
            .all(|(_, m)| !m.contains("loss record")));
    }
}
