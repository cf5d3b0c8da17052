//! The interner's frames as stored: each an address and a location, in 6
//! bytes while the log has fewer than 65,536 locations, 8 after (a million
//! distinct addresses, as a log of small distinct records has, are 6 MB,
//! not 12).
//!
//! The code at one location (a function in one object) sits in one place in
//! memory, so its addresses share their upper 32 bits: the location keeps
//! them (those of the address it was first seen with), each frame only the
//! lower 32. An address that does not fit — other upper bits, lower bits of
//! `u32::MAX`, or none at all (`NO_ADDR`) — is stored whole in `wide`, its
//! lower field `WIDE`.

use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// The stored address of a frame without one (masked `0x........`, XML
/// without `<ip>`). Valgrind never prints this address.
pub(super) const NO_ADDR: u64 = u64::MAX;

/// A frame's lower field holding this says "the address is in `wide`".
const WIDE: u32 = u32::MAX;

#[derive(Debug, Default, Clone)]
pub(super) struct FrameTable {
    /// Per frame: the address's lower 32 bits, or `WIDE`.
    low: Vec<u32>,
    /// Per frame: its location.
    loc: Locs,
    /// Per location: the upper 32 bits of its addresses.
    high: Vec<u32>,
    /// Frames whose address does not fit `low` (see the module's doc).
    wide: FxHashMap<u32, u64>,
}

/// The hash a frame is indexed by.
pub(super) fn frame_hash(addr: u64, loc: u32) -> u64 {
    FxBuildHasher.hash_one((addr, loc))
}

impl FrameTable {
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// Frame `i`'s address (`NO_ADDR` for none).
    #[inline]
    pub fn addr(&self, i: usize) -> u64 {
        let low = self.low[i];
        if low == WIDE {
            return self.wide[&(i as u32)];
        }
        (u64::from(self.high[self.loc.get(i) as usize]) << 32) | u64::from(low)
    }

    /// Frame `i`'s location.
    #[inline]
    pub fn loc(&self, i: usize) -> u32 {
        self.loc.get(i)
    }

    /// Frame `i`'s hash (see [`frame_hash`]).
    #[inline]
    pub fn hash(&self, i: usize) -> u64 {
        frame_hash(self.addr(i), self.loc.get(i))
    }

    /// Whether frame `i` is address `a` at location `loc`.
    #[inline]
    pub fn is(&self, i: usize, a: u64, loc: u32) -> bool {
        self.loc.get(i) == loc && self.addr(i) == a
    }

    /// Adds a frame; returns its index.
    pub fn push(&mut self, a: u64, loc: u32) -> u32 {
        let i = self.low.len() as u32;
        let low = a as u32;
        if (a >> 32) as u32 == self.high[loc as usize] && low != WIDE {
            self.low.push(low);
        } else {
            self.low.push(WIDE);
            self.wide.insert(i, a);
        }
        self.loc.push(loc);
        i
    }

    /// Adds a location whose addresses' upper bits are those of `a`.
    pub fn add_location(&mut self, a: u64) {
        self.high.push((a >> 32) as u32);
    }

    /// The upper bits location `l`'s addresses have (an address there to
    /// give [`Self::add_location`] when copying it).
    pub fn location_base(&self, l: usize) -> u64 {
        u64::from(self.high[l]) << 32
    }

    /// About how many bytes it holds.
    pub fn approx_bytes(&self) -> usize {
        self.low.capacity() * 4
            + self.loc.approx_bytes()
            + self.high.capacity() * 4
            + self.wide.capacity() * 16
    }
}

/// Each frame's location: in 2 bytes while every location number fits,
/// widened to 4 (once, copying) when the 65,537th location gets a frame.
#[derive(Debug, Clone)]
enum Locs {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for Locs {
    fn default() -> Self {
        Locs::Narrow(Vec::new())
    }
}

impl Locs {
    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Locs::Narrow(v) => u32::from(v[i]),
            Locs::Wide(v) => v[i],
        }
    }

    #[inline]
    fn push(&mut self, l: u32) {
        match self {
            Locs::Narrow(v) => match u16::try_from(l) {
                Ok(n) => v.push(n),
                Err(_) => {
                    self.widen();
                    self.push(l);
                }
            },
            Locs::Wide(v) => v.push(l),
        }
    }

    #[cold]
    fn widen(&mut self) {
        if let Locs::Narrow(v) = self {
            let mut wide = Vec::with_capacity(v.capacity());
            wide.extend(v.iter().map(|&n| u32::from(n)));
            *self = Locs::Wide(wide);
        }
    }

    fn approx_bytes(&self) -> usize {
        match self {
            Locs::Narrow(v) => v.capacity() * 2,
            Locs::Wide(v) => v.capacity() * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_reads_back_whole() {
        let mut t = FrameTable::default();
        let bases = [
            0x0484_17b4,
            0x7fff_0000_1000,
            NO_ADDR,
            0xffff_ffff_ff60_0000,
        ];
        for &b in &bases {
            t.add_location(b);
        }
        let odd = [
            0,
            1,
            0x5a0_0010,
            0xffff_fffe,
            0xffff_ffff,
            0x1_0000_0000,
            0x7fff_0000_0fff,
            0x7fff_ffff_ffff,
            0xffff_ffff_0000_0000,
            0xffff_ffff_ff60_0000,
            NO_ADDR - 1,
            NO_ADDR,
        ];
        let mut want = Vec::new();
        for l in 0..bases.len() as u32 {
            for &a in odd.iter().chain(&[bases[l as usize]]) {
                assert_eq!(t.push(a, l) as usize, want.len());
                want.push((a, l));
            }
        }
        for (i, &(a, l)) in want.iter().enumerate() {
            assert_eq!((t.addr(i), t.loc(i)), (a, l), "frame {i}");
            assert!(t.is(i, a, l));
            assert_eq!(t.hash(i), frame_hash(a, l));
        }
        // Addresses near their location's take no side entry.
        let wide = t.wide.len();
        for k in 0..1000u64 {
            t.push(0x7fff_0000_1000 + 16 * k, 1);
        }
        assert_eq!(t.wide.len(), wide);
        assert_eq!(t.location_base(1), 0x7fff_0000_0000);
    }

    #[test]
    fn locations_take_two_bytes_until_there_are_more_than_65536() {
        let mut t = FrameTable::default();
        let n = (1u32 << 16) + 10;
        for l in 0..n {
            t.add_location(0x0400_0000);
            assert_eq!(t.push(0x0400_0000 + u64::from(l), l), l);
            if l == 0xffff {
                assert!(matches!(t.loc, Locs::Narrow(_)));
            }
        }
        assert!(matches!(t.loc, Locs::Wide(_)));
        for l in 0..n {
            let i = l as usize;
            assert_eq!((t.loc(i), t.addr(i)), (l, 0x0400_0000 + u64::from(l)));
        }
    }
}
