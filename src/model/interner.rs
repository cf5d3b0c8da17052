//! Frames and stacks, interned.
//!
//! Real logs repeat the same few thousand frames hundreds of thousands of times
//! (every loss record under the JIT shares the same Python and ctypes frames), so
//! each distinct frame and each distinct stack is stored once and referred to by a
//! small id. Memory then grows with the number of distinct frames, not with the log.

use super::frame::{At, Frame, FrameRef};
use super::frame_table::{frame_hash, FrameTable, NO_ADDR};
use super::id_index::IdIndex;
use super::location_keys::LocationKeys;
use std::collections::HashSet;

use super::packed::Frames;
use super::stacks::{StackBuilder, Stacks};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub u32);

/// Owns every distinct frame and stack of a report.
///
/// A frame is an address at a location (`malloc (in /usr/lib/…)`). The
/// location text repeats across thousands of addresses, so it is parsed and
/// its strings allocated once, as one [`Frame`]; a frame itself costs its
/// address and its location's index (6-8 bytes, plus 5-6 in the index): a log
/// of a million distinct addresses holds a million of those, not a million
/// parsed frames.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// Per frame: its address (`NO_ADDR` for none) and its location.
    frames: FrameTable,
    /// (address, location) → frame, hashed from `frames`.
    frame_index: IdIndex,
    /// Location text (or a built frame's key) → location.
    locations: LocationKeys,
    location_frames: Vec<Frame>,
    /// Each distinct file, directory and object name of the locations,
    /// once: a library's thousands of functions share its path, and a
    /// source file's lines its name.
    names: HashSet<super::frame::Name, super::TextKeyed>,
    /// Per location, the last frame interned there. A location almost always
    /// has one address, so this answers most lookups without touching the
    /// (large, cache-missing) `frame_index`.
    location_last: Vec<(u64, FrameId)>,
    /// All stacks, in one arena (see [`Stacks`]).
    stacks: Stacks,
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Self::default();
        // Stack 0 is the empty stack, so "no stack" needs no Option.
        i.intern_stack(&[]);
        i
    }

    pub const EMPTY_STACK: StackId = StackId(0);

    /// Makes room for `stacks` more stacks of `frames` frames in all (see
    /// [`Stacks::reserve`]).
    pub fn reserve_stacks(&mut self, stacks: usize, frames: usize) {
        self.stacks.reserve(stacks, frames);
    }

    /// Says how many stacks and frames the report will likely hold in the
    /// end (a guess from the part of the input read so far), so that their
    /// indices grow there in a step or two rather than doubling their way
    /// up, hashing every stack's frames again each time (on the 1.1 GB
    /// log, 95 M instructions of the main thread's 1,100 M went to that).
    pub fn expect(&mut self, stacks: usize, frames: usize) {
        self.stacks.expect(stacks);
        self.frame_index.expect(frames);
    }

    /// Interns the frame of a text-log line, `0xADDR: location`, parsing the
    /// location with `parse` only the first time it is seen.
    pub fn intern_frame_text(
        &mut self,
        text: &[u8],
        parse: impl FnOnce(&[u8]) -> Frame,
    ) -> FrameId {
        let (addr, loc) = split_addr(text);
        self.intern_frame_keyed(addr, loc, || parse(text))
    }

    /// Interns a fully built frame (XML, LSan), keyed by all of its fields.
    pub fn intern_frame(&mut self, frame: impl Into<At<Frame>>) -> FrameId {
        let At { addr, frame } = frame.into();
        let key = frame_key(&frame);
        self.intern_frame_keyed(addr, &key, || frame)
    }

    /// Interns the frame at `addr` whose location has the key `loc`
    /// (its text, or [`Interner::location_key`] of its fields), building
    /// the location with `make` only the first time the key is seen.
    pub fn intern_frame_keyed(
        &mut self,
        addr: Option<u64>,
        loc: &[u8],
        make: impl FnOnce() -> Frame,
    ) -> FrameId {
        let a = addr.unwrap_or(NO_ADDR);
        let loc_id = self.location_id(loc, a, make);
        let last = self.location_last[loc_id as usize];
        if last.0 == a {
            return last.1;
        }
        let id = self.intern_at(a, loc_id);
        self.location_last[loc_id as usize] = (a, id);
        id
    }

    pub fn intern_stack(&mut self, frames: &[FrameId]) -> StackId {
        self.stacks.intern(frames)
    }

    /// Interns the stack a parser built in `frames`, leaving it empty: a
    /// long stack (deep recursion) moves in rather than being copied, so a
    /// record of a million frames is never held twice.
    pub fn intern_stack_taken(&mut self, frames: &mut Vec<FrameId>) -> StackId {
        self.stacks.intern_taken(frames)
    }

    /// Interns the stack a parser built frame by frame (packed as it grew,
    /// when long), leaving the builder empty.
    pub fn intern_stack_built(&mut self, frames: &mut StackBuilder) -> StackId {
        self.stacks.intern_built(frames)
    }

    /// The frame: its address and its (shared) location.
    pub fn frame(&self, id: FrameId) -> FrameRef<'_> {
        let i = id.0 as usize;
        let a = self.frames.addr(i);
        At {
            addr: (a != NO_ADDR).then_some(a),
            frame: &self.location_frames[self.frames.loc(i) as usize],
        }
    }

    /// Lets a parser add what it learns later (e.g. the mangled name from a
    /// --gen-suppressions block) to a frame already interned. The change is
    /// made to the frame's location, so every frame there sees it (a
    /// function's mangled name does not depend on the address).
    pub fn frame_mut(&mut self, id: FrameId) -> &mut Frame {
        let l = self.frames.loc(id.0 as usize);
        &mut self.location_frames[l as usize]
    }

    /// A stack's frames: written out, or packed for a long one (see
    /// [`Frames`]).
    pub fn stack(&self, id: StackId) -> Frames<'_> {
        self.stacks.get(id)
    }

    pub fn frames_of(&self, id: StackId) -> impl Iterator<Item = FrameRef<'_>> + '_ {
        self.stack(id).iter().map(|&f| self.frame(f))
    }

    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }

    /// The location of a frame: frames at one location (same function,
    /// file, line, object) differ only by address, so anything that does not
    /// look at addresses can be computed once per location.
    pub fn location_of(&self, id: FrameId) -> usize {
        self.frames.loc(id.0 as usize) as usize
    }

    pub fn location_count(&self) -> usize {
        self.location_frames.len()
    }

    /// About how many bytes the interner holds (vectors and indices, not
    /// the strings of its locations): what copying it would cost.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        self.frames.approx_bytes()
            + self.frame_index.approx_bytes()
            + self.locations.approx_bytes()
            + self.names.capacity() * 17
            + self.location_frames.capacity() * (size_of::<Frame>() + 16)
            + self.stacks.approx_bytes()
    }

    /// Location `l` (see [`Interner::location_of`]).
    pub fn location_frame(&self, l: usize) -> &Frame {
        &self.location_frames[l]
    }

    /// Takes in everything `other` interned (a chunk parsed on another
    /// thread) and says where each of its frames and stacks now lives.
    pub fn absorb(&mut self, other: &Interner) -> Remap {
        let mut loc_map = vec![0u32; other.location_frames.len()];
        // In `other`'s order: new locations are numbered as it met them.
        for l in 0..other.locations.len() as u32 {
            let key = other.locations.key(l);
            let template = &other.location_frames[l as usize];
            let base = other.frames.location_base(l as usize);
            let mine = self.location_id(key, base, || template.clone());
            loc_map[l as usize] = mine;
            let frame = &mut self.location_frames[mine as usize];
            if frame.mangled.is_none() && template.mangled.is_some() {
                frame.mangled = template.mangled.clone();
            }
        }
        let theirs = &other.frames;
        let frames: Vec<FrameId> = (0..theirs.len())
            .map(|i| self.intern_at(theirs.addr(i), loc_map[theirs.loc(i) as usize]))
            .collect();
        let stacks = self.absorb_stacks(other, &frames);
        Remap { frames, stacks }
    }

    /// Takes in `other`'s stacks, whose frame ids `frames` renumbers into
    /// this interner's (all of `other`'s frames, or frames `other` never
    /// held: a text chunk's stacks number its frame line texts), and says
    /// where each stack now lives.
    pub fn absorb_stacks(&mut self, other: &Interner, frames: &[FrameId]) -> Vec<StackId> {
        let renumber = |f: FrameId| frames[f.0 as usize];
        (0..other.stacks.len())
            .map(|i| {
                if let Some(p) = other.stacks.packed(StackId(i as u32)) {
                    return self.stacks.intern_packed(p.map(renumber));
                }
                let theirs = other.stack(StackId(i as u32));
                self.stacks.intern_renumbered(theirs, renumber)
            })
            .collect()
    }

    /// The id of a location, parsing it (`make`) only the first time; a
    /// new location's addresses are expected near `a` (see [`FrameTable`]).
    fn location_id(&mut self, loc: &[u8], a: u64, make: impl FnOnce() -> Frame) -> u32 {
        if let Some(l) = self.locations.get(loc) {
            return l;
        }
        let mut frame = make();
        for name in [&mut frame.file, &mut frame.dir, &mut frame.object] {
            self.share(name);
        }
        self.location_frames.push(frame);
        self.frames.add_location(a);
        self.location_last.push((NO_ADDR - 1, FrameId(u32::MAX)));
        self.locations.push(loc)
    }

    /// Makes `name` the copy of its text the interner already holds, if any.
    fn share(&mut self, name: &mut Option<super::frame::Name>) {
        let Some(n) = name else { return };
        match self.names.get(&**n) {
            Some(held) => *n = held.clone(),
            None => {
                self.names.insert(n.clone());
            }
        }
    }

    /// Frees the indices only interning reads (frames by address and
    /// location, stacks by frames): a loaded report is only read, and for a
    /// million distinct frames and stacks they are ~12 MB, a sixth of what
    /// the report holds. Interning afterwards rebuilds them first.
    pub fn drop_indexes(&mut self) {
        self.frame_index = IdIndex::default();
        self.stacks.drop_index();
    }

    /// The frame at address `a` (`NO_ADDR`: none) in an already known location.
    fn intern_at(&mut self, a: u64, loc_id: u32) -> FrameId {
        if self.frame_index.len() != self.frames.len() {
            self.index_frames();
        }
        let hash = frame_hash(a, loc_id);
        let table = &self.frames;
        let same = |id: u32| table.is(id as usize, a, loc_id);
        if let Some(id) = self.frame_index.find(hash, same) {
            return FrameId(id);
        }
        let id = self.frames.push(a, loc_id);
        let table = &self.frames;
        self.frame_index
            .insert_next(hash, id, |id| table.hash(id as usize));
        FrameId(id)
    }

    /// Indexes every frame (see [`Interner::drop_indexes`]).
    #[cold]
    fn index_frames(&mut self) {
        let table = &self.frames;
        self.frame_index = IdIndex::indexing(table.len(), |id| table.hash(id as usize));
    }

    /// The location key of a built frame (see [`Interner::intern_frame_keyed`]).
    pub fn location_key(frame: &Frame) -> Vec<u8> {
        frame_key(frame)
    }
}

