//! String interning shared by ingest and aggregation.
//!
//! Each file is parsed with its own [`Interner`] (no locking on the hot path); the merge
//! step maps every file-local symbol to a global one once per distinct string, the way
//! tantivy maps per segment and merges once.

use std::hash::BuildHasher;

/// A compact handle for an interned string.
pub type Sym = u32;

/// Strings stored once, addressed by [`Sym`]. All of an interner's strings live in one
/// buffer and its table holds symbols with their hashes: interning a new string is one
/// append and no allocation of its own (a per-file interner holds a few hundred strings,
/// and there is one per file), and merging a file's interner reuses its hashes.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    text: String,
    /// Start in `text`, length and hash of each symbol's string.
    spans: Vec<Span>,
    table: hashbrown::HashTable<(u64, Sym)>,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    len: u32,
    hash: u64,
}

fn hash(s: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x696e_7465_726e).hash_one(s)
}

/// Two interners are equal when they hold the same strings under the same symbols.
impl PartialEq for Interner {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len() as Sym).all(|s| self.resolve(s) == other.resolve(s))
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the symbol for `s`, storing it on first sight.
    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_hashed(s, hash(s))
    }

    fn intern_hashed(&mut self, s: &str, h: u64) -> Sym {
        let (text, spans) = (&self.text, &self.spans);
        let same = |&(eh, sym): &(u64, Sym)| eh == h && span_text(text, spans[sym as usize]) == s;
        if let Some(&(_, sym)) = self.table.find(h, same) {
            return sym;
        }
        let sym = Sym::try_from(self.spans.len()).unwrap_or(Sym::MAX);
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.spans.push(Span { start: self.text.len(), len, hash: h });
        self.text.push_str(&s[..len as usize]);
        self.table.insert_unique(h, (h, sym), |&(eh, _)| eh);
        sym
    }

    /// The symbol of an already interned string, without storing anything.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = hash(s);
        let same = |&(eh, sym): &(u64, Sym)| eh == h && self.resolve(sym) == s;
        self.table.find(h, same).map(|&(_, sym)| sym)
    }

    /// The string behind a symbol. Symbols always come from this interner.
    pub fn resolve(&self, sym: Sym) -> &str {
        self.spans.get(sym as usize).map_or("", |&span| span_text(&self.text, span))
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Interns every string of `local` here and returns the table mapping each local
    /// symbol to its symbol in `self`.
    pub fn absorb(&mut self, local: &Interner) -> Vec<Sym> {
        local.spans.iter().map(|&span| self.intern_hashed(span_text(&local.text, span), span.hash)).collect()
    }
}

fn span_text(text: &str, span: Span) -> &str {
    text.get(span.start..span.start + span.len as usize).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_resolvable() {
        let mut i = Interner::new();
        let a = i.intern("ec2.amazonaws.com");
        let b = i.intern("iam.amazonaws.com");
        assert_eq!(i.intern("ec2.amazonaws.com"), a);
        assert_ne!(a, b);
        assert_eq!(i.resolve(b), "iam.amazonaws.com");
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn absorb_maps_local_symbols_to_global_ones() {
        let mut global = Interner::new();
        global.intern("x");
        let mut local = Interner::new();
        let ly = local.intern("y");
        let lx = local.intern("x");
        let map = global.absorb(&local);
        assert_eq!(global.resolve(map[ly as usize]), "y");
        assert_eq!(map[lx as usize], 0);
    }
}
