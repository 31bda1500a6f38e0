//! The local cache under `.vbuild/`: blobs by content hash (`cas/`) and action entries by node key
//! (`actions/`, and all of them in one [`index`] a build reads at once). Every write is atomic (a temporary
//! file renamed into place) and every blob read is verified, so a build killed at any moment leaves only
//! whole entries behind.

pub mod facts;
pub mod folders;
pub mod gc;
pub mod index;
mod listing;
pub mod memo;
pub mod remote;
pub mod verify;

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::graph::node::NodeKind;
use crate::graph::signature::Field;
use crate::record::cost::Usage;
use crate::sys::digest::Digest;
use crate::sys::fs::{PathError, remove_any, write_atomic};
use crate::sys::small_map::SmallMap;
use index::Index;
use listing::Listing;

/// A cache problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cache {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// Another vbuild process is building in the same project.
    #[error("another vbuild is already building here (it holds {0}); wait for it or stop it")]
    Locked(PathBuf),
    /// A cache folder is a link to a folder that holds files vbuild did not make.
    #[error(
        "cache folder {link} links to {target}, which holds {found:?}{} that vbuild did not make; vbuild \
         writes and removes files only in folders of its own",
        if *more > 0 { format!(" and {more} more") } else { String::new() }
    )]
    Foreign {
        link: PathBuf,
        target: PathBuf,
        /// The first of the names vbuild did not give, and how many more there are.
        found: String,
        more: usize,
    },
    /// A blob's content does not match its hash; it has been removed.
    #[error("cache blob {0} was corrupt and has been removed; run vbuild again to rebuild it")]
    Corrupt(Digest),
}

impl From<PathError> for StoreError {
    fn from(err: PathError) -> Self {
        StoreError::Io {
            path: err.path,
            source: err.source,
        }
    }
}

/// What a finished node left in the cache: its output blobs and facts about them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionEntry {
    pub key: Digest,
    /// The node's name when it ran, e.g. `audio:02-gradient-descent/03`.
    pub node: String,
    /// Output name to blob hash.
    pub outputs: SmallMap<Digest>,
    /// Facts a dependent node reads without opening the blobs (durations, counts).
    pub meta: SmallMap<serde_json::Value>,
    /// How long the node took to run, in seconds.
    pub seconds: f64,
    /// Total size of the outputs (each counted once per output name); unknown in entries older than the
    /// field, whose size is then not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// What the node consumed from its provider.
    #[serde(default)]
    pub usage: Usage,
    /// The signed fields that made the key (kept in the entry's file, not in the index).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature: Vec<Field>,
}

impl ActionEntry {
    /// The hash of output `name`; entries are checked against their kind's outputs before they are used.
    pub fn output(&self, name: &str) -> &Digest {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("entry of {} has no output {name:?}", self.node))
    }

    /// Checks that the entry holds exactly the outputs of its kind.
    pub fn check_outputs(&self, kind: NodeKind) -> Result<(), Damage> {
        let found: BTreeSet<&str> = self.outputs.keys().map(String::as_str).collect();
        let wanted: BTreeSet<&str> = kind.outputs().iter().copied().collect();
        if found == wanted {
            return Ok(());
        }
        let list = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
        Err(Damage::Outputs {
            found: list(&found),
            expected: list(&wanted),
        })
    }

    /// A number from `meta`, or 0.
    pub fn number(&self, name: &str) -> f64 {
        self.meta
            .get(name)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0)
    }
}

/// Why an action entry cannot be used. An entry found damaged is a miss: its node runs again and its new
/// entry replaces the damaged one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// The file is not a well-formed entry (bad JSON, a hash that is not a digest, ...).
    #[error("unreadable entry: {0}")]
    Unreadable(String),
    /// The entry is filed under another key than its own.
    #[error("the entry is filed under key {filed} but says it is {inside}")]
    WrongKey { filed: String, inside: String },
    /// Its outputs are not those its node kind makes.
    #[error("its outputs are [{found}], its kind makes [{expected}]")]
    Outputs { found: String, expected: String },
    /// A blob it names is missing.
    #[error("blob {0} of output {1:?} is missing")]
    Missing(String, String),
    /// A blob it names is a folder, a link or another non-file.
    #[error("blob {0} of output {1:?} is not a regular file")]
    NotAFile(String, String),
    /// A fact it states is of the wrong type or range, or does not fit its blobs.
    #[error("its fact {name:?} does not hold: {why}")]
    Fact { name: String, why: String },
    /// Its blobs do not add up to the size it recorded (it names another node's blobs).
    #[error("its blobs hold {found} bytes, it recorded {recorded}")]
    Size { found: u64, recorded: u64 },
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// The index of the action entries, read at the first look-up.
    index: Arc<Mutex<Option<Index>>>,
    /// The blobs found in `cas/`, listed at the first look-up of an indexed entry.
    listing: Arc<Mutex<Option<Listing>>>,
    /// The store may be written (not a dry run's view).
    writable: bool,
    /// The translated segments being asked for in this process.
    claims: Arc<memo::Claims>,
}

