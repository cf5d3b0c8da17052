//! Groups tallied, not listed: what `summary` shows of each group of a
//! process's loss records (its totals, the top frame of its first record,
//! the origin and stack of its largest) without the list of its records,
//! on both cores.
//!
//! The groups are exactly [`group_parts`]'s. The work is laid out for a log
//! of many distinct stacks: valgrind sorts loss records by size, so record
//! after record names a stack anywhere in the interner, and finding each
//! one's label walks the stack's frames and their locations at random (most
//! of grouping's time on the 1.1 GB log). Here:
//! 1. each stack's [`Key`] (what its label depends on: the location of its
//!    top frame, or of its origin) is found walking the stacks in the order
//!    they are stored, half of them on each core;
//! 2. each half of the records is tallied by (part, kind, key) on a core,
//!    reading its stack's key from that table, and the halves are joined;
//! 3. each key's label is written once, half of them on each core, and
//!    keys with one label joined;
//! 4. each group's top frame and origin are found, half on each core.
//!
//! [`group_parts`]: super::group::group_parts

use super::group::{group_label, origin_label, GroupBy, TopFrames, CUT_SHORT};
use super::halves::on_halves;
use super::own::{cut_short_at, OwnCode};
use super::totals::Totals;
use crate::model::TextKeyed;
use crate::model::{FrameId, Interner, LeakKind, LossRecord, StackId};
use hashbrown::HashTable;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::hash::Hash;
use std::ops::Range;

/// What [`super::group::group_parts`] makes of a group, less its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub kind: LeakKind,
    pub label: String,
    /// The top frame of the group's first record.
    pub top: Option<FrameId>,
    /// The origin of its largest record.
    pub origin: Option<FrameId>,
    pub totals: Totals,
    /// Its largest record (direct + indirect bytes; the first on a tie).
    pub largest: usize,
}

/// What a stack's label is a function of: under [`Keys::Location`] the
/// location of its top frame; under [`Keys::Origin`] the location of its
/// origin, of where it was cut short, or of its top frame, told apart by
/// the top two bits; under [`Keys::Stack`] the stack itself.
pub type Key = u32;

/// The key of an empty stack.
const NO_STACK: Key = u32::MAX;
/// Origin keys: the location is where the stack was cut short…
const CUT: Key = 1 << 30;
/// …or its top frame (no origin, not cut short).
const TOP: Key = 2 << 30;
/// Locations below this fit an origin key's lower 30 bits.
const ORIGIN_LOCATIONS: usize = 1 << 30;

/// How a grouping's labels are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    Location,
    Origin,
    Stack(GroupBy),
}

impl Keys {
    fn of(interner: &Interner, by: GroupBy) -> Keys {
        match by {
            GroupBy::TopFrame => Keys::Location,
            GroupBy::Origin if interner.location_count() < ORIGIN_LOCATIONS => Keys::Origin,
            _ => Keys::Stack(by),
        }
    }
}

/// Below this many records, one core does it all: a thread costs more.
const SPLIT_AT: usize = 1 << 15;

/// Each stack's key under a grouping (see the module's doc): what [`tally`]
/// reads for every record. Made apart from the tally because it depends on
/// the report alone, not on the rules: `summary` makes it while they run.
#[derive(Debug, Clone)]
pub struct StackKeys {
    keys: Keys,
    /// Per stack; empty under [`Keys::Stack`] (the key is the stack).
    table: Vec<Key>,
}

impl StackKeys {
    /// The keys of every stack of `interner` grouped `by`, the stacks
    /// walked half on each core when there are many and `both_cores`.
    pub fn of(interner: &Interner, own: &OwnCode, by: GroupBy, both_cores: bool) -> StackKeys {
        let split_at = if both_cores { SPLIT_AT } else { usize::MAX };
        StackKeys::split(interner, own, by, split_at)
    }

    fn split(interner: &Interner, own: &OwnCode, by: GroupBy, split_at: usize) -> StackKeys {
        let keys = Keys::of(interner, by);
        let table = match keys {
            Keys::Stack(_) => Vec::new(),
            _ => stack_keys(interner, own, keys, split_at),
        };
        StackKeys { keys, table }
    }

