//! The key each node had when it was last built (`.vbuild/nodes.json`), so a node whose key changed can say
//! what changed.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::store::{StoreError, write_atomic};

/// The key each node name had when it was last built.
#[derive(Debug, Clone, Default)]
pub struct LastKeys(BTreeMap<String, String>);

impl LastKeys {
    fn path(cache_dir: &Path) -> std::path::PathBuf {
        cache_dir.join("nodes.json")
    }

    /// Reads the last keys (none if there was no build yet).
    pub fn load(cache_dir: &Path) -> LastKeys {
        let keys = fs::read(Self::path(cache_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        LastKeys(keys)
    }

    /// The key `node` had when it was last built.
    pub fn get(&self, node: &str) -> Option<&str> {
        self.0.get(node).map(String::as_str)
    }

    /// How many slides chapter `chapter_id` had when it was last built (0 if it never was): its audio nodes.
    pub fn slides_of(&self, chapter_id: &str) -> usize {
        let prefix = format!("audio:{chapter_id}/");
        self.0
            .keys()
            .filter(|name| name.starts_with(&prefix))
            .count()
    }

    /// Notes that `node` now has `key`.
    pub fn record(&mut self, node: &str, key: &str) {
        self.0.insert(node.to_string(), key.to_string());
    }

    /// Writes the keys back.
    pub fn save(&self, cache_dir: &Path) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(&self.0).expect("keys serialise");
        write_atomic(&Self::path(cache_dir), &json)
    }
}
