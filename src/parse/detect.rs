//! Format detection from content, never from the file name: logs get renamed,
//! piped and archived.

use crate::model::Format;

/// Decides the format from the first bytes (decompressed) of an input.
pub fn detect_format(head: &[u8]) -> Format {
    let text = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    // With --xml-fd=2 the program's own stderr can come before the XML.
    if start.starts_with("<?xml")
        || start.starts_with("<valgrindoutput")
        || text.contains("\n<valgrindoutput>")
    {
        return Format::ValgrindXml;
    }
    // Sanitizer banners first: `==9==ERROR: LeakSanitizer:` also looks like a
    // valgrind `==PID==` prefix.
    if text.contains("ERROR: LeakSanitizer:") || text.contains("ERROR: AddressSanitizer:") {
        return Format::Lsan;
    }
    let memcheck = text.contains(" in loss record ")
        || text.lines().any(|l| {
            crate::parse::text::split_prefix(l.as_bytes())
                .is_some_and(|(_, c)| c.starts_with(b"Memcheck") || c.starts_with(b"Command: "))
        });
    if !memcheck && (text.contains("Direct leak of ") || text.contains("Indirect leak of ")) {
        return Format::Lsan;
    }
    Format::ValgrindText
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        assert_eq!(
            detect_format(b"<?xml version=\"1.0\"?>\n<valgrindoutput>"),
            Format::ValgrindXml
        );
        assert_eq!(
            detect_format(b"==12== Memcheck, a memory error detector\n"),
            Format::ValgrindText
        );
        assert_eq!(
            detect_format(b"\n=================================================================\n==9==ERROR: LeakSanitizer: detected memory leaks\n\nDirect leak of 7 byte(s) in 1 object(s) allocated from:\n"),
            Format::Lsan
        );
        assert_eq!(detect_format(b"just prose"), Format::ValgrindText);
        assert_eq!(
            detect_format(b"program output\n<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n"),
            Format::ValgrindXml
        );
        assert_eq!(
            detect_format(b"==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x1"),
            Format::Lsan
        );
        assert_eq!(
            detect_format(b"the manual mentions <valgrindoutput> in prose"),
            Format::ValgrindText
        );
    }
}
