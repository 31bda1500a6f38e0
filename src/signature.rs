//! Node signatures: the fields that decide a node's output, hashed into its key and kept as readable text.
//!
//! One function per node kind feeds a [`Signature`]; the key and the manifest that explains it come from the
//! same calls, so "why did this rebuild" can never disagree with the key itself.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

/// Values longer than this are shown in the manifest as an excerpt and their hash.
const SHOWN_CHARS: usize = 80;

/// A node's signature under construction.
pub struct Signature {
    hasher: blake3::Hasher,
    fields: Vec<Field>,
}

/// One signed field as shown to people: its name and its value (or an excerpt and hash of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Signature {
    /// Starts the signature of a node of `kind` whose behaviour is at `version`.
    pub fn new(kind: &str, version: u32) -> Signature {
        let mut signature = Signature {
            hasher: blake3::Hasher::new(),
            fields: Vec::new(),
        };
        signature.field("kind", kind);
        signature.field("version", version);
        signature
    }

    /// Adds a field; its name and value both go into the key (length-prefixed, so fields cannot run together).
    pub fn field(&mut self, name: &str, value: impl Display) -> &mut Signature {
        let value = value.to_string();
        for part in [name.as_bytes(), value.as_bytes()] {
            self.hasher.update(&(part.len() as u64).to_le_bytes());
            self.hasher.update(part);
        }
        let shown = if value.chars().count() > SHOWN_CHARS {
            let excerpt: String = value.chars().take(SHOWN_CHARS).collect();
            format!(
                "{excerpt}… (blake3 {})",
                &blake3::hash(value.as_bytes()).to_hex()[..16]
            )
        } else {
            value
        };
        self.fields.push(Field {
            name: name.to_string(),
            value: shown,
        });
        self
    }

    /// The node key: the hex blake3 of every field so far.
    pub fn key(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }

    /// The readable fields, in the order they were added.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_every_field_and_their_boundaries() {
        let key = |a: &str, b: &str| Signature::new("k", 1).field("a", a).field("b", b).key();
        assert_eq!(key("x", "y"), key("x", "y"));
        assert_ne!(key("x", "y"), key("x", "z"));
        assert_ne!(key("xy", ""), key("x", "y"));
        assert_ne!(Signature::new("k", 1).key(), Signature::new("k", 2).key());
    }

    #[test]
    fn long_values_are_shown_as_excerpt_and_hash() {
        let mut signature = Signature::new("k", 1);
        signature.field("text", "z".repeat(200));
        let shown = &signature.fields()[2].value;
        assert!(shown.contains("… (blake3 ") && shown.len() < 120, "{shown}");
    }
}
