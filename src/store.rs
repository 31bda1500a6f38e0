//! The local cache under `.vbuild/`: blobs by content hash (`cas/`) and action entries by node key
//! (`actions/`). Every write is atomic (a temporary file renamed into place) and every blob read is verified,
//! so a build killed at any moment leaves only whole entries behind.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cost::Usage;
use crate::signature::Field;

/// A cache problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cache {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// Another vbuild process is building in the same project.
    #[error("another vbuild is already building here (it holds {0}); wait for it or stop it")]
    Locked(PathBuf),
    /// A blob's content does not match its hash; it has been removed.
    #[error("cache blob {0} was corrupt and has been removed; run vbuild again to rebuild it")]
    Corrupt(String),
}

/// What a finished node left in the cache: its output blobs and facts about them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionEntry {
    pub key: String,
    /// The node's name when it ran, e.g. `audio:02-gradient-descent/03`.
    pub node: String,
    /// Output name to blob hash.
    pub outputs: BTreeMap<String, String>,
    /// Facts a dependent node reads without opening the blobs (durations, counts).
    pub meta: BTreeMap<String, serde_json::Value>,
    /// How long the node took to run, in seconds.
    pub seconds: f64,
    /// Total size of the outputs.
    #[serde(default)]
    pub bytes: u64,
    /// What the node consumed from its provider.
    #[serde(default)]
    pub usage: Usage,
    /// The signed fields that made the key.
    pub signature: Vec<Field>,
}

impl ActionEntry {
    /// The hash of output `name`.
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("", String::as_str)
    }

    /// A number from `meta`, or 0.
    pub fn number(&self, name: &str) -> f64 {
        self.meta
            .get(name)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0)
    }
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// Wraps an I/O error with the path it happened on.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Opens (and creates) the cache at `root`.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        for sub in ["cas", "actions", "tmp", "builds"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        }
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the build lock; held until the returned file is dropped.
    pub fn lock(&self) -> Result<File, StoreError> {
        let path = self.root.join("lock");
        let file = File::create(&path).map_err(io_error(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(path)),
            Err(fs::TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
        }
    }

    /// A fresh scratch folder inside the cache (same file system, so outputs move in by rename).
    pub fn scratch(&self) -> Result<tempfile::TempDir, StoreError> {
        let tmp = self.root.join("tmp");
        tempfile::Builder::new()
            .prefix("node-")
            .tempdir_in(&tmp)
            .map_err(io_error(&tmp))
    }

    /// Removes scratch folders left by a build that was killed (call while holding the lock).
    pub fn clear_scratch(&self) -> Result<(), StoreError> {
        let tmp = self.root.join("tmp");
        fs::remove_dir_all(&tmp).map_err(io_error(&tmp))?;
        fs::create_dir_all(&tmp).map_err(io_error(&tmp))
    }

    /// Where the blob with `hash` lives.
    pub fn blob_path(&self, hash: &str) -> PathBuf {
        self.root
            .join("cas")
            .join(&hash[..2.min(hash.len())])
            .join(hash)
    }

    fn action_path(&self, key: &str) -> PathBuf {
        self.root
            .join("actions")
            .join(&key[..2.min(key.len())])
            .join(format!("{key}.json"))
    }

    /// Moves the file at `path` into the cache; returns its hash.
    pub fn put_file(&self, path: &Path) -> Result<String, StoreError> {
        let hash = hash_file(path)?;
        let dest = self.blob_path(&hash);
        if dest.exists() {
            fs::remove_file(path).map_err(io_error(path))?;
            return Ok(hash);
        }
        let parent = dest.parent().expect("blob paths have a parent");
        fs::create_dir_all(parent).map_err(io_error(parent))?;
        let mut permissions = fs::metadata(path).map_err(io_error(path))?.permissions();
        permissions.set_readonly(true);
        fs::set_permissions(path, permissions).map_err(io_error(path))?;
        fs::rename(path, &dest).map_err(io_error(&dest))?;
        Ok(hash)
    }

    /// Stores `bytes` as a blob; returns its hash.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let tmp = self.root.join("tmp");
        let mut file = tempfile::NamedTempFile::new_in(&tmp).map_err(io_error(&tmp))?;
        io::Write::write_all(&mut file, bytes).map_err(io_error(file.path()))?;
        let (_, path) = file.keep().map_err(|e| StoreError::Io {
            path: tmp.clone(),
            source: e.error,
        })?;
        self.put_file(&path)
    }

    /// The blob's path after checking its content against its hash; a corrupt blob is removed.
    pub fn verified_blob(&self, hash: &str) -> Result<PathBuf, StoreError> {
        let path = self.blob_path(hash);
        if hash_file(&path)? != hash {
            let _ = fs::remove_file(&path);
            return Err(StoreError::Corrupt(hash.to_string()));
        }
        Ok(path)
    }

    /// The blob's bytes, verified against its hash.
    pub fn read_blob(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(hash);
        let bytes = fs::read(&path).map_err(io_error(&path))?;
        if blake3::hash(&bytes).to_hex().as_str() != hash {
            let _ = fs::remove_file(&path);
            return Err(StoreError::Corrupt(hash.to_string()));
        }
        Ok(bytes)
    }

    /// The action entry for `key`, if it exists and all its output blobs are present.
    pub fn action(&self, key: &str) -> Option<ActionEntry> {
        let entry = self.record_of(key)?;
        let complete = entry
            .outputs
            .values()
            .all(|hash| self.blob_path(hash).is_file());
        complete.then_some(entry)
    }

    /// The action entry recorded for `key`, whether or not its blobs are still there (to explain a change).
    pub fn record_of(&self, key: &str) -> Option<ActionEntry> {
        let bytes = fs::read(self.action_path(key)).ok()?;
        let entry: ActionEntry = serde_json::from_slice(&bytes).ok()?;
        (entry.key == key).then_some(entry)
    }

    /// Records a finished node (atomically).
    pub fn record(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        let dest = self.action_path(&entry.key);
        let json = serde_json::to_vec_pretty(entry).expect("an action entry always serialises");
        write_atomic(&dest, &json)
    }
}

