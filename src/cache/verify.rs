//! `vbuild cache verify`: checks the whole local cache (its folders, every blob against its hash, every
//! action entry against its kind's outputs and its blobs, every remembered segment as one) and, with
//! `--repair`, removes what is damaged, so that the next build runs exactly the nodes whose results were lost.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cache::{ActionEntry, Store, StoreError, folders, io_error, memo};
use crate::graph::node::NodeKind;
use crate::sys::digest::Digest;
use crate::sys::fs::remove_any;

/// One damaged thing in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub what: String,
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Verification {
    /// There is no cache at all (nothing was built here yet).
    pub absent: bool,
    pub entries: usize,
    pub blobs: usize,
    pub problems: Vec<Problem>,
    /// Files and folders in the cache's folders that vbuild did not name: reported, never removed.
    pub strangers: Vec<PathBuf>,
}

/// Checks the cache at `root`; with `repair`, removes every damaged blob and entry and remakes damaged
/// folders (call while holding the build lock). Only names vbuild gives are ever removed.
pub fn verify(root: &Path, repair: bool) -> Result<Verification, StoreError> {
    let mut found = Verification::default();
    if fs::symlink_metadata(root).is_err() {
        found.absent = true;
        return Ok(found);
    }
    let mut problem = |path: &Path, what: String| {
        found.problems.push(Problem {
            path: path.to_path_buf(),
            what,
        })
    };
    for folder in Store::FOLDERS {
        let path = root.join(folder);
        if !fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            problem(&path, "not a folder".into());
        }
    }
    let store = if repair {
        Store::open(root)?
    } else {
        Store::view(root)?
    };
    let mut damaged: Vec<PathBuf> = Vec::new();
    let blobs = shelf(&root.join("cas"), folders::blob_name, check_blob);
    for (path, what) in blobs.problems {
        problem(&path, what);
        damaged.push(path);
    }
    if repair {
        remove_all(&damaged)?;
        damaged.clear();
    }
    let entries = shelf(&root.join("actions"), folders::entry_name, |path, key| {
        check_entry(&store, path, key)
    });
    for (path, what) in entries.problems {
        problem(&path, what);
        damaged.push(path);
    }
    if repair {
        remove_all(&damaged)?;
        // The index would still know what was removed; the next build refills it from the entry files.
        crate::cache::index::forget(root).map_err(crate::cache::io_error(root))?;
    }
    found.blobs = blobs.files;
    found.entries = entries.files;
    found.strangers = blobs.strangers;
    found.strangers.extend(entries.strangers);
    Ok(found)
}

/// What was found on a shelf.
struct Shelf {
    /// Files checked.
    files: usize,
    problems: Vec<(PathBuf, String)>,
    strangers: Vec<PathBuf>,
}

/// The items of a two-level shelf (`cas/` or `actions/`) that vbuild named, listed by [`folders::shelf`]
/// with `named`: `check` is asked about each file by the digest its name stands for; anything else with a
/// name of vbuild's (a shard that is not a folder, scratch an atomic write left, an item that is not a file)
/// is a problem, and what vbuild did not name is a stranger.
fn shelf(
    root: &Path,
    named: fn(&str, &str) -> Option<Digest>,
    check: impl Fn(&Path, &Digest) -> Result<(), String>,
) -> Shelf {
    let listed = folders::shelf(root, named);
    let mut found = Shelf {
        files: 0,
        problems: Vec::new(),
        strangers: listed.strangers,
    };
    for shard in listed.shards {
        if !shard.is_dir {
            found.problems.push((shard.path, "not a folder".into()));
        }
        for item in shard.items {
            let what = match &item.key {
                None => Err("left by a write that did not finish".into()),
                Some(_) if !item.is_file => Err("not a regular file".into()),
                Some(key) => {
                    found.files += 1;
                    check(&item.path, key)
                }
            };
            if let Err(what) = what {
                found.problems.push((item.path, what));
            }
        }
    }
    found
}

fn check_blob(path: &Path, hash: &Digest) -> Result<(), String> {
    match Digest::of_file(path) {
        Ok(content) if content == *hash => Ok(()),
        Ok(content) => Err(format!("its content hashes to {}", content.short())),
        Err(err) => Err(err.to_string()),
    }
}

fn check_entry(store: &Store, path: &Path, key: &Digest) -> Result<(), String> {
    let entry: ActionEntry = crate::sys::files::read(path, crate::sys::files::CACHE_BYTES)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        .map_err(|err| format!("unreadable entry: {err}"))?;
    if entry.key != *key {
        return Err(format!("it says it is entry {}", entry.key.short()));
    }
    if entry.node == memo::NODE {
        return memo::check(&entry);
    }
    let Some(kind) = NodeKind::of_node(&entry.node) else {
        return Err(format!("node {:?} is of no known kind", entry.node));
    };
    store.check(&entry, kind).map_err(|d| d.to_string())
}

fn remove_all(paths: &[PathBuf]) -> Result<(), StoreError> {
    for path in paths {
        remove_any(path).map_err(io_error(path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_found_then_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".vbuild");
        let store = Store::open(&root).unwrap();
        let mut file = store.scratch_file().unwrap();
        std::io::Write::write_all(&mut file, b"script").unwrap();
        let (_, path) = file.keep().unwrap();
        let blob = store.put_file(&path).unwrap();
        let good = ActionEntry {
            key: Digest::of(b"good"),
            node: "script:01-a".into(),
            outputs: [("script".to_string(), blob.clone())].into(),
            meta: Default::default(),
            seconds: 0.0,
            bytes: Some(6),
            usage: Default::default(),
            signature: Vec::new(),
        };
        store.record(&good).unwrap();
        let wrong_kind = ActionEntry {
            key: Digest::of(b"wrong"),
            node: "audio:01-a/01".into(),
            ..good.clone()
        };
        store.record(&wrong_kind).unwrap();
        fs::write(root.join("cas/ab"), "a file where a folder belongs").unwrap();
        // Names vbuild does not give are the user's: reported, never removed.
        fs::write(root.join("cas/notes.txt"), "mine").unwrap();
        fs::create_dir_all(root.join("actions/cd")).unwrap();
        fs::write(root.join("actions/cd/draft.json"), "mine too").unwrap();
        let found = verify(&root, false).unwrap();
        assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
        assert_eq!(found.strangers.len(), 2, "{:?}", found.strangers);
        assert!(root.join("cas/ab").exists(), "verify alone changes nothing");
        let repaired = verify(&root, true).unwrap();
        assert_eq!(repaired.problems.len(), 2);
        let again = verify(&root, false).unwrap();
        assert_eq!(again.problems, Vec::new());
        assert_eq!((again.entries, again.blobs), (1, 1));
        assert_eq!(
            fs::read_to_string(root.join("cas/notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            fs::read_to_string(root.join("actions/cd/draft.json")).unwrap(),
            "mine too"
        );
    }

    #[test]
    fn no_cache_is_nothing_to_check() {
        let dir = tempfile::tempdir().unwrap();
        let found = verify(&dir.path().join(".vbuild"), false).unwrap();
        assert!(found.absent && found.problems.is_empty());
    }
}