    /// Stack `s`'s key: stacks with one key have one label.
    pub fn get(&self, s: StackId) -> Key {
        match self.keys {
            Keys::Stack(_) => s.0,
            _ => self.table[s.0 as usize],
        }
    }
}

/// Each key the records name with its label's number.
pub type KeyLabels = Vec<(Key, u32)>;

/// A tally's groups and how their labels are numbered, for callers that
/// number stacks by label (the explorer finds a record's group from its
/// stack's) without writing a label again: keys with one label, and the
/// groups with it, share its number.
#[derive(Debug, Clone)]
pub struct Numbered<P> {
    /// As [`tally`] gives them.
    pub groups: Vec<(P, Tally)>,
    /// Per group, its label's number.
    pub labels: Vec<u32>,
    /// Each key the records name (see [`StackKeys::get`]) with its
    /// label's number.
    pub keys: KeyLabels,
}

/// Groups `records` by (`part(index)`, kind, label) as
/// [`super::group::group_parts`] does over all of them, grouped as `stacks`
/// were keyed; in no particular order.
pub fn tally<P: Copy + Eq + Hash + Send + Sync>(
    interner: &Interner,
    own: &OwnCode,
    stacks: &StackKeys,
    records: &[LossRecord],
    part: impl Fn(usize) -> P + Sync,
) -> Vec<(P, Tally)> {
    tally_split(interner, own, stacks, records, part, SPLIT_AT).groups
}

/// [`tally`], with its labels' numbers.
pub fn tally_numbered<P: Copy + Eq + Hash + Send + Sync>(
    interner: &Interner,
    own: &OwnCode,
    stacks: &StackKeys,
    records: &[LossRecord],
    part: impl Fn(usize) -> P + Sync,
) -> Numbered<P> {
    tally_split(interner, own, stacks, records, part, SPLIT_AT)
}

fn tally_split<P: Copy + Eq + Hash + Send + Sync>(
    interner: &Interner,
    own: &OwnCode,
    stacks: &StackKeys,
    records: &[LossRecord],
    part: impl Fn(usize) -> P + Sync,
    split_at: usize,
) -> Numbered<P> {
    let key = |s: StackId| stacks.get(s);
    let halves = on_halves(records.len(), split_at, |span| {
        tally_span(records, span, &key, &part)
    });
    let mut halves = halves.into_iter();
    let mut parts = halves.next().unwrap_or_default();
    for later in halves {
        parts.join(later);
    }
    let (texts, groups, keys) = by_label(interner, own, stacks.keys, parts.parts, split_at);
    Numbered {
        groups: finish(interner, own, records, texts, &groups, split_at),
        labels: groups.iter().map(|g| g.2).collect(),
        keys,
    }
}

/// Every stack's key, in stack order (see the module's doc).
fn stack_keys(interner: &Interner, own: &OwnCode, keys: Keys, split_at: usize) -> Vec<Key> {
    let n = interner.stack_count();
    let halves = on_halves(n, split_at, |span| {
        let mut tops = TopFrames::new(interner);
        span.map(|s| stack_key(interner, own, &mut tops, keys, StackId(s as u32)))
            .collect::<Vec<Key>>()
    });
    let mut halves = halves.into_iter();
    let mut all = halves.next().unwrap_or_default();
    for h in halves {
        all.extend_from_slice(&h);
    }
    all
}

fn stack_key(
    interner: &Interner,
    own: &OwnCode,
    tops: &mut TopFrames,
    keys: Keys,
    stack: StackId,
) -> Key {
    let at = |id: FrameId| interner.location_of(id) as Key;
    let top = |tops: &mut TopFrames| tops.of(interner, stack).map_or(NO_STACK, at);
    match keys {
        Keys::Location => top(tops),
        Keys::Origin => match own.origin(interner, stack) {
            Some(id) => at(id),
            None => match cut_short_at(interner, stack) {
                Some(id) => CUT | at(id),
                None => match top(tops) {
                    NO_STACK => NO_STACK,
                    l => TOP | l,
                },
            },
        },
        Keys::Stack(_) => stack.0,
    }
}

