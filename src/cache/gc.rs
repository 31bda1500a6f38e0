//! Cache pruning: removes action entries no full build of the current Videofile needs (and, by policy, those
//! unused for a while or beyond a size), every blob no remaining entry refers to, damaged entries, and old
//! build reports. What a full build needs is always kept, whatever was built last, so nothing paid for is
//! lost to a gc after a partial build; a dry run (`-n`) removes nothing and says what would go.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cache::{ActionEntry, Store, StoreError, folders, io_error, memo};
use crate::record::report::NodeState;
use crate::record::report::Report;
use crate::sys::digest::Digest;
use crate::sys::fs::remove_any;

/// Which entries a full build does not need are removed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// All of them.
    Unused,
    /// Those no build used within this long.
    OlderThan { age: Duration },
    /// The least recently used ones, until the cache is at most this many bytes.
    MaxSize { bytes: u64 },
}

/// What a collection removed (in a dry run: would remove) and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub entries_removed: usize,
    pub entries_kept: usize,
    pub blobs_removed: usize,
    pub bytes_freed: u64,
    pub bytes_kept: u64,
    pub reports_removed: usize,
    /// The node of every entry removed, for a dry run to list.
    pub removed_nodes: Vec<String>,
    /// Every file (or folder) removed, for a dry run to list.
    pub removed_files: Vec<PathBuf>,
    /// Files and folders in the cache's folders that vbuild did not name: never removed.
    pub strangers: Vec<PathBuf>,
}

/// An action entry file: the entry, or `None` when the file is damaged (it is garbage either way).
type EntryFile = (PathBuf, Option<ActionEntry>);

/// What gc found in the cache's shelves: the entry files, and what else carries a name vbuild gives
/// (scratch an atomic write left, a shard name on something that is not a folder), which goes too.
#[derive(Default)]
struct Shelves {
    entries: Vec<EntryFile>,
    debris: Vec<PathBuf>,
    /// Files and folders vbuild did not name, found in its folders: never removed.
    strangers: Vec<PathBuf>,
}

/// Every action entry file in the cache, and what else is on the `actions/` shelf.
fn entries(store: &Store, found: &mut Shelves) {
    let shelf = folders::shelf(&store.root().join("actions"), folders::entry_name);
    found.strangers.extend(shelf.strangers);
    for shard in shelf.shards {
        if !shard.is_dir {
            found.debris.push(shard.path);
        }
        for item in shard.items {
            let Some(key) = item.key else {
                found.debris.push(item.path);
                continue;
            };
            let entry = item
                .is_file
                .then(|| crate::sys::files::read(&item.path, crate::sys::files::CACHE_BYTES).ok())
                .flatten()
                .and_then(|bytes| serde_json::from_slice::<ActionEntry>(&bytes).ok())
                .filter(|entry| entry.key == key);
            found.entries.push((item.path, entry));
        }
    }
}

