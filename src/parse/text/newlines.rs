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

/// Pushes the offset of every newline of `data` from `from` on, a block
/// of 64 bytes at a time, in a loop with nothing else in it (the chunk
/// cutter's first pass over what it read). With AVX2, a block is two
/// compares rather than four.
pub(super) fn push_ends(data: &[u8], from: usize, ends: &mut Vec<u32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { push_ends_avx2(data, from, ends) };
        return;
    }
    push_ends_by::<false>(data, from, ends);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn push_ends_avx2(data: &[u8], from: usize, ends: &mut Vec<u32>) {
    push_ends_by::<true>(data, from, ends);
}

/// [`push_ends`]' loop, its blocks' masks made with AVX2 or not (inlined
/// into a function that has the feature when `AVX2`).
#[inline(always)]
fn push_ends_by<const AVX2: bool>(data: &[u8], from: usize, ends: &mut Vec<u32>) {
    let mut block = from;
    while block < data.len() {
        let rest = &data[block..];
        let mut m = match rest.first_chunk::<64>() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: only instantiated with `AVX2` where the CPU has it.
            Some(b) if AVX2 => unsafe { mask64_avx2(b) },
            Some(b) => mask64(b),
            None => mask(rest),
        };
        while m != 0 {
            ends.push((block + m.trailing_zeros() as usize) as u32);
            m &= m - 1;
        }
        block += 64;
    }
}

/// [`mask64`] with two 32-byte compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn mask64_avx2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let p = block.as_ptr().cast::<__m256i>();
    let nl = _mm256_set1_epi8(b'\n' as i8);
    // The two unaligned 32-byte loads stay within the 64 bytes of `block`.
    let half = |i: usize| {
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(p.add(i)), nl)) as u32 as u64
    };
    half(0) | half(1) << 32
}

/// Bit `i` set where `data[i]` is a newline, for the first 64 bytes.
#[inline]
fn mask(data: &[u8]) -> u64 {
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
        /// The cutter's first pass finds what the iterator finds, with
        /// AVX2 where the CPU has it and without.
        #[test]
        fn pushed_ends_agree_with_a_byte_by_byte_search(
            data in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..400),
            from in 0usize..420,
        ) {
            let want: Vec<u32> = naive(&data, from.min(data.len())).into_iter().map(|e| e as u32).collect();
            let mut got = vec![7];
            push_ends(&data, from.min(data.len()), &mut got);
            prop_assert_eq!(&got[1..], &want[..]);
            let mut plain = Vec::new();
            push_ends_by::<false>(&data, from.min(data.len()), &mut plain);
            prop_assert_eq!(plain, want);
        }

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