/// The label of a key (as [`group_label`] or [`origin_label`] gives it).
fn label_of(interner: &Interner, own: &OwnCode, keys: Keys, key: Key) -> String {
    let location = |l: Key| interner.location_frame(l as usize).label();
    match (keys, key) {
        (Keys::Stack(GroupBy::Origin), s) => origin_label(interner, own, StackId(s)),
        (Keys::Stack(by), s) => group_label(interner, StackId(s), by),
        (_, NO_STACK) => "(no stack)".to_string(),
        (Keys::Location, l) => location(l),
        (Keys::Origin, k) if k & TOP == TOP => location(k & !TOP),
        (Keys::Origin, k) if k & CUT == CUT => format!("{CUT_SHORT}{})", location(k & !CUT)),
        (Keys::Origin, l) => location(l),
    }
}

/// A group in the making: where it stands after some of its records.
#[derive(Debug, Clone, Copy)]
struct Count {
    totals: Totals,
    /// Its first record.
    first: usize,
    /// Its largest record (the first of that size) and its size.
    largest: usize,
    largest_bytes: u128,
}

impl Count {
    fn new(i: usize, bytes: u128) -> Count {
        Count {
            totals: Totals::default(),
            first: i,
            largest: i,
            largest_bytes: bytes,
        }
    }

    /// Adds what another count of the same group holds: sums add, the
    /// earlier first record stays first, and the larger largest record
    /// wins (the earlier one on a tie).
    fn join(&mut self, o: &Count) {
        self.totals.merge(&o.totals);
        self.first = self.first.min(o.first);
        if (o.largest_bytes, std::cmp::Reverse(o.largest))
            > (self.largest_bytes, std::cmp::Reverse(self.largest))
        {
            self.largest = o.largest;
            self.largest_bytes = o.largest_bytes;
        }
    }
}

/// Counts by (part, kind, key).
struct Parts<P> {
    at: FxHashMap<(P, LeakKind, Key), usize>,
    parts: Vec<((P, LeakKind, Key), Count)>,
}

impl<P> Default for Parts<P> {
    fn default() -> Self {
        Parts {
            at: FxHashMap::default(),
            parts: Vec::new(),
        }
    }
}

impl<P: Copy + Eq + Hash> Parts<P> {
    fn join(&mut self, later: Parts<P>) {
        for (k, c) in later.parts {
            match self.at.get(&k) {
                Some(&g) => self.parts[g].1.join(&c),
                None => {
                    self.at.insert(k, self.parts.len());
                    self.parts.push((k, c));
                }
            }
        }
    }
}

/// The records of `span` counted by (part, kind, key), in record order.
fn tally_span<P: Copy + Eq + Hash>(
    records: &[LossRecord],
    span: Range<usize>,
    key: &impl Fn(StackId) -> Key,
    part: &impl Fn(usize) -> P,
) -> Parts<P> {
    let mut out = Parts::default();
    for (i, r) in records[span.clone()].iter().enumerate() {
        let i = span.start + i;
        let bytes = r.total_bytes();
        let k = (part(i), r.kind, key(r.stack));
        let g = *out.at.entry(k).or_insert_with(|| {
            out.parts.push((k, Count::new(i, bytes)));
            out.parts.len() - 1
        });
        let c = &mut out.parts[g].1;
        c.totals.add(r);
        if bytes > c.largest_bytes {
            c.largest = i;
            c.largest_bytes = bytes;
        }
    }
    out
}

/// A group as [`by_label`] leaves it: (part, kind, label), its count.
type Labelled<P> = (P, LeakKind, u32, Count);

