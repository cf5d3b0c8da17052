//! Each PID's parser state, with the PID looked up last remembered.
//!
//! Nearly every line of a log is the same process's as the line before
//! (a stack's frame lines follow each other), so the look-up a frame line
//! needs is answered by one compare; a hash look-up per frame line cost as
//! much as numbering the frame. Interleaved processes only pay the hash.

use rustc_hash::FxHashMap;

/// PID → state, in the order the PIDs were first seen.
#[derive(Debug)]
pub(super) struct Pids<S> {
    index: FxHashMap<u32, usize>,
    states: Vec<S>,
    /// The PID looked up last and where its state is.
    last: Option<(u32, usize)>,
}

impl<S> Default for Pids<S> {
    fn default() -> Self {
        Pids {
            index: FxHashMap::default(),
            states: Vec::new(),
            last: None,
        }
    }
}

impl<S> Pids<S> {
    #[inline(always)]
    pub fn get_mut(&mut self, pid: &u32) -> Option<&mut S> {
        let i = match self.last {
            Some((p, i)) if p == *pid => i,
            _ => {
                let i = *self.index.get(pid)?;
                self.last = Some((*pid, i));
                i
            }
        };
        self.states.get_mut(i)
    }

    pub fn contains_key(&self, pid: &u32) -> bool {
        self.index.contains_key(pid)
    }

    /// `pid`'s state, made by `make` if it has none.
    pub fn get_or_insert_with(&mut self, pid: u32, make: impl FnOnce() -> S) -> &mut S {
        let i = match self.index.get(&pid) {
            Some(&i) => i,
            None => {
                let i = self.states.len();
                self.states.push(make());
                self.index.insert(pid, i);
                i
            }
        };
        self.last = Some((pid, i));
        &mut self.states[i]
    }

    pub fn insert(&mut self, pid: u32, state: S) {
        match self.index.get(&pid) {
            Some(&i) => self.states[i] = state,
            None => {
                self.get_or_insert_with(pid, || state);
            }
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &u32> + '_ {
        self.index.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Look-ups alternating between PIDs, repeated, new and unknown, each
    /// find their own state, as a plain map would.
    #[test]
    fn each_pid_keeps_its_own_state() {
        let mut pids = Pids::default();
        let mut plain = std::collections::HashMap::new();
        for (step, pid) in [7u32, 7, 9, 7, 9, 9, 12, 7, 12, 12, 9]
            .into_iter()
            .enumerate()
        {
            assert_eq!(pids.get_mut(&pid).copied(), plain.get(&pid).copied());
            *pids.get_or_insert_with(pid, || 0) += step;
            *plain.entry(pid).or_insert(0) += step;
            assert_eq!(pids.get_mut(&pid).copied(), plain.get(&pid).copied());
            assert_eq!(pids.get_mut(&99), None);
        }
        pids.insert(9, 1000);
        plain.insert(9, 1000);
        pids.insert(40, 4);
        plain.insert(40, 4);
        for pid in [40, 9, 7, 12] {
            assert_eq!(pids.get_mut(&pid).copied(), plain.get(&pid).copied());
            assert!(pids.contains_key(&pid));
        }
        let mut keys: Vec<u32> = pids.keys().copied().collect();
        keys.sort_unstable();
        assert_eq!(keys, [7, 9, 12, 40]);
    }
}
