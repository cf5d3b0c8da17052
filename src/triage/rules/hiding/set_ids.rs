//! Match-set ids, one per record or per stack: a byte each while the rules
//! have made fewer than [`NARROW_SETS`] distinct match sets (a log nearly
//! always has a few dozen), four bytes once they have made more. A million
//! records' sets take 1 MB instead of 4, and a million stacks' as much.
//! The explorer builds its view while it holds the whole report, so these
//! tables count in its peak (1 M small records: 83.8 -> 81.7 MB).

use super::{SetId, UNKNOWN};

/// Real set ids that fit a byte; the two bytes above stand for the two
/// markers (`UNKNOWN`, and a stack claimed for a batch: `UNKNOWN - 1`).
const NARROW_SETS: SetId = 254;

#[derive(Debug, Clone)]
pub(super) enum SetIds {
    Narrow(Vec<u8>),
    Wide(Vec<SetId>),
}

impl Default for SetIds {
    fn default() -> Self {
        SetIds::Narrow(Vec::new())
    }
}

fn narrow(s: SetId) -> Option<u8> {
    match s {
        UNKNOWN => Some(255),
        s if s == UNKNOWN - 1 => Some(254),
        s if s < NARROW_SETS => Some(s as u8),
        _ => None,
    }
}

fn wide(b: u8) -> SetId {
    match b {
        255 => UNKNOWN,
        254 => UNKNOWN - 1,
        b => b as SetId,
    }
}

impl SetIds {
    pub fn len(&self) -> usize {
        match self {
            SetIds::Narrow(v) => v.len(),
            SetIds::Wide(v) => v.len(),
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<SetId> {
        match self {
            SetIds::Narrow(v) => v.get(i).map(|&b| wide(b)),
            SetIds::Wide(v) => v.get(i).copied(),
        }
    }

    /// Set `i` (which must exist).
    #[inline]
    pub fn at(&self, i: usize) -> SetId {
        match self {
            SetIds::Narrow(v) => wide(v[i]),
            SetIds::Wide(v) => v[i],
        }
    }

    pub fn set(&mut self, i: usize, s: SetId) {
        if let SetIds::Narrow(v) = self {
            match narrow(s) {
                Some(b) => return v[i] = b,
                None => self.widen(),
            }
        }
        if let SetIds::Wide(v) = self {
            v[i] = s;
        }
    }

    pub fn push(&mut self, s: SetId) {
        if let SetIds::Narrow(v) = self {
            match narrow(s) {
                Some(b) => return v.push(b),
                None => self.widen(),
            }
        }
        if let SetIds::Wide(v) = self {
            v.push(s);
        }
    }

    /// Grows to `n` entries, the new ones `fill`.
    pub fn resize(&mut self, n: usize, fill: SetId) {
        if let SetIds::Narrow(v) = self {
            match narrow(fill) {
                Some(b) => return v.resize(n, b),
                None => self.widen(),
            }
        }
        if let SetIds::Wide(v) = self {
            v.resize(n, fill);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = SetId> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    #[cold]
    fn widen(&mut self) {
        if let SetIds::Narrow(v) = self {
            *self = SetIds::Wide(v.iter().map(|&b| wide(b)).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_sets_read_back_and_a_254th_set_widens_in_place() {
        let mut s = SetIds::default();
        s.resize(3, UNKNOWN);
        s.set(1, UNKNOWN - 1);
        s.push(0);
        s.push(253);
        assert!(matches!(s, SetIds::Narrow(_)));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [UNKNOWN, UNKNOWN - 1, UNKNOWN, 0, 253]
        );
        s.set(2, 254);
        assert!(matches!(s, SetIds::Wide(_)));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [UNKNOWN, UNKNOWN - 1, 254, 0, 253]
        );
        s.push(70_000);
        assert_eq!(s.get(5), Some(70_000));
        assert_eq!(s.get(6), None);
        let mut t = SetIds::default();
        t.push(1000);
        assert_eq!(t.at(0), 1000);
    }
}