/// The labels, each written once (half of them on each core), and the
/// counts of keys with one label joined: the groups, their top frame and
/// origin still to find; and each key's label number (the position of
/// the label's first text).
fn by_label<P: Copy + Eq + Hash>(
    interner: &Interner,
    own: &OwnCode,
    keys: Keys,
    parts: Vec<((P, LeakKind, Key), Count)>,
    split_at: usize,
) -> (Vec<String>, Vec<Labelled<P>>, KeyLabels) {
    let mut slot: FxHashMap<Key, u32> = FxHashMap::default();
    let mut distinct: Vec<Key> = Vec::new();
    for ((_, _, key), _) in &parts {
        slot.entry(*key).or_insert_with(|| {
            distinct.push(*key);
            distinct.len() as u32 - 1
        });
    }
    // Each distinct label is kept once, as it is written: grouped by
    // stack, a label is up to eight frames and many stacks share one, so
    // keeping every key's text cost the explorer ~300 MB on the 1.1 GB log.
    let hasher = TextKeyed::default();
    let halves = on_halves(distinct.len(), split_at / 8, |span| {
        Unique::of(
            &hasher,
            distinct[span]
                .iter()
                .map(|&key| label_of(interner, own, keys, key)),
        )
    });
    let mut all = Unique::default();
    let mut label: Vec<u32> = Vec::with_capacity(distinct.len());
    for half in halves {
        let (texts, of) = (half.texts, half.of);
        let moved: Vec<u32> = texts.into_iter().map(|t| all.number(&hasher, t)).collect();
        label.extend(of.iter().map(|&i| moved[i as usize]));
    }
    let texts = all.texts;
    let mut at: FxHashMap<(P, LeakKind, u32), usize> = FxHashMap::default();
    at.reserve(parts.len());
    let mut groups: Vec<Labelled<P>> = Vec::with_capacity(parts.len());
    for ((p, kind, key), c) in parts {
        let l = label[slot[&key] as usize];
        match at.entry((p, kind, l)) {
            Entry::Occupied(g) => groups[*g.get()].3.join(&c),
            Entry::Vacant(v) => {
                v.insert(groups.len());
                groups.push((p, kind, l, c));
            }
        }
    }
    let keys = distinct.into_iter().zip(label).collect();
    (texts, groups, keys)
}

/// Label texts numbered as they come, each distinct text kept once.
#[derive(Default)]
struct Unique {
    texts: Vec<String>,
    /// Each text given, its number.
    of: Vec<u32>,
    table: HashTable<u32>,
}

impl Unique {
    fn of(hasher: &TextKeyed, labels: impl Iterator<Item = String>) -> Unique {
        let mut u = Unique::default();
        for t in labels {
            let n = u.number(hasher, t);
            u.of.push(n);
        }
        u
    }

    /// `t`'s number: the one an equal text got, or the next.
    fn number(&mut self, hasher: &TextKeyed, t: String) -> u32 {
        let h = hasher.hash_one(t.as_str());
        let texts = &mut self.texts;
        if let Some(&i) = self.table.find(h, |&i| texts[i as usize] == t) {
            return i;
        }
        let n = texts.len() as u32;
        texts.push(t);
        self.table
            .insert_unique(h, n, |&i| hasher.hash_one(texts[i as usize].as_str()));
        n
    }
}

