//! Finding line ends in a chunk, 64 bytes at a time.
//!
//! Lines of a valgrind log are short (80 bytes on average), so a `memchr`
//! call per line spends most of its time starting up; the chunk cutter and
//! the chunk workers each look for every line end of a log. Here a block of
//! 64 bytes is compared at once into a bit mask of its newlines, and each
//! line end then costs a bit scan.

/// The offsets of the `\n` bytes of `data` from `from` on, in order.
pub(super) struct NewLines<'a> {
    data: &'a [u8],
    /// Where the block of `mask` starts.
    block: usize,
    /// The block's newlines not yet returned, bit `i` for `block + i`.
    mask: u64,
}

impl<'a> NewLines<'a> {
    pub fn new(data: &'a [u8], from: usize) -> Self {
        let from = from.min(data.len());
        NewLines {
            data,
            block: from,
            mask: mask(&data[from..]),
        }
    }
}

impl Iterator for NewLines<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.block += 64;
            if self.block >= self.data.len() {
                self.block = self.data.len();
                return None;
            }
            self.mask = mask(&self.data[self.block..]);
        }
        let at = self.block + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Bit `i` set where `data[i]` is a newline, for the first 64 bytes.
#[inline]
pub(super) fn mask(data: &[u8]) -> u64 {
    match data.first_chunk::<64>() {
        Some(block) => mask64(block),
        None => data
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .fold(0, |m, (i, _)| m | 1 << i),
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let p = block.as_ptr().cast::<__m128i>();
    // SAFETY: SSE2 is part of the x86_64 baseline, and the four unaligned
    // 16-byte loads stay within the 64 bytes of `block`.
    unsafe {
        let nl = _mm_set1_epi8(b'\n' as i8);
        let part = |i: usize| {
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(p.add(i)), nl)) as u16 as u64
        };
        part(0) | part(1) << 16 | part(2) << 32 | part(3) << 48
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn mask64(block: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for (i, &b) in block.iter().enumerate() {
        m |= ((b == b'\n') as u64) << i;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(data: &[u8], from: usize) -> Vec<usize> {
        (from..data.len()).filter(|&i| data[i] == b'\n').collect()
    }

    #[test]
    fn finds_every_newline_across_blocks() {
        let mut data = vec![b'x'; 300];
        for i in [0, 1, 63, 64, 65, 127, 128, 200, 255, 256, 299] {
            data[i] = b'\n';
        }
        for from in [0, 1, 2, 63, 64, 100, 299, 300, 400] {
            assert_eq!(
                NewLines::new(&data, from).collect::<Vec<_>>(),
                naive(&data, from.min(300))
            );
        }
        assert_eq!(NewLines::new(b"", 0).next(), None);
    }

    proptest! {
        #[test]
        fn agrees_with_a_byte_by_byte_search(
            data in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..400),
            from in 0usize..420,
        ) {
            let got: Vec<usize> = NewLines::new(&data, from).collect();
            prop_assert_eq!(got, naive(&data, from.min(data.len())));
        }
    }
}
