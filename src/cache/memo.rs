//! Answers paid for below the node: a translated segment, filed by its own key (its text, the language pair,
//! the model and the instructions) as an entry of node `segment` with the translation as its one fact. A
//! segment is paid for once whatever moves around it, and a build stopped half-way through a chapter keeps
//! the batches it was answered. Entries that list the segments they were made of keep them through gc.
//! Within a build, a segment two jobs need at once (a heading two chapters share) is claimed by the first;
//! the other waits for its answer instead of asking for it again.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

use super::{ActionEntry, Store, StoreError, ensure_dir};
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic;

/// The segments some job of this process is asking for.
#[derive(Debug, Default)]
pub struct Claims {
    claimed: Mutex<HashSet<Digest>>,
    released: Condvar,
}

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

impl Store {
    /// Claims `key` for the calling job: true when no other job is asking for it (then the caller must
    /// [`Store::release`] it, answered or not).
    pub fn claim(&self, key: &Digest) -> bool {
        let mut claimed = self
            .claims
            .claimed
            .lock()
            .expect("claims are never poisoned");
        claimed.insert(key.clone())
    }

    /// Gives up the claim on `key`: its answer is remembered, or its request failed.
    pub fn release(&self, key: &Digest) {
        let mut claimed = self
            .claims
            .claimed
            .lock()
            .expect("claims are never poisoned");
        if claimed.remove(key) {
            self.claims.released.notify_all();
        }
    }

    /// Waits until no job asks for `key`, then recalls its translation: `None` when the job that asked
    /// for it failed.
    pub fn await_answer(&self, key: &Digest) -> Option<String> {
        let claimed = self
            .claims
            .claimed
            .lock()
            .expect("claims are never poisoned");
        let released = self
            .claims
            .released
            .wait_while(claimed, |claimed| claimed.contains(key));
        drop(released.expect("claims are never poisoned"));
        self.recall(key)
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

    #[test]
    fn a_segment_claimed_by_one_job_is_awaited_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let key = Digest::of(b"shared heading");
        assert!(store.claim(&key));
        assert!(!store.claim(&key), "a second job finds it claimed");
        let waiter = {
            let (store, key) = (store.clone(), key.clone());
            std::thread::spawn(move || store.await_answer(&key))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        store.remember(&key, "Résumé").unwrap();
        store.release(&key);
        assert_eq!(waiter.join().unwrap().as_deref(), Some("Résumé"));
        // A claim given up unanswered wakes the waiter with nothing: it asks for the segment itself.
        let other = Digest::of(b"failed");
        assert!(store.claim(&other));
        let waiter = {
            let (store, other) = (store.clone(), other.clone());
            std::thread::spawn(move || store.await_answer(&other))
        };
        store.release(&other);
        assert_eq!(waiter.join().unwrap(), None);
        assert!(store.claim(&other));
    }
}
