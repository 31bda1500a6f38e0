//! The key each node had when it was last built (`.vbuild/nodes.json`), so a node whose key changed can say
//! what changed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::cache::StoreError;
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic;

/// The key each node name had when it was last built, and whether a key has changed since they were read.
#[derive(Debug, Clone, Default)]
pub struct LastKeys {
    keys: BTreeMap<String, String>,
    changed: bool,
}

impl LastKeys {
    fn path(cache_dir: &Path) -> std::path::PathBuf {
        cache_dir.join("nodes.json")
    }

    /// Reads the last keys (none if there was no build yet).
    pub fn load(cache_dir: &Path) -> LastKeys {
        let keys = crate::sys::files::read(&Self::path(cache_dir), crate::sys::files::CACHE_BYTES)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        LastKeys {
            keys,
            changed: false,
        }
    }

    /// The key `node` had when it was last built.
    pub fn get(&self, node: &str) -> Option<&str> {
        self.keys.get(node).map(String::as_str)
    }

    /// How many slides each chapter (by id) had when it was last built: its audio nodes.
    pub fn slides_by_chapter(&self) -> HashMap<&str, usize> {
        let mut slides = HashMap::new();
        // The sources' edition's: a translation's chapters have as many slides, or near enough to guess.
        for name in self.keys.keys().filter(|name| !name.contains('@')) {
            if let Some((chapter, _)) = name
                .strip_prefix("audio:")
                .and_then(|rest| rest.rsplit_once('/'))
            {
                *slides.entry(chapter).or_default() += 1;
            }
        }
        slides
    }

    /// Every key the last build's nodes had (those that are digests).
    pub fn keys(&self) -> impl Iterator<Item = Digest> + '_ {
        self.keys.values().filter_map(|k| Digest::parse(k).ok())
    }

    /// Notes that `node` now has `key`.
    pub fn record(&mut self, node: &str, key: &str) {
        if self.keys.get(node).map(String::as_str) != Some(key) {
            self.keys.insert(node.to_string(), key.to_string());
            self.changed = true;
        }
    }

    /// Writes the keys back, if any changed (a build that changed nothing writes nothing).
    pub fn save(&self, cache_dir: &Path) -> Result<(), StoreError> {
        if !self.changed {
            return Ok(());
        }
        let json = serde_json::to_vec_pretty(&self.keys).expect("keys serialise");
        Ok(write_atomic(&Self::path(cache_dir), &json)?)
    }
}
