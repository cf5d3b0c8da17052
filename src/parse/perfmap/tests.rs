use super::*;

fn map(text: &str) -> PerfMap {
    PerfMap::read("perf-1.map", text.as_bytes())
}

#[test]
fn python_entries_split_into_qualname_and_path() {
    let m = map("555c010 b py::leaky_handler:/srv/app/svc.py\n555c020 10 LazyCompile:*f /a.js:3\n");
    assert_eq!(
        m.symbol_at(0x555c015).unwrap(),
        Symbol::Python {
            qualname: "leaky_handler",
            path: "/srv/app/svc.py"
        }
    );
    assert_eq!(
        m.symbol_at(0x555c020).unwrap(),
        Symbol::Other("LazyCompile:*f /a.js:3")
    );
    // The end is exclusive; the gap between entries is padding.
    assert!(m.lookup(0x555c01b).is_none());
    assert!(m.in_padding(0x555c01b, 16));
    assert!(m.lookup(0x555c030).is_none());
    assert!(!m.in_padding(0x555c030, 16));
    assert!(m.lookup(0x555c00f).is_none());
}

#[test]
fn malformed_lines_are_problems_with_their_line_numbers() {
    let m = map("zz 10 f\n1000 10 good\n\n2000\n3000 0 empty\n4000 10\nffffffffffffffff 2 wrap\r\n5000 0x10 hex\n");
    let lines: Vec<u64> = m.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 4, 5, 6, 7]);
    assert_eq!(m.problems[0].message, "start \"zz\" is not hex");
    assert_eq!(m.entries().len(), 2);
    assert_eq!(m.symbol_at(0x5008).unwrap(), Symbol::Other("hex"));
}

#[test]
fn problems_beyond_ten_are_counted() {
    let text = "x\n".repeat(25);
    let m = map(&text);
    assert_eq!(m.problems.len(), 10);
    assert_eq!(m.more_problems, 15);
}

#[test]
fn later_entries_replace_what_they_overlap() {
    // A JIT reusing freed memory writes a new entry over an old one.
    let m = map("1000 100 old\n1040 10 new\n1000 20 newer\n");
    let name = |a| match m.symbol_at(a).unwrap() {
        Symbol::Other(n) => n.to_string(),
        s => panic!("{s:?}"),
    };
    assert_eq!(name(0x1000), "newer");
    assert_eq!(name(0x101f), "newer");
    assert_eq!(name(0x1020), "old");
    assert_eq!(name(0x1045), "new");
    assert_eq!(name(0x1050), "old");
    assert_eq!(name(0x10ff), "old");
    assert!(m.lookup(0x1100).is_none());
}

#[test]
fn pid_comes_from_the_file_name() {
    assert_eq!(find::pid_of_name("/tmp/perf-13731.map"), Some(13731));
    assert_eq!(find::pid_of_name("run/perf-7.map.gz"), Some(7));
    assert_eq!(find::pid_of_name("perf-x.map"), None);
    assert_eq!(find::pid_of_name("svc.map"), None);
}

#[test]
fn arenas_written_out_of_address_order_are_sorted() {
    // CPython writes each code arena in address order; a later arena may lie
    // below an earlier one.
    let m = map("2000 10 b1\n2010 10 b2\n1000 10 a1\n1010 10 a2\n");
    let starts: Vec<u64> = m.entries().iter().map(|e| e.start).collect();
    assert_eq!(starts, [0x1000, 0x1010, 0x2000, 0x2010]);
    assert_eq!(m.symbol_at(0x1015), Some(Symbol::Other("a2")));
    assert_eq!(m.symbol_at(0x2005), Some(Symbol::Other("b1")));
}

#[test]
fn entries_written_again_at_one_address_keep_the_last() {
    // Out of order and overlapping: the painting pass, which keeps file order
    // among equal starts.
    let m = map("5000 10 x\nffff 30 one\nffff 30 two\nffff 10 three\n1000 10 y\n");
    assert_eq!(m.symbol_at(0xffff), Some(Symbol::Other("three")));
    assert_eq!(m.symbol_at(0x1000f), Some(Symbol::Other("two")));
    assert_eq!(m.symbol_at(0x5000), Some(Symbol::Other("x")));
    assert_eq!(m.entries().len(), 4);
}

#[test]
fn names_keep_what_follows_the_size_and_lose_only_the_ends_blanks() {
    let m = map("  10\t8  py::f:/a b.py \r\n20 8 \u{1b}[31mred\n");
    assert_eq!(
        m.symbol_at(0x10),
        Some(Symbol::Python {
            qualname: "f",
            path: "/a b.py"
        })
    );
    assert_eq!(m.symbol_at(0x20), Some(Symbol::Other("\u{1b}[31mred")));
}
