//! `vbuild cache verify`: checks the whole local cache (its folders, every blob against its hash, every
//! action entry against its kind's outputs and its blobs) and, with `--repair`, removes what is damaged, so
//! that the next build runs exactly the nodes whose results were lost.

use std::fs;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::node::NodeKind;
use crate::store::{ActionEntry, Store, StoreError, hash_file, io_error};

/// One damaged thing in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub what: String,
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Verification {
    pub entries: usize,
    pub blobs: usize,
    pub problems: Vec<Problem>,
}

/// Checks the cache at `root`; with `repair`, removes every damaged blob and entry and remakes damaged
/// folders (call while holding the build lock).
pub fn verify(root: &Path, repair: bool) -> Result<Verification, StoreError> {
    let mut found = Verification::default();
    let mut problem = |path: &Path, what: String| {
        found.problems.push(Problem {
            path: path.to_path_buf(),
            what,
        })
    };
    for folder in Store::FOLDERS {
        let path = root.join(folder);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            problem(&path, "not a folder".into());
        }
    }
    let store = if repair {
        Store::open(root)?
    } else {
        Store::view(root)
    };
    let mut damaged: Vec<PathBuf> = Vec::new();
    for (path, what) in shelf(&root.join("cas"), check_blob) {
        problem(&path, what);
        damaged.push(path);
    }
    let blobs = count_files(&root.join("cas"));
    if repair {
        remove_all(&damaged)?;
        damaged.clear();
    }
    let entries = shelf(&root.join("actions"), |path, name| {
        check_entry(&store, path, name)
    });
    for (path, what) in entries {
        problem(&path, what);
        damaged.push(path);
    }
    if repair {
        remove_all(&damaged)?;
        // The index would still know what was removed; the next build refills it from the entry files.
        crate::store::index::forget(root).map_err(crate::store::io_error(root))?;
    }
    found.blobs = blobs;
    found.entries = count_files(&root.join("actions"));
    Ok(found)
}

/// The files of a two-level shelf (`cas/` or `actions/`: two-digit folders of files): `check` is asked about
/// each file by name; anything out of place is a problem too.
fn shelf(root: &Path, check: impl Fn(&Path, &str) -> Option<String>) -> Vec<(PathBuf, String)> {
    let mut problems = Vec::new();
    for item in walkdir::WalkDir::new(root)
        .min_depth(1)
        .max_depth(2)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = item.path().to_path_buf();
        let name = item.file_name().to_string_lossy().to_string();
        let is_dir = item.file_type().is_dir();
        let what = match item.depth() {
            1 if !is_dir => Some("not a folder".to_string()),
            1 => (name.len() != 2).then(|| "a folder that does not belong here".to_string()),
            _ if !item.file_type().is_file() => Some("not a regular file".to_string()),
            _ => {
                let shard = item
                    .path()
                    .parent()
                    .and_then(Path::file_name)
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                if name.starts_with(&shard) {
                    check(&path, &name)
                } else {
                    Some(format!("filed under {shard}/"))
                }
            }
        };
        if let Some(what) = what {
            problems.push((path, what));
        }
    }
    problems
}

fn check_blob(path: &Path, name: &str) -> Option<String> {
    let Ok(hash) = Digest::parse(name) else {
        return Some("its name is not a digest".into());
    };
    match hash_file(path) {
        Ok(content) if content == hash => None,
        Ok(content) => Some(format!("its content hashes to {}", content.short())),
        Err(err) => Some(err.to_string()),
    }
}

fn check_entry(store: &Store, path: &Path, name: &str) -> Option<String> {
    let Some(key) = name.strip_suffix(".json") else {
        return Some("not an entry file".into());
    };
    let entry: ActionEntry = match fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(entry) => entry,
        Err(err) => return Some(format!("unreadable entry: {err}")),
    };
    if entry.key.as_str() != key {
        return Some(format!("it says it is entry {}", entry.key.short()));
    }
    let Some(kind) = NodeKind::of_node(&entry.node) else {
        return Some(format!("node {:?} is of no known kind", entry.node));
    };
    store
        .check(&entry, kind.outputs())
        .err()
        .map(|d| d.to_string())
}

fn count_files(root: &Path) -> usize {
    walkdir::WalkDir::new(root)
        .min_depth(2)
        .max_depth(2)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count()
}

fn remove_all(paths: &[PathBuf]) -> Result<(), StoreError> {
    for path in paths {
        let removed = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
            Err(_) => Ok(()),
        };
        removed.map_err(io_error(path))?;
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
        fs::write(root.join("cas/zz"), "a file where a folder belongs").unwrap();
        assert!(verify(&root, false).unwrap().problems.len() == 2);
        assert!(root.join("cas/zz").exists(), "verify alone changes nothing");
        let repaired = verify(&root, true).unwrap();
        assert_eq!(repaired.problems.len(), 2);
        let again = verify(&root, false).unwrap();
        assert_eq!(again.problems, Vec::new());
        assert_eq!((again.entries, again.blobs), (1, 1));
    }
}