/// Each group's tally: its label, totals, largest record, top frame (of
/// its first record) and origin (of its largest), half of the groups on
/// each core.
fn finish<P: Copy + Send + Sync>(
    interner: &Interner,
    own: &OwnCode,
    records: &[LossRecord],
    mut texts: Vec<String>,
    groups: &[Labelled<P>],
    split_at: usize,
) -> Vec<(P, Tally)> {
    // Each group costs two stack walks: split well below `split_at` groups.
    let mut tallies: Vec<(P, Tally)> = on_halves(groups.len(), split_at / 8, |span| {
        let mut tops = TopFrames::new(interner);
        groups[span]
            .iter()
            .map(|&(p, kind, _, c)| {
                let tally = Tally {
                    kind,
                    label: String::new(),
                    top: tops.of(interner, records[c.first].stack),
                    origin: own.origin(interner, records[c.largest].stack),
                    totals: c.totals,
                    largest: c.largest,
                };
                (p, tally)
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    // Labels move into their groups, copied only for a label that more
    // than one group (another kind or process) bears: grouped by stack,
    // labels are whole stacks, and a second copy of them all doubled the
    // explorer's peak on the 1.1 GB log.
    let mut uses = vec![0u32; texts.len()];
    groups.iter().for_each(|g| uses[g.2 as usize] += 1);
    for ((_, tally), g) in tallies.iter_mut().zip(groups) {
        let l = g.2 as usize;
        uses[l] -= 1;
        tally.label = match uses[l] {
            0 => std::mem::take(&mut texts[l]),
            _ => texts[l].clone(),
        };
    }
    tallies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::group::group_parts;
    use crate::triage::rules::{RuleId, RuleOptions, RuleSet};

    /// Tallied on one core or on two, the groups are exactly one pass's
    /// (`group_parts`): labels, totals, the top frame of a group's first
    /// record, the origin of its first largest one; and that record is the
    /// first largest of the group's records.
    fn same_as_one_pass(fixture: &str) {
        use crate::parse::perfmap::find::{attach, MapOptions};
        let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let mut report = crate::parse::load_paths(&[path], None).expect("fixture");
        // A perf map beside the log names its Python frames.
        attach(&mut report, &MapOptions::default());
        let rules = RuleSet::load(&RuleOptions::standard(Vec::new(), true)).unwrap();
        let hiding = rules.apply(&report);
        let i = &report.interner;
        let own = OwnCode::of(i);
        for (pi, p) in report.processes.iter().enumerate() {
            let records = p.loss_records();
            let rule = |r| hiding.record(pi, r);
            let by_key = |g: &(Option<RuleId>, Tally)| (g.0, g.1.kind, g.1.label.clone());
            for by in [
                GroupBy::TopFrame,
                GroupBy::Origin,
                GroupBy::Object,
                GroupBy::Stack,
            ] {
                let mut want: Vec<(Option<RuleId>, Tally)> =
                    group_parts(i, &own, records, 0..records.len(), by, rule)
                        .into_iter()
                        .map(|(r, g)| {
                            let largest = first_largest(records, &g.records);
                            let t = Tally {
                                kind: g.kind,
                                label: g.label,
                                top: g.top,
                                origin: g.origin,
                                totals: g.totals,
                                largest,
                            };
                            (r, t)
                        })
                        .collect();
                want.sort_by_key(by_key);
                for split_at in [0, 7, usize::MAX] {
                    let stacks = StackKeys::split(i, &own, by, split_at);
                    let numbered = tally_split(i, &own, &stacks, records, rule, split_at);
                    assert_numbered(i, &own, &stacks, records, &numbered);
                    let mut got = numbered.groups;
                    got.sort_by_key(by_key);
                    assert_eq!(got, want, "{fixture} {by:?} split at {split_at}");
                }
            }
        }
    }

    /// Every record's stack's key is numbered, as its label is: keys
    /// and groups share a number exactly when they share a label.
    fn assert_numbered<P>(
        interner: &Interner,
        own: &OwnCode,
        stacks: &StackKeys,
        records: &[LossRecord],
        n: &Numbered<P>,
    ) {
        assert_eq!(n.labels.len(), n.groups.len());
        let mut text: FxHashMap<u32, &str> = FxHashMap::default();
        for ((_, t), &l) in n.groups.iter().zip(&n.labels) {
            assert_eq!(*text.entry(l).or_insert(&t.label), t.label);
        }
        let keys: FxHashMap<Key, u32> = n.keys.iter().copied().collect();
        assert_eq!(keys.len(), n.keys.len(), "each key once");
        for r in records {
            let key = stacks.get(r.stack);
            let l = keys[&key];
            assert_eq!(text[&l], label_of(interner, own, stacks.keys, key));
        }
        let distinct: std::collections::HashSet<&str> = text.values().copied().collect();
        assert_eq!(distinct.len(), text.len(), "one number a label");
    }

    fn first_largest(records: &[LossRecord], group: &[u32]) -> usize {
        let mut best = group[0] as usize;
        for &r in group {
            if records[r as usize].total_bytes() > records[best].total_bytes() {
                best = r as usize;
            }
        }
        best
    }

    #[test]
    fn a_real_numba_log_tallies_as_one_pass_groups() {
        same_as_one_pass("numba/scale-40.txt.gz");
    }

    #[test]
    fn a_python_log_named_by_its_perf_map_tallies_as_one_pass_groups() {
        same_as_one_pass("perfmap/numba313.d/numba313.log.gz");
        same_as_one_pass("real/numba-seed.txt.gz");
    }
}
