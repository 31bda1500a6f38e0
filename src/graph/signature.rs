//! Node signatures: the fields that decide a node's output, hashed into its key and kept as readable text.
//!
//! One function per node kind feeds a [`Signature`]; the key and the manifest that explains it come from the
//! same calls, so "why did this rebuild" can never disagree with the key itself.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::graph::node::NodeKind;
use crate::sys::digest::Digest;

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

/// One signed field as shown to people: its name and its value (or an excerpt and hash of it), and for an
/// input made by another node, that node's name (shown, never hashed: a key depends on content only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub role: Role,
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl Signature {
    /// Starts the signature of a node of `kind` whose behaviour is at `version`.
    pub fn new(kind: NodeKind, version: u32) -> Signature {
        let mut signature = Signature {
            hasher: blake3::Hasher::new(),
            fields: Vec::new(),
        };
        signature
            .setting("kind", kind.name())
            .setting("version", version);
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

    /// Adds an input that the node `node` made (e.g. `audio:03-linear-regression/01`), so that a change of it
    /// is told as a change of that node's output.
    pub fn input_from(&mut self, name: &str, node: String, value: impl Display) -> &mut Signature {
        self.add(Role::Input, name, value);
        self.fields.last_mut().expect("a field was just added").from = Some(node);
        self
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
            from: None,
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
        let key = |a: &str, b: &str| {
            Signature::new(NodeKind::Audio, 1)
                .setting("a", a)
                .input("b", b)
                .key()
        };
        assert_eq!(key("x", "y"), key("x", "y"));
        assert_ne!(key("x", "y"), key("x", "z"));
        assert_ne!(key("xy", ""), key("x", "y"));
        assert_ne!(
            Signature::new(NodeKind::Audio, 1).key(),
            Signature::new(NodeKind::Audio, 2).key()
        );
    }

    #[test]
    fn the_node_an_input_came_from_is_shown_but_not_signed() {
        let mut plain = Signature::new(NodeKind::Audio, 1);
        plain.input("audio", "3f2a");
        let mut named = Signature::new(NodeKind::Audio, 1);
        named.input_from("audio", "audio:01-x/01".into(), "3f2a");
        assert_eq!(plain.key(), named.key());
        assert_eq!(named.fields()[2].from.as_deref(), Some("audio:01-x/01"));
    }

    #[test]
    fn long_values_are_shown_as_excerpt_and_hash() {
        let mut signature = Signature::new(NodeKind::Audio, 1);
        signature.input("text", "z".repeat(5000));
        let shown = &signature.fields()[2].value;
        assert!(
            shown.contains("… (blake3 ") && shown.len() < 4100,
            "{shown}"
        );
    }
}
