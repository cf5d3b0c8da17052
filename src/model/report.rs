//! A report: everything read from one or more inputs.

use super::interner::Interner;
use super::process::Process;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "valgrind-text")]
    ValgrindText,
    #[serde(rename = "valgrind-xml")]
    ValgrindXml,
    #[serde(rename = "lsan")]
    Lsan,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ValgrindText => "valgrind-text",
            Format::ValgrindXml => "valgrind-xml",
            Format::Lsan => "lsan",
        }
    }
}

/// Something odd in the input that did not stop the parse. Warnings are data:
/// the user sees them next to what could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// 1-based line; 0 when it concerns the whole input.
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// As the user named it; `-` for stdin.
    pub path: String,
    pub format: Format,
    pub warnings: Vec<Warning>,
    /// Bytes read (uncompressed) and lines seen.
    #[serde(skip)]
    pub bytes: u64,
    #[serde(skip)]
    pub lines: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub inputs: Vec<Input>,
    pub processes: Vec<Process>,
    pub interner: Interner,
}

impl Report {
    pub fn new() -> Self {
        Report {
            inputs: Vec::new(),
            processes: Vec::new(),
            interner: Interner::new(),
        }
    }

    /// About how many bytes the report holds: what copying it would cost.
    pub fn approx_bytes(&self) -> usize {
        let per_process = |p: &Process| {
            p.errors.capacity() * std::mem::size_of::<crate::model::MemcheckError>()
                + p.leak_searches
                    .iter()
                    .map(|s| s.records.capacity() * std::mem::size_of::<crate::model::LossRecord>())
                    .sum::<usize>()
        };
        self.interner.approx_bytes() + self.processes.iter().map(per_process).sum::<usize>()
    }

    /// Starts a process read from input `input`; returns its index.
    pub fn add_process(&mut self, pid: u32, input: usize) -> usize {
        self.processes.push(Process {
            pid,
            input,
            ..Process::default()
        });
        self.processes.len() - 1
    }
}