fn modified_unix(path: &Path) -> u64 {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Removes `path` (a name vbuild gave, in one of its folders) unless this is a dry run, and lists it.
fn remove(path: &Path, dry_run: bool, removed: &mut Vec<PathBuf>) -> Result<(), StoreError> {
    if !dry_run {
        remove_any(path).map_err(io_error(path))?;
    }
    removed.push(path.to_path_buf());
    Ok(())
}

/// Prunes the cache under `policy`, keeping every entry whose key is in `live` (what a full build of the
/// current Videofile needs) or that the last build used, given the build reports (oldest first). With
/// `dry_run`, nothing is removed.
pub fn collect(
    store: &Store,
    reports: &[Report],
    live: &BTreeSet<Digest>,
    policy: Policy,
    keep: usize,
    dry_run: bool,
) -> Result<Summary, StoreError> {
    let mut last_used: BTreeMap<&str, u64> = BTreeMap::new();
    for report in reports {
        for node in report
            .nodes
            .iter()
            .filter(|n| matches!(n.state, NodeState::Ran | NodeState::Cached))
        {
            if let Some(key) = &node.key {
                last_used.insert(key.as_str(), report.started_unix);
            }
        }
    }
    // What the last build used stays too, whatever it was built with.
    let mut live = live.clone();
    if let Some(last) = reports.last() {
        live.extend(last.nodes.iter().filter_map(|n| n.key.clone()));
    }
    let mut summary = Summary::default();
    let mut candidates: Vec<(u64, PathBuf, ActionEntry)> = Vec::new();
    let mut kept: Vec<ActionEntry> = Vec::new();
    let mut shelves = Shelves::default();
    entries(store, &mut shelves);
    // A translation kept keeps the segments it was made of, however long ago they were paid for.
    let segments: Vec<Digest> = (shelves.entries.iter())
        .filter_map(|(_, entry)| entry.as_ref())
        .filter(|entry| live.contains(&entry.key))
        .flat_map(|entry| memo::segments_of(entry).collect::<Vec<_>>())
        .collect();
    live.extend(segments);
    for path in &shelves.debris {
        remove(path, dry_run, &mut summary.removed_files)?;
    }
    for (path, entry) in shelves.entries {
        match entry {
            Some(entry) if live.contains(&entry.key) => kept.push(entry),
            Some(entry) => {
                let used = last_used
                    .get(entry.key.as_str())
                    .copied()
                    .unwrap_or_else(|| modified_unix(&path));
                candidates.push((used, path, entry));
            }
            None => {
                remove(&path, dry_run, &mut summary.removed_files)?;
                summary.entries_removed += 1;
                summary
                    .removed_nodes
                    .push(format!("a damaged entry ({})", path.display()));
            }
        }
    }
    candidates.sort_by_key(|(used, _, _)| *used);
    let blob_size = |hash: &Digest| fs::metadata(store.blob_path(hash)).map_or(0, |m| m.len());
    let mut references: BTreeMap<Digest, usize> = BTreeMap::new();
    for entry in kept.iter().chain(candidates.iter().map(|(_, _, e)| e)) {
        for hash in entry.outputs.values() {
            *references.entry(hash.clone()).or_default() += 1;
        }
    }
    let mut size: u64 = references.keys().map(&blob_size).sum();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    for (used, path, entry) in &candidates {
        let goes = match policy {
            Policy::Unused => true,
            Policy::OlderThan { age } => Duration::from_secs(*used) < now.saturating_sub(age),
            Policy::MaxSize { bytes } => size > bytes,
        };
        if !goes {
            kept.push(entry.clone());
            continue;
        }
        remove(path, dry_run, &mut summary.removed_files)?;
        summary.entries_removed += 1;
        summary.removed_nodes.push(if entry.node == memo::NODE {
            "a translated segment no translation kept is made of".to_string()
        } else {
            entry.node.clone()
        });
        for hash in entry.outputs.values() {
            let count = references.get_mut(hash).expect("every output is counted");
            *count -= 1;
            if *count == 0 {
                size -= blob_size(hash);
            }
        }
    }
    summary.entries_kept = kept.len();
    // Every blob no remaining entry refers to goes, including any a killed build left behind, and whatever
    // else carries a name vbuild gives there; what vbuild did not name stays.
    let referenced: BTreeSet<&Digest> = kept.iter().flat_map(|e| e.outputs.values()).collect();
    let shelf = folders::shelf(&store.root().join("cas"), folders::blob_name);
    shelves.strangers.extend(shelf.strangers);
    for shard in shelf.shards {
        let mut unwanted: Vec<(PathBuf, u64)> = Vec::new();
        if !shard.is_dir {
            unwanted.push((shard.path, 0));
        }
        for item in shard.items {
            let bytes = fs::symlink_metadata(&item.path).map_or(0, |m| m.len());
            match item.key {
                Some(hash) if item.is_file && referenced.contains(&hash) => {
                    summary.bytes_kept += bytes;
                }
                _ => unwanted.push((item.path, bytes)),
            }
        }
        for (path, bytes) in unwanted {
            remove(&path, dry_run, &mut summary.removed_files)?;
            summary.blobs_removed += 1;
            summary.bytes_freed += bytes;
        }
    }
    summary.strangers = shelves.strangers;
    if !dry_run && summary.entries_removed > 0 {
        // The index would still know the removed entries; the next build refills it from the files.
        crate::cache::index::forget(store.root()).map_err(io_error(store.root()))?;
    }
    prune_reports(store, reports, policy, now, keep, dry_run, &mut summary)?;
    Ok(summary)
}

/// Removes build reports beyond the newest `keep` (and, under `--older-than`, older ones but the newest).
fn prune_reports(
    store: &Store,
    reports: &[Report],
    policy: Policy,
    now: Duration,
    keep: usize,
    dry_run: bool,
    summary: &mut Summary,
) -> Result<(), StoreError> {
    let newest_kept = reports.len().saturating_sub(keep);
    for (index, report) in reports.iter().enumerate() {
        let too_old = match policy {
            Policy::OlderThan { age } => {
                Duration::from_secs(report.started_unix) < now.saturating_sub(age)
            }
            _ => false,
        };
        let newest = index + 1 == reports.len();
        if !newest && (index < newest_kept || too_old) {
            let path = store
                .root()
                .join("builds")
                .join(format!("{}.json", report.id));
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                remove(&path, dry_run, &mut summary.removed_files)?;
                summary.reports_removed += 1;
            }
        }
    }
    Ok(())
}
