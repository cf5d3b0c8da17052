//! A node's figures: totals of its items ([`Tot`]) and those totals split
//! into shown, rule-hidden and filtered out ([`Fig`]).

use super::visibility::Seen;
use crate::explore::index::Facts;

/// Totals of a node. For leaks, `bytes` are direct bytes (the figure valgrind's
/// LEAK SUMMARY adds up), so children always sum to their parent; indirect
/// bytes are kept apart for the detail pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tot {
    /// u128, as `triage::Totals`: sums of u64 figures cannot wrap.
    pub bytes: u128,
    pub indirect: u128,
    pub blocks: u128,
    /// Loss records or error contexts.
    pub items: u64,
    /// Error occurrences (an error context can repeat).
    pub count: u128,
}

/// One item's contribution to a total.
impl From<&Facts> for Tot {
    fn from(f: &Facts) -> Self {
        Tot {
            bytes: f.bytes.into(),
            indirect: f.indirect.into(),
            blocks: f.blocks.into(),
            items: 1,
            count: f.count.into(),
        }
    }
}

impl Tot {
    pub fn add(&mut self, o: &Tot) {
        self.bytes += o.bytes;
        self.indirect += o.indirect;
        self.blocks += o.blocks;
        self.items += o.items;
        self.count += o.count;
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// What is left of `self` without `o` (a part of it).
    pub(super) fn minus(&self, o: &Tot) -> Tot {
        Tot {
            bytes: self.bytes - o.bytes,
            indirect: self.indirect - o.indirect,
            blocks: self.blocks - o.blocks,
            items: self.items - o.items,
            count: self.count - o.count,
        }
    }

    /// The figure a share bar compares: bytes for leaks, occurrences for errors.
    pub fn weight(&self, leak: bool) -> u128 {
        if leak {
            self.bytes
        } else {
            self.count
        }
    }
}

/// A node's totals: shown, hidden by a rule, filtered out — counted apart.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fig {
    pub vis: Tot,
    /// Hidden by a rule.
    pub hid: Tot,
    /// Not hidden by a rule, but filtered out.
    pub out: Tot,
}

impl Fig {
    pub fn add(&mut self, o: &Fig) {
        self.vis.add(&o.vis);
        self.hid.add(&o.hid);
        self.out.add(&o.out);
    }

    pub(super) fn count(&mut self, t: &Tot, seen: Seen) {
        match seen {
            Seen::Shown => self.vis.add(t),
            Seen::Hidden => self.hid.add(t),
            Seen::Out => self.out.add(t),
        }
    }

    /// What is not shown: rule-hidden and filtered out.
    pub fn not_shown(&self) -> Tot {
        let mut t = self.hid;
        t.add(&self.out);
        t
    }

    /// What a row shows: the visible totals, or (for a node shown only
    /// because hidden items are) what is not shown, and whether it is that.
    pub fn shown_or_hidden(&self) -> (Tot, bool) {
        if self.vis.is_empty() {
            (self.not_shown(), true)
        } else {
            (self.vis, false)
        }
    }

    /// Everything the node holds, whatever is shown.
    pub fn all(&self) -> Tot {
        let mut t = self.vis;
        t.add(&self.hid);
        t.add(&self.out);
        t
    }
}