/// Wraps an I/O error with the path it happened on.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes `dir` a folder, replacing a file (or a link to anything but a folder) found in its place; the
/// cache's own folders only. A link to a folder, such as a cache moved to a bigger disk, is kept.
fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    let present = fs::symlink_metadata(dir).is_ok();
    if present && !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        log::warn!("cache folder {} was not a folder; replaced", dir.display());
        fs::remove_file(dir).map_err(io_error(dir))?;
    }
    fs::create_dir_all(dir).map_err(io_error(dir))
}

impl Store {
    /// The folders of the cache.
    pub const FOLDERS: [&str; 4] = ["cas", "actions", "tmp", "builds"];

    /// Opens (and creates) the cache at `root`, after checking that the folders it reaches through links are
    /// the cache's own ([`folders::check`]).
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        folders::check(root, true)?;
        for sub in Self::FOLDERS {
            ensure_dir(&root.join(sub))?;
        }
        Ok(Store {
            root: root.to_path_buf(),
            index: Arc::default(),
            listing: Arc::default(),
            writable: true,
            claims: Arc::default(),
        })
    }

    /// The cache at `root` as it is, to read only: nothing is created or repaired (dry runs); its linked
    /// folders are checked as [`Store::open`] checks them.
    pub fn view(root: &Path) -> Result<Store, StoreError> {
        folders::check(root, false)?;
        Ok(Store {
            root: root.to_path_buf(),
            index: Arc::default(),
            listing: Arc::default(),
            writable: false,
            claims: Arc::default(),
        })
    }

    /// Lets go of the index and the listing of `cas/` once a build's look-ups are over (what it added is in
    /// the files): the rest of the build does not hold them. A later look-up reads them again.
    pub fn release_lookups(&self) {
        *self.index.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.listing.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Runs `with` on the index (read at the first call).
    fn with_index<T>(&self, with: impl FnOnce(&mut Index) -> T) -> T {
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        with(index.get_or_insert_with(|| Index::load(&self.root, self.writable)))
    }

    /// Runs `with` on the listing of `cas/` (read at the first call).
    fn with_listing<T>(&self, with: impl FnOnce(&mut Listing) -> T) -> T {
        let mut listing = self.listing.lock().unwrap_or_else(|e| e.into_inner());
        with(listing.get_or_insert_with(|| Listing::read(&self.root.join("cas"))))
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the build lock; held until the returned file is dropped. The lock file is opened without
    /// following a link, so a link planted in its place cannot make vbuild write anywhere else.
    pub fn lock(&self) -> Result<File, StoreError> {
        let path = self.root.join("lock");
        let open = || {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
        };
        let file = match open() {
            Err(err) if err.raw_os_error() == Some(libc::ELOOP) => {
                log::warn!("{} was a link; replaced by a lock file", path.display());
                fs::remove_file(&path).map_err(io_error(&path))?;
                open()
            }
            other => other,
        }
        .map_err(io_error(&path))?;
        // A lock just released may still be held for a moment by a child process another thread is
        // starting (it holds a copy of every open file until it runs its program), so a held lock is tried
        // again for a second before it is another vbuild's.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked(path)),
                Err(fs::TryLockError::Error(source)) => {
                    return Err(StoreError::Io { path, source });
                }
            }
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

    /// A scratch file inside the cache, removed when dropped unless it is moved into the cache.
    pub fn scratch_file(&self) -> Result<tempfile::NamedTempFile, StoreError> {
        let tmp = self.root.join("tmp");
        tempfile::NamedTempFile::new_in(&tmp).map_err(io_error(&tmp))
    }

    /// Removes scratch files left by a build that was killed (call while holding the lock).
    pub fn clear_scratch(&self) -> Result<(), StoreError> {
        let tmp = self.root.join("tmp");
        remove_any(&tmp).map_err(io_error(&tmp))?;
        ensure_dir(&tmp)
    }

    /// Where the blob with `hash` lives.
    pub fn blob_path(&self, hash: &Digest) -> PathBuf {
        self.root.join("cas").join(hash.shard()).join(hash.as_str())
    }

    fn action_path(&self, key: &Digest) -> PathBuf {
        self.root.join(Self::action_file(key))
    }

    /// Where the entry of `key` is filed, relative to the cache folder.
    pub fn action_file(key: &Digest) -> PathBuf {
        Path::new("actions")
            .join(key.shard())
            .join(format!("{key}.json"))
    }

    /// Moves the file at `path` into the cache; returns its hash. Whatever damaged thing sits where the blob
    /// belongs (a folder, a link, a file of another size) is replaced.
    pub fn put_file(&self, path: &Path) -> Result<Digest, StoreError> {
        let hash = Digest::of_file(path)?;
        let dest = self.blob_path(&hash);
        let size = fs::metadata(path).map_err(io_error(path))?.len();
        match fs::symlink_metadata(&dest) {
            Ok(meta) if meta.is_file() && meta.len() == size => {
                fs::remove_file(path).map_err(io_error(path))?;
                return Ok(hash);
            }
            Ok(_) => {
                log::warn!("cache blob {} was damaged; replaced", hash.short());
                remove_any(&dest).map_err(io_error(&dest))?;
            }
            Err(_) => {}
        }
        ensure_dir(dest.parent().expect("blob paths have a parent"))?;
        let mut permissions = fs::metadata(path).map_err(io_error(path))?.permissions();
        permissions.set_readonly(true);
        fs::set_permissions(path, permissions).map_err(io_error(path))?;
        fs::rename(path, &dest).map_err(io_error(&dest))?;
        Ok(hash)
    }

    /// The blob's path after checking its content against its hash; a corrupt blob is removed.
    pub fn verified_blob(&self, hash: &Digest) -> Result<PathBuf, StoreError> {
        let path = self.blob_path(hash);
        let is_file = fs::symlink_metadata(&path)
            .map_err(io_error(&path))?
            .is_file();
        if !is_file || Digest::of_file(&path)? != *hash {
            remove_any(&path).map_err(io_error(&path))?;
            let mut listing = self.listing.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(listing) = listing.as_mut() {
                listing.forget(hash.as_str());
            }
            return Err(StoreError::Corrupt(hash.clone()));
        }
        Ok(path)
    }

    /// The blob's bytes, verified against its hash.
    pub fn read_blob(&self, hash: &Digest) -> Result<Vec<u8>, StoreError> {
        let path = self.verified_blob(hash)?;
        fs::read(&path).map_err(io_error(&path))
    }

    /// The action entry for `key` if it exists, holds exactly the outputs of its `kind`, states facts that
    /// hold, and all its blobs are there. A damaged entry is reported once and is a miss.
    pub fn action(&self, key: &Digest, kind: NodeKind) -> Option<ActionEntry> {
        let file = self.action_path(key);
        let (entry, checked) = match self.with_index(|index| index.take(key, &file)) {
            // Its file was checked in full when it was indexed and has not changed since.
            Some(entry) => {
                let checked = self.check_listed(&entry, kind);
                (entry, checked)
            }
            None => match self.read_entry(key) {
                Ok(entry) => {
                    let entry = entry?;
                    let checked = self.check(&entry, kind);
                    if checked.is_ok() {
                        self.with_index(|index| index.add(&entry, &file));
                    }
                    (entry, checked)
                }
                Err(damage) => {
                    log::warn!("cache entry {}: {damage}; its node runs again", key.short());
                    return None;
                }
            },
        };
        match checked {
            Ok(()) => Some(entry),
            Err(Damage::Missing(..)) => None,
            Err(damage) => {
                log::warn!(node = entry.node.as_str(); "cache entry {}: {damage}; the node runs again", key.short());
                None
            }
        }
    }

    /// The action entry recorded for `key`, whether or not its blobs are still there (to explain a change).
    pub fn record_of(&self, key: &Digest) -> Option<ActionEntry> {
        self.read_entry(key).ok().flatten()
    }

    /// The entry filed under `key`: `None` if there is none, a [`Damage`] if the file is not a good entry.
    fn read_entry(&self, key: &Digest) -> Result<Option<ActionEntry>, Damage> {
        let Ok(bytes) =
            crate::sys::files::read(&self.action_path(key), crate::sys::files::CACHE_BYTES)
        else {
            return Ok(None);
        };
        let entry: ActionEntry =
            serde_json::from_slice(&bytes).map_err(|e| Damage::Unreadable(e.to_string()))?;
        if entry.key != *key {
            return Err(Damage::WrongKey {
                filed: key.to_string(),
                inside: entry.key.to_string(),
            });
        }
        Ok(Some(entry))
    }

    /// Checks that `entry` makes the outputs of its `kind`, that its blobs are regular files adding up to the
    /// size it recorded (an entry naming another node's blobs does not fit), and that its facts hold (of
    /// themselves and against the blobs' sizes).
    pub fn check(&self, entry: &ActionEntry, kind: NodeKind) -> Result<(), Damage> {
        entry.check_outputs(kind)?;
        let mut sizes: Vec<(&str, u64)> = Vec::new();
        for (name, hash) in &entry.outputs {
            sizes.push((name, self.blob_size(name, hash)?));
        }
        let size = sizes.iter().map(|(_, bytes)| bytes).sum();
        if let Some(recorded) = entry.bytes.filter(|&recorded| recorded != size) {
            return Err(Damage::Size {
                found: size,
                recorded,
            });
        }
        let blob_size = |name: &str| sizes.iter().find(|(n, _)| *n == name).map(|(_, b)| *b);
        facts::check(kind, &entry.meta, &blob_size)
    }

    /// [`Store::check`] for an entry that passed it when it was indexed: its blobs are looked up in the
    /// listing of `cas/` (blobs never change in place, so their sizes are not added up again) and its facts
    /// are checked of themselves.
    fn check_listed(&self, entry: &ActionEntry, kind: NodeKind) -> Result<(), Damage> {
        entry.check_outputs(kind)?;
        for (name, hash) in &entry.outputs {
            if !self.with_listing(|listing| listing.has(hash.as_str())) {
                self.blob_size(name, hash)?;
            }
        }
        facts::check(kind, &entry.meta, &|_| None)
    }

    /// The size of output `name`'s blob, which must be a regular file.
    fn blob_size(&self, name: &str, hash: &Digest) -> Result<u64, Damage> {
        match fs::symlink_metadata(self.blob_path(hash)) {
            Ok(meta) if meta.is_file() => Ok(meta.len()),
            Ok(_) => Err(Damage::NotAFile(hash.short().into(), name.into())),
            Err(_) => Err(Damage::Missing(hash.short().into(), name.into())),
        }
    }

    /// Records a finished node (atomically).
    pub fn record(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        let dest = self.action_path(&entry.key);
        ensure_dir(dest.parent().expect("entry paths have a parent"))?;
        let json = serde_json::to_vec_pretty(entry).expect("an action entry always serialises");
        write_atomic(&dest, &json)?;
        self.with_index(|index| index.add(entry, &dest));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &Store, bytes: &[u8]) -> Digest {
        let mut file = store.scratch_file().unwrap();
        io::Write::write_all(&mut file, bytes).unwrap();
        let (_, path) = file.keep().unwrap();
        store.put_file(&path).unwrap()
    }

    fn entry(key: &str, outputs: &[(&str, &Digest)], bytes: u64) -> ActionEntry {
        ActionEntry {
            key: Digest::of(key.as_bytes()),
            node: "n".into(),
            outputs: outputs
                .iter()
                .map(|(name, hash)| (name.to_string(), (*hash).clone()))
                .collect(),
            meta: SmallMap::new(),
            seconds: 0.0,
            bytes: Some(bytes),
            usage: Usage::default(),
            signature: Vec::new(),
        }
    }

    fn make_writable(path: &Path) {
        let mut permissions = fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        fs::set_permissions(path, permissions).unwrap();
    }

    #[test]
    fn blobs_round_trip_and_corruption_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let hash = put(&store, b"hello");
        assert_eq!(hash, Digest::of(b"hello"));
        assert_eq!(store.read_blob(&hash).unwrap(), b"hello");
        let path = store.blob_path(&hash);
        make_writable(&path);
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
        let blob = put(&store, b"out");
        let entry = entry("a", &[("chapter", &blob)], 3);
        store.record(&entry).unwrap();
        assert!(store.action(&entry.key, NodeKind::Chapter).is_some());
        fs::remove_file(store.blob_path(&blob)).unwrap();
        // The next build (each build opens the store anew) misses it.
        let next = Store::open(dir.path()).unwrap();
        assert!(next.action(&entry.key, NodeKind::Chapter).is_none());
    }

    /// Moves `file`'s modification time back to `stamp`'s, as if the file had not been touched.
    fn keep_stamp(file: &Path, modified_ns: i64) {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(modified_ns as u64);
        File::options()
            .write(true)
            .open(file)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }

    #[test]
    fn the_index_answers_while_an_entry_file_is_unchanged_and_is_refilled_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let blob = put(&store, b"out");
        let first = entry("a", &[("chapter", &blob)], 3);
        store.record(&first).unwrap();
        let file = store.action_path(&first.key);
        let stamp = crate::sys::stamp::Stamp::of(&file).unwrap();

        // A file of the same size and stamp is not read again: the index answers for it.
        let same_size = vec![b' '; stamp.size as usize];
        fs::write(&file, &same_size).unwrap();
        keep_stamp(&file, stamp.modified_ns);
        let fresh = Store::open(dir.path()).unwrap();
        assert_eq!(
            fresh.action(&first.key, NodeKind::Chapter).unwrap().node,
            "n"
        );

        // A changed file is read again (here it is damaged: a miss).
        fs::write(&file, b"{}").unwrap();
        let fresh = Store::open(dir.path()).unwrap();
        assert!(fresh.action(&first.key, NodeKind::Chapter).is_none());

        // A torn last line is skipped; without the index every entry is read from its file.
        store.record(&first).unwrap();
        let fresh = Store::open(dir.path()).unwrap();
        for _ in 0..2 {
            // The second look-up of a key (its line handed over) reads the file.
            assert!(fresh.action(&first.key, NodeKind::Chapter).is_some());
        }
        let second = entry("b", &[("chapter", &blob)], 3);
        store.record(&second).unwrap();
        let index = dir.path().join("index");
        let text = fs::read(&index).unwrap();
        fs::write(&index, &text[..text.len() - 10]).unwrap();
        let fresh = Store::open(dir.path()).unwrap();
        assert!(fresh.action(&first.key, NodeKind::Chapter).is_some());
        assert!(fresh.action(&second.key, NodeKind::Chapter).is_some());
        index::forget(dir.path()).unwrap();
        let fresh = Store::open(dir.path()).unwrap();
        assert!(fresh.action(&second.key, NodeKind::Chapter).is_some());
        assert!(index.is_file(), "the look-up refilled the index");
    }

    #[test]
    fn an_index_of_superseded_lines_is_written_anew() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let blob = put(&store, b"out");
        let only = entry("a", &[("chapter", &blob)], 3);
        for _ in 0..100 {
            store.record(&only).unwrap();
        }
        let lines = |root: &Path| {
            fs::read_to_string(root.join("index"))
                .unwrap()
                .lines()
                .count()
        };
        assert_eq!(lines(dir.path()), 100);
        let fresh = Store::open(dir.path()).unwrap();
        assert!(fresh.action(&only.key, NodeKind::Chapter).is_some());
        assert_eq!(lines(dir.path()), 1);
        // A dry run's view reads the index but never writes it.
        for _ in 0..100 {
            store.record(&only).unwrap();
        }
        let view = Store::view(dir.path()).unwrap();
        assert!(view.action(&only.key, NodeKind::Chapter).is_some());
        assert_eq!(lines(dir.path()), 101);
    }

    #[test]
    fn an_indexed_entry_is_a_miss_once_its_blob_is_gone_or_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let blob = put(&store, b"out");
        let only = entry("a", &[("chapter", &blob)], 3);
        store.record(&only).unwrap();
        let path = store.blob_path(&blob);
        make_writable(&path);
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert!(
            Store::open(dir.path())
                .unwrap()
                .action(&only.key, NodeKind::Chapter)
                .is_none()
        );
        fs::remove_dir(&path).unwrap();
        assert!(
            Store::open(dir.path())
                .unwrap()
                .action(&only.key, NodeKind::Chapter)
                .is_none()
        );
        // Stored again after the listing was read, it is found on disk.
        let store = Store::open(dir.path()).unwrap();
        assert!(store.action(&only.key, NodeKind::Chapter).is_none());
        assert_eq!(put(&store, b"out"), blob);
        assert!(store.action(&only.key, NodeKind::Chapter).is_some());
    }

    #[test]
    fn entries_that_do_not_fit_their_kind_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let speech = put(&store, b"a long narration");
        let picture = put(&store, b"png");
        let check = |e: &ActionEntry| store.check(e, NodeKind::Picture);
        assert_eq!(check(&entry("a", &[("picture", &picture)], 3)), Ok(()));
        // Entries written before sizes were recorded are taken at their word.
        let older = ActionEntry {
            bytes: None,
            ..entry("a", &[("picture", &picture)], 0)
        };
        assert_eq!(check(&older), Ok(()));
        // No outputs at all, another kind's outputs, another node's blob.
        assert!(matches!(
            check(&entry("b", &[], 0)),
            Err(Damage::Outputs { .. })
        ));
        assert!(matches!(
            check(&entry("c", &[("speech", &speech)], 16)),
            Err(Damage::Outputs { .. })
        ));
        assert_eq!(
            check(&entry("d", &[("picture", &speech)], 3)),
            Err(Damage::Size {
                found: 16,
                recorded: 3
            })
        );
        // A folder where the blob belongs.
        let path = store.blob_path(&picture);
        make_writable(&path);
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert!(matches!(
            check(&entry("e", &[("picture", &picture)], 3)),
            Err(Damage::NotAFile(..))
        ));
        // Storing the blob again repairs it.
        assert_eq!(put(&store, b"png"), picture);
        assert_eq!(check(&entry("e", &[("picture", &picture)], 3)), Ok(()));
    }

    #[test]
    fn entries_with_hostile_hashes_are_unreadable_and_touch_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "mine").unwrap();
        let key = Digest::of(b"k");
        let path = store.action_path(&key);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for hash in ["../../victim.txt", "é1", "/etc/passwd"] {
            let json = serde_json::json!({"key": key, "node": "n", "outputs": {"chapter": hash},
                "meta": {}, "seconds": 0.0, "signature": []});
            fs::write(&path, json.to_string()).unwrap();
            assert!(matches!(store.read_entry(&key), Err(Damage::Unreadable(_))));
            assert!(store.action(&key, NodeKind::Chapter).is_none());
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "mine");
    }

    #[test]
    fn cache_folders_replaced_by_files_are_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".vbuild");
        Store::open(&root).unwrap();
        let hash = Digest::of(b"data");
        fs::write(root.join("cas").join(hash.shard()), "not a folder").unwrap();
        fs::remove_dir(root.join("tmp")).unwrap();
        fs::write(root.join("tmp"), "not a folder").unwrap();
        let store = Store::open(&root).unwrap();
        store.clear_scratch().unwrap();
        assert_eq!(put(&store, b"data"), hash);
        assert_eq!(store.read_blob(&hash).unwrap(), b"data");
    }

    #[test]
    fn a_blob_folder_linked_to_another_disk_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let disk = tempfile::tempdir().unwrap();
        let root = dir.path().join(".vbuild");
        fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(disk.path(), root.join("cas")).unwrap();
        let store = Store::open(&root).unwrap();
        let hash = put(&store, b"big video");
        assert!(fs::symlink_metadata(root.join("cas")).unwrap().is_symlink());
        assert!(disk.path().join(hash.shard()).join(hash.as_str()).is_file());
    }

    #[test]
    fn a_second_lock_is_refused_and_a_linked_lock_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "mine").unwrap();
        std::os::unix::fs::symlink(&victim, store.root().join("lock")).unwrap();
        let _held = store.lock().unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "mine");
        assert!(matches!(store.lock(), Err(StoreError::Locked(_))));
    }

    #[test]
    fn a_lock_released_a_moment_later_is_taken() {
        // As when a child process another thread was starting held a copy of the lock's file for a moment.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".vbuild")).unwrap();
        let held = store.lock().unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            drop(held);
        });
        assert!(store.lock().is_ok());
        release.join().unwrap();
    }
}