/// Writes `bytes` to `dest` through a temporary file in the same folder and a rename.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let parent = dest.parent().expect("destinations have a parent");
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(io_error(parent))?;
    io::Write::write_all(&mut file, bytes).map_err(io_error(dest))?;
    file.persist(dest).map_err(|e| StoreError::Io {
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// The blake3 hash of a file's content, in hex.
pub fn hash_file(path: &Path) -> Result<String, StoreError> {
    let mut hasher = blake3::Hasher::new();
    hasher
        .update_reader(File::open(path).map_err(io_error(path))?)
        .map_err(io_error(path))?;
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_corruption_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let hash = store.put_bytes(b"hello").unwrap();
        assert_eq!(hash, blake3::hash(b"hello").to_hex().as_str());
        assert_eq!(store.read_blob(&hash).unwrap(), b"hello");
        let path = store.blob_path(&hash);
        let mut permissions = fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        fs::set_permissions(&path, permissions).unwrap();
        fs::write(&path, b"jello").unwrap();
        assert!(matches!(
            store.verified_blob(&hash),
            Err(StoreError::Corrupt(_))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn an_action_without_its_blobs_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let blob = store.put_bytes(b"out").unwrap();
        let entry = ActionEntry {
            key: "ab12".into(),
            node: "n".into(),
            outputs: [("o".to_string(), blob.clone())].into(),
            meta: BTreeMap::new(),
            seconds: 0.0,
            bytes: 3,
            usage: Usage::default(),
            signature: Vec::new(),
        };
        store.record(&entry).unwrap();
        assert!(store.action("ab12").is_some());
        fs::remove_file(store.blob_path(&blob)).unwrap();
        assert!(store.action("ab12").is_none());
    }

    #[test]
    fn a_second_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let _held = store.lock().unwrap();
        assert!(matches!(store.lock(), Err(StoreError::Locked(_))));
    }
}
