//! String interning shared by ingest and aggregation.
//!
//! Each file is parsed with its own [`Interner`] (no locking on the hot path); the merge
//! step maps every file-local symbol to a global one once per distinct string, the way
//! tantivy maps per segment and merges once.

use crate::hash::FastMap;

/// A compact handle for an interned string.
pub type Sym = u32;

/// Strings stored once, addressed by [`Sym`].
#[derive(Debug, Default, Clone)]
pub struct Interner {
    map: FastMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

/// Two interners are equal when they hold the same strings under the same symbols.
impl PartialEq for Interner {
    fn eq(&self, other: &Self) -> bool {
        self.strings == other.strings
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the symbol for `s`, storing it on first sight.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym::try_from(self.strings.len()).unwrap_or(Sym::MAX);
        let boxed: Box<str> = s.into();
        self.strings.push(boxed.clone());
        self.map.insert(boxed, sym);
        sym
    }

    /// The symbol of an already interned string, without storing anything.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    /// The string behind a symbol. Symbols always come from this interner.
    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map_or("", |s| s)
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Interns every string of `local` here and returns the table mapping each local
    /// symbol to its symbol in `self`.
    pub fn absorb(&mut self, local: &Interner) -> Vec<Sym> {
        local.strings.iter().map(|s| self.intern(s)).collect()
    }
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
