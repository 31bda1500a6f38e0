//! Answers paid for below the node: a translated segment, filed by its own key (its text, the language pair,
//! the model and the instructions) as an entry of node `segment` with the translation as its one fact. A
//! segment is paid for once whatever moves around it, and a build stopped half-way through a chapter keeps
//! the batches it was answered. Entries that list the segments they were made of keep them through gc.

use super::{ActionEntry, Store, StoreError, ensure_dir};
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic;

/// The node name of a remembered segment.
pub const NODE: &str = "segment";

/// The fact of an entry that lists the segment keys it was made of.
pub const SEGMENTS: &str = "segments";

/// The fact holding a segment's translation.
const TEXT: &str = "text";

impl Store {
    /// The translation remembered under `key`, if any.
    pub fn recall(&self, key: &Digest) -> Option<String> {
        let entry = self.read_entry(key).ok().flatten()?;
        check(&entry).ok()?;
        entry.meta.get(TEXT)?.as_str().map(str::to_string)
    }

    /// Remembers `text` as the translation under `key` (atomically).
    pub fn remember(&self, key: &Digest, text: &str) -> Result<(), StoreError> {
        let entry = ActionEntry {
            key: key.clone(),
            node: NODE.to_string(),
            outputs: Default::default(),
            meta: [(TEXT.to_string(), serde_json::Value::from(text))].into(),
            seconds: 0.0,
            bytes: Some(0),
            usage: Default::default(),
            signature: Vec::new(),
        };
        let dest = self.action_path(key);
        ensure_dir(dest.parent().expect("entry paths have a parent"))?;
        let json = serde_json::to_vec_pretty(&entry).expect("an entry always serialises");
        Ok(write_atomic(&dest, &json)?)
    }
}

/// What is wrong with a remembered segment's entry: it has no outputs and its translation as text.
pub fn check(entry: &ActionEntry) -> Result<(), String> {
    if !entry.outputs.is_empty() {
        return Err("a remembered segment has no outputs".into());
    }
    match entry.meta.get(TEXT) {
        Some(serde_json::Value::String(_)) => Ok(()),
        _ => Err("a remembered segment holds its translation as text".into()),
    }
}

/// The segment keys `entry` lists as made of.
pub fn segments_of(entry: &ActionEntry) -> impl Iterator<Item = Digest> + '_ {
    let listed = entry.meta.get(SEGMENTS).and_then(|v| v.as_array());
    listed
        .into_iter()
        .flatten()
        .filter_map(|key| Digest::parse(key.as_str()?).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_segment_is_recalled_and_a_damaged_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let key = Digest::of(b"segment");
        assert_eq!(store.recall(&key), None);
        store.remember(&key, "Bonjour.").unwrap();
        assert_eq!(store.recall(&key).as_deref(), Some("Bonjour."));
        let path = store.action_path(&key);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(store.recall(&key), None);
    }
}