/// Where an absorbed interner's ids went.
pub struct Remap {
    pub frames: Vec<FrameId>,
    pub stacks: Vec<StackId>,
}

impl Remap {
    pub fn stack(&self, s: StackId) -> StackId {
        self.stacks[s.0 as usize]
    }
}

/// `0x4841F2F: malloc (in …)` → (Some(0x4841F2F), `malloc (in …)`). Masked
/// (`0x........`) or odd addresses give `None` and keep the whole text as the
/// location, so they never collide with a real address.
fn split_addr(text: &[u8]) -> (Option<u64>, &[u8]) {
    let Some(colon) = memchr::memchr(b':', text) else {
        return (None, text);
    };
    let hex = text.get(2..colon).unwrap_or(&[]);
    if hex.is_empty() || hex.len() > 16 {
        return (None, text);
    }
    let mut v: u64 = 0;
    for &c in hex {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return (None, text),
        };
        v = (v << 4) | d as u64;
    }
    let rest = &text[colon + 1..];
    (Some(v), rest.strip_prefix(b" ").unwrap_or(rest))
}

/// The location key of a built frame: every field but the address. Starts with
/// 0xff, which no text-log location does, so the two kinds of key never meet.
fn frame_key(f: &Frame) -> Vec<u8> {
    let mut k = Vec::with_capacity(96);
    k.push(0xff);
    for part in [&f.function, &f.mangled, &f.dir, &f.file, &f.object] {
        if let Some(p) = part {
            k.extend_from_slice(p.as_bytes());
        }
        k.push(0);
    }
    k.extend_from_slice(&f.line.unwrap_or(u32::MAX).to_le_bytes());
    k.push(f.named_by as u8);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_equal_frames_and_stacks() {
        let mut i = Interner::new();
        let a = i.intern_frame_text(b"0x1: f (a.c:1)", |_| Frame::default());
        let b = i.intern_frame_text(b"0x1: f (a.c:1)", |_| unreachable!());
        let c = i.intern_frame_text(b"0x2: f (a.c:1)", |_| unreachable!());
        assert_ne!(a, c);
        assert_eq!(i.frame(c).addr, Some(2));
        assert_eq!(a, b);
        let s1 = i.intern_stack(&[a, b]);
        let s2 = i.intern_stack(&[a, b]);
        assert_eq!(s1, s2);
        assert_eq!(i.stack(s1).len(), 2);
        assert!(i.stack(Interner::EMPTY_STACK).is_empty());
        // A loaded report drops its indices; interning more still finds
        // what it holds.
        i.drop_indexes();
        assert_eq!(
            i.intern_frame_text(b"0x1: f (a.c:1)", |_| unreachable!()),
            a
        );
        assert_eq!(
            i.intern_frame_text(b"0x2: f (a.c:1)", |_| unreachable!()),
            c
        );
        i.drop_indexes();
        assert_eq!(i.intern_stack(&[a, b]), s1);
        assert_eq!(i.frame_count(), 2);
    }

    /// 32-byte location texts that FxHash's byte hashing (rustc-hash 2.1)
    /// maps to one value: its first 16 bytes go through one 64×64-bit
    /// product, so any two factors of one number collide, and the last 16
    /// are the same in all. A log's author can write thousands of them.
    fn fx_colliding_texts(n: usize) -> Vec<Vec<u8>> {
        const SEED1: u64 = 0x243f6a8885a308d3;
        const NO_ZERO: u64 = 0xa4093822299f31d0;
        const PRIMES: [u128; 25] = [
            2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
            89, 97,
        ];
        let product: u128 = PRIMES.iter().product();
        let mut seen = std::collections::BTreeSet::new();
        let mut mask = 1u32;
        while seen.len() < n {
            mask = mask.wrapping_mul(1_103_515_245).wrapping_add(12_345) & ((1 << 25) - 1);
            let d: u128 = (0..25)
                .filter(|b| mask >> b & 1 == 1)
                .map(|b| PRIMES[b])
                .product();
            let e = product / d;
            if d <= u64::MAX as u128 && e <= u64::MAX as u128 {
                seen.insert(d as u64);
            }
        }
        seen.into_iter()
            .map(|d| {
                let e = (product / d as u128) as u64;
                let mut t = (d ^ SEED1).to_le_bytes().to_vec();
                t.extend((e ^ NO_ZERO).to_le_bytes());
                t.extend(b" (crafted.c:1)..");
                t
            })
            .collect()
    }

    #[test]
    fn location_texts_built_to_collide_under_fxhash_do_not_collide_here() {
        use std::hash::BuildHasher;
        let texts = fx_colliding_texts(2_000);
        let fx: std::collections::BTreeSet<u64> = texts
            .iter()
            .map(|t| rustc_hash::FxBuildHasher.hash_one(&**t))
            .collect();
        assert_eq!(fx.len(), 1, "the crafted texts share one FxHash");
        let mut i = Interner::new();
        for t in &texts {
            i.location_id(t, 0, Frame::default);
        }
        let keyed: std::collections::BTreeSet<u64> =
            texts.iter().map(|t| i.locations.hash_of(t)).collect();
        assert_eq!(keyed.len(), texts.len());
        assert_eq!(i.location_count(), texts.len());
    }

    #[test]
    fn absorbing_numbers_new_locations_in_the_order_they_were_met() {
        let mut chunk = Interner::new();
        let texts: Vec<String> = (0..64)
            .map(|n| format!("0x{n:x}: f{n} (a.c:{n})"))
            .collect();
        for t in &texts {
            chunk.intern_frame_text(t.as_bytes(), |_| Frame {
                function: Some(t.as_str().into()),
                ..Frame::default()
            });
        }
        let mut whole = Interner::new();
        whole.absorb(&chunk);
        let names: Vec<_> = (0..whole.location_count())
            .map(|l| whole.location_frame(l).function.clone())
            .collect();
        let want: Vec<_> = texts.iter().map(|t| Some(t.as_str().into())).collect();
        assert_eq!(names, want);
    }

    #[test]
    fn locations_share_one_copy_of_each_file_and_object_name() {
        let mut i = Interner::new();
        let obj = |f: &str| Frame {
            function: Some(f.into()),
            object: Some("/usr/lib/libllvmlite.so".into()),
            ..Frame::default()
        };
        let a = i.intern_frame_text(b"0x1: f (in /usr/lib/libllvmlite.so)", |_| obj("f"));
        let b = i.intern_frame_text(b"0x2: g (in /usr/lib/libllvmlite.so)", |_| obj("g"));
        let (fa, fb) = (i.frame(a), i.frame(b));
        assert_ne!(fa.function, fb.function);
        assert!(arcstr::ArcStr::ptr_eq(
            fa.object.as_ref().unwrap(),
            fb.object.as_ref().unwrap()
        ));
    }
}
