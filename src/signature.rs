//! Node signatures: the fields that decide a node's output, hashed into its key and kept as readable text.
//!
//! One function per node kind feeds a [`Signature`]; the key and the manifest that explains it come from the
//! same calls, so "why did this rebuild" can never disagree with the key itself.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// Values longer than this are kept in the manifest as an excerpt and their hash.
const SHOWN_CHARS: usize = 4000;

/// A node's signature under construction.
pub struct Signature {
    hasher: blake3::Hasher,
    fields: Vec<Field>,
}

/// Whether a field is a setting (from the Videofile or vbuild itself) or an input (content from upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Setting,
    Input,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Setting => "setting",
            Role::Input => "input",
        })
    }
}

/// One signed field as shown to people: its name and its value (or an excerpt and hash of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub role: Role,
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
        signature.setting("kind", kind).setting("version", version);
        signature
    }

    /// Adds a setting: a value from the Videofile or from vbuild that changes the output.
    pub fn setting(&mut self, name: &str, value: impl Display) -> &mut Signature {
        self.add(Role::Setting, name, value)
    }

    /// Adds an input: content (or the hash of content) that comes from upstream.
    pub fn input(&mut self, name: &str, value: impl Display) -> &mut Signature {
        self.add(Role::Input, name, value)
    }

    /// Adds a field; its name and value both go into the key (length-prefixed, so fields cannot run together).
    fn add(&mut self, role: Role, name: &str, value: impl Display) -> &mut Signature {
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
            role,
            name: name.to_string(),
            value: shown,
        });
        self
    }

    /// The node key: the hex blake3 of every field so far.
    pub fn key(&self) -> Digest {
        Digest::from_hash(self.hasher.finalize())
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
        let key = |a: &str, b: &str| Signature::new("k", 1).setting("a", a).input("b", b).key();
        assert_eq!(key("x", "y"), key("x", "y"));
        assert_ne!(key("x", "y"), key("x", "z"));
        assert_ne!(key("xy", ""), key("x", "y"));
        assert_ne!(Signature::new("k", 1).key(), Signature::new("k", 2).key());
    }

    #[test]
    fn long_values_are_shown_as_excerpt_and_hash() {
        let mut signature = Signature::new("k", 1);
        signature.input("text", "z".repeat(5000));
        let shown = &signature.fields()[2].value;
        assert!(
            shown.contains("… (blake3 ") && shown.len() < 4100,
            "{shown}"
        );
    }
}
