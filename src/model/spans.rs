//! Where each interned stack sits in the stack arena: its length in a byte,
//! and every 16th stack's start in full (a checkpoint).
//!
//! A log of a million small distinct records holds a million stacks of a
//! few frames; a `u32` start each was 4 MB of its peak, this is 1.25 MB. A
//! stack's start is its checkpoint plus the lengths of the (at most 15)
//! stacks before it since, summed a word at a time, so reading a stack
//! stays a few operations. Stacks
//! of 255 frames or more (`--num-callers` allows 500; longer ones are
//! packed, see `super::packed`) keep their length in a side list.

/// Stacks per checkpoint.
const MARK: usize = 16;
/// A length byte holding this says "the length is in `wide`".
const WIDE: u8 = u8::MAX;

#[derive(Debug, Clone, Default)]
pub(super) struct Spans {
    /// Per stack: its length, or `WIDE`.
    lens: Vec<u8>,
    /// Per `MARK` stacks: where the first of them starts.
    marks: Vec<u32>,
    /// (stack, length) of the stacks whose length is `WIDE`, in stack order.
    wide: Vec<(u32, u32)>,
}

impl Spans {
    /// How many stacks.
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// Adds the next stack, `len` frames starting at `start` (where the
    /// stack before it ended).
    pub fn push(&mut self, start: u32, len: u32) {
        let i = self.lens.len();
        if i % MARK == 0 {
            self.marks.push(start);
        }
        match u8::try_from(len) {
            Ok(l) if l != WIDE => self.lens.push(l),
            _ => {
                self.lens.push(WIDE);
                self.wide.push((i as u32, len));
            }
        }
    }

    /// Makes room for `stacks` more stacks.
    pub fn reserve(&mut self, stacks: usize) {
        self.lens.reserve(stacks);
        self.marks.reserve(stacks.div_ceil(MARK));
    }

    /// Stack `i`'s length.
    #[inline]
    fn length(&self, i: usize) -> u32 {
        match self.lens[i] {
            WIDE => self.wide_length(i),
            l => u32::from(l),
        }
    }

    #[cold]
    fn wide_length(&self, i: usize) -> u32 {
        let k = self
            .wide
            .binary_search_by_key(&(i as u32), |w| w.0)
            .expect("a wide length is listed");
        self.wide[k].1
    }

    /// Stack `i`'s frames: `start..end` in the arena; `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.lens.len() {
            return None;
        }
        let first = i - i % MARK;
        let skip = match self.lens.get(first..first + MARK) {
            Some(block) if self.wide.is_empty() => sum_before(block, i - first),
            _ => (first..i).map(|j| self.length(j)).sum(),
        };
        let start = (self.marks[i / MARK] + skip) as usize;
        Some((start, start + self.length(i) as usize))
    }

    /// Bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.lens.capacity() + self.marks.capacity() * 4 + self.wide.capacity() * 8
    }
}

/// The sum of a whole block's first `k` length bytes, a word at a time.
#[inline]
fn sum_before(block: &[u8], k: usize) -> u32 {
    let word = |at: usize| u64::from_le_bytes(block[at..at + 8].try_into().expect("8 bytes"));
    let below = |k: usize| match k {
        0 => 0,
        8.. => u64::MAX,
        k => u64::MAX >> (64 - 8 * k),
    };
    let (lo, hi) = (word(0) & below(k), word(8) & below(k.saturating_sub(8)));
    byte_sum(lo) + byte_sum(hi)
}

/// The sum of a word's 8 bytes: added in pairs into 16-bit lanes (at most
/// 510 each), then the lanes at once by a multiply into the top lane.
#[inline]
fn byte_sum(x: u64) -> u32 {
    const PAIRS: u64 = 0x00ff_00ff_00ff_00ff;
    let lanes = (x & PAIRS) + ((x >> 8) & PAIRS);
    (lanes.wrapping_mul(0x0001_0001_0001_0001) >> 48) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_reads_back_across_checkpoints_and_wide_lengths() {
        let mut spans = Spans::default();
        let mut want = Vec::new();
        let mut end = 0u32;
        // Lengths around the byte's limit, empty stacks, runs of each.
        let lens = (0..1000u32).map(|i| match i % 37 {
            0 => 254,
            1 => 255,
            2 => 256,
            3 => 500,
            4 | 5 => 0,
            k => k % 13,
        });
        for len in lens {
            spans.push(end, len);
            want.push((end as usize, (end + len) as usize));
            end += len;
        }
        assert_eq!(spans.len(), want.len());
        for (i, &w) in want.iter().enumerate() {
            assert_eq!(spans.get(i), Some(w), "stack {i}");
        }
        assert_eq!(spans.get(want.len()), None);
    }

    #[test]
    fn byte_sums_add_every_byte_below_the_mark() {
        let block: Vec<u8> = (0..16).map(|b| 240 + b).collect();
        for k in 0..=16 {
            let want: u32 = block[..k].iter().map(|&b| u32::from(b)).sum();
            assert_eq!(sum_before(&block, k), want, "first {k}");
        }
        assert_eq!(byte_sum(u64::MAX), 8 * 255);
    }

    #[test]
    fn short_stacks_cost_a_byte_and_a_quarter() {
        let mut spans = Spans::default();
        let n = 1usize << 16;
        let mut end = 0;
        for i in 0..n as u32 {
            spans.push(end, i % 7);
            end += i % 7;
        }
        assert!(spans.wide.is_empty());
        // Stack 17 starts after 0+1+…+6 + 0+1+…+6 + 0+1+2 = 45 frames.
        assert_eq!(spans.get(17), Some((45, 48)));
        // The last one, 65535 % 7 = 1 frame long, ends the arena.
        assert_eq!(spans.get(n - 1), Some((end as usize - 1, end as usize)));
        // A start each was 4 bytes a stack.
        assert!(
            spans.approx_bytes() * 4 <= n * 5,
            "{}",
            spans.approx_bytes()
        );
    }
}
