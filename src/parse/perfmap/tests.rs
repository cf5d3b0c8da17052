use super::*;

fn map(text: &str) -> PerfMap {
    PerfMap::read("perf-1.map", text.as_bytes())
}

#[test]
fn python_entries_split_into_qualname_and_path() {
    let m = map("555c010 b py::leaky_handler:/srv/app/svc.py\n555c020 10 LazyCompile:*f /a.js:3\n");
    assert_eq!(
        m.lookup(0x555c015).unwrap().symbol,
        Symbol::Python {
            qualname: "leaky_handler".into(),
            path: "/srv/app/svc.py".into()
        }
    );
    assert_eq!(
        m.lookup(0x555c020).unwrap().symbol,
        Symbol::Other("LazyCompile:*f /a.js:3".into())
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
    assert_eq!(
        m.lookup(0x5008).unwrap().symbol,
        Symbol::Other("hex".into())
    );
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
    let name = |a| match &m.lookup(a).unwrap().symbol {
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
