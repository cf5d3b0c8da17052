//! What the screening needs to know of each location, decided once for
//! every matcher thread.
//!
//! The screening (`Plan::may_match`) asks two things of a stack's frames:
//! which of the rules' lines before their first `...` say no at its top
//! frames, and which anchors (lines after a `...`) might match somewhere.
//! Both depend only on a frame's location, so each location's answers are
//! a row of bits, tested the first time a thread meets the location and
//! then read by every thread. Each thread used to keep its own rows, so
//! every location's first-time tests (names made, globs run: most of the
//! screening's work on a log of many locations) were done once per thread.
//! Two threads meeting a new location at the same moment both test it and
//! store the same bits.

use crate::model::Frames;
use crate::triage::rules::matcher::{FrameMatcher, Tri};
use crate::triage::rules::supp_file::FramePattern;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bit of an anchor row that says it is known.
const KNOWN: u64 = 1 << 63;
/// Anchors a row holds at most.
pub(super) const ANCHOR_BITS: usize = 63;
/// Top lines a row holds at most: bit `k` says line `k` says no, bit
/// `32 + k` that line `k` was tested.
pub(super) const LINE_BITS: usize = 32;

/// A rule's line before its first `...`: where it tests the stack from the
/// top, its pattern id, the pattern, and the rules (as bits) it opens.
pub(super) type TopLine<'a> = (usize, u32, &'a FramePattern, u64);

/// Per location, two rows of bits (see the module documentation).
pub(super) struct LocationRows {
    /// Bit `k`: top line `k` says no here; bit `32 + k`: it was tested
    /// (a line is tested where it could rule out a rule still in the
    /// running, as each thread did: most lines never need testing at most
    /// locations).
    no: Vec<AtomicU64>,
    /// Bit `i`: anchor `i` matches here, or might.
    anchors: Vec<AtomicU64>,
}

impl LocationRows {
    /// Rows for a report of `locations` locations, none known yet.
    pub(super) fn new(locations: usize) -> Self {
        let zeros = || (0..locations).map(|_| AtomicU64::new(0)).collect();
        LocationRows {
            no: zeros(),
            anchors: zeros(),
        }
    }

    /// Which of the lines `want` (bits into `lines`) say no at location
    /// `loc`.
    #[inline]
    pub(super) fn no(&self, fm: &mut FrameMatcher, lines: &[TopLine], loc: u32, want: u64) -> u64 {
        let row = self.no[loc as usize].load(Ordering::Relaxed);
        if (row >> LINE_BITS) & want == want {
            return row & want;
        }
        self.test_no(fm, lines, loc, want & !(row >> LINE_BITS)) | (row & want)
    }

    /// Tests the lines `new` at `loc` the first time; keeps and returns
    /// which say no.
    #[cold]
    #[inline(never)]
    fn test_no(&self, fm: &mut FrameMatcher, lines: &[TopLine], loc: u32, new: u64) -> u64 {
        let mut no = 0;
        let mut bits = new;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            let (_, pid, pat, _) = lines[k];
            if fm.matches_at(pid, pat, loc) == Tri::No {
                no |= 1 << k;
            }
            bits &= bits - 1;
        }
        self.no[loc as usize].fetch_or(no | new << LINE_BITS, Ordering::Relaxed);
        no
    }

    /// Which of `anchors` might match at location `loc`.
    #[inline]
    pub(super) fn anchors(
        &self,
        fm: &mut FrameMatcher,
        anchors: &[(u32, &FramePattern)],
        loc: u32,
    ) -> u64 {
        let known = self.anchors[loc as usize].load(Ordering::Relaxed);
        if known & KNOWN != 0 {
            return known & !KNOWN;
        }
        self.test_anchors(fm, anchors, loc)
    }

    /// [`Self::anchors`] the first time: tests them and keeps the row.
    #[cold]
    #[inline(never)]
    fn test_anchors(
        &self,
        fm: &mut FrameMatcher,
        anchors: &[(u32, &FramePattern)],
        loc: u32,
    ) -> u64 {
        let row = fm.row(anchors.iter().copied(), loc, |v| v != Tri::No);
        self.anchors[loc as usize].store(row | KNOWN, Ordering::Relaxed);
        row
    }

    /// The anchors present somewhere in `stack`: a row per frame, or'ed.
    pub(super) fn anchors_in(
        &self,
        fm: &mut FrameMatcher,
        anchors: &[(u32, &FramePattern)],
        stack: Frames,
    ) -> u64 {
        let interner = fm.interner();
        let mut present = 0;
        let mut see = |fm: &mut FrameMatcher, f| {
            present |= self.anchors(fm, anchors, interner.location_of(f) as u32);
        };
        match stack.as_slice() {
            Some(frames) => frames.iter().for_each(|&f| see(fm, f)),
            None => stack.listed_frames().for_each(|&f| see(fm, f)),
        }
        present
    }
}
