//! Cache pruning: removes action entries that no recent build used, then every blob no remaining entry
//! refers to. What the last build used is always kept, so the next build of an unchanged project runs nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::report::Report;
use crate::store::{ActionEntry, Store, StoreError, io_error};

/// Which entries the last build did not use are removed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// All of them.
    Unused,
    /// Those no build used within this many days.
    OlderThan { days: f64 },
    /// The least recently used ones, until the cache is at most this many bytes.
    MaxSize { bytes: u64 },
}

/// What a collection removed and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub entries_removed: usize,
    pub entries_kept: usize,
    pub blobs_removed: usize,
    pub bytes_freed: u64,
    pub bytes_kept: u64,
}

/// Parses a size such as `500M`, `2G`, `750K` or `1048576` (bytes; K, M, G are powers of 1024).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&text[..i], text[i..].to_ascii_uppercase()),
        None => (text, String::new()),
    };
    let factor: u64 = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    let number: f64 = number.trim().parse().ok()?;
    (number >= 0.0).then_some((number * factor as f64) as u64)
}

/// Every action entry in the cache, with its file.
fn entries(store: &Store) -> Vec<(PathBuf, ActionEntry)> {
    walkdir::WalkDir::new(store.root().join("actions"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let entry: ActionEntry = serde_json::from_slice(&fs::read(e.path()).ok()?).ok()?;
            Some((e.path().to_path_buf(), entry))
        })
        .collect()
}

fn modified_unix(path: &Path) -> u64 {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Prunes the cache under `policy`, given the build reports (oldest first).
pub fn collect(store: &Store, reports: &[Report], policy: Policy) -> Result<Summary, StoreError> {
    let mut last_used: BTreeMap<String, u64> = BTreeMap::new();
    for report in reports {
        for node in report
            .nodes
            .iter()
            .filter(|n| n.state == "ran" || n.state == "cached")
        {
            if let Some(key) = &node.key {
                last_used.insert(key.clone(), report.started_unix);
            }
        }
    }
    let live: BTreeSet<&str> = reports
        .last()
        .map(|r| r.nodes.iter().filter_map(|n| n.key.as_deref()).collect())
        .unwrap_or_default();
    let mut candidates: Vec<(u64, PathBuf, ActionEntry)> = Vec::new();
    let mut kept: Vec<ActionEntry> = Vec::new();
    for (path, entry) in entries(store) {
        if live.contains(entry.key.as_str()) {
            kept.push(entry);
        } else {
            let used = last_used
                .get(&entry.key)
                .copied()
                .unwrap_or_else(|| modified_unix(&path));
            candidates.push((used, path, entry));
        }
    }
    candidates.sort_by_key(|(used, _, _)| *used);
    let blob_size = |hash: &str| fs::metadata(store.blob_path(hash)).map_or(0, |m| m.len());
    let mut references: BTreeMap<String, usize> = BTreeMap::new();
    for entry in kept.iter().chain(candidates.iter().map(|(_, _, e)| e)) {
        for hash in entry.outputs.values() {
            *references.entry(hash.clone()).or_default() += 1;
        }
    }
    let mut size: u64 = references.keys().map(|h| blob_size(h)).sum();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut summary = Summary::default();
    for (used, path, entry) in candidates {
        let remove = match policy {
            Policy::Unused => true,
            Policy::OlderThan { days } => {
                Duration::from_secs(used)
                    < now.saturating_sub(Duration::from_secs_f64(days * 86_400.0))
            }
            Policy::MaxSize { bytes } => size > bytes,
        };
        if !remove {
            kept.push(entry);
            continue;
        }
        fs::remove_file(&path).map_err(io_error(&path))?;
        summary.entries_removed += 1;
        for hash in entry.outputs.values() {
            let count = references.get_mut(hash).expect("every output is counted");
            *count -= 1;
            if *count == 0 {
                size -= blob_size(hash);
            }
        }
    }
    summary.entries_kept = kept.len();
    // Every blob no remaining entry refers to goes, including any a killed build left behind.
    let referenced: BTreeSet<&String> = kept.iter().flat_map(|e| e.outputs.values()).collect();
    for blob in walkdir::WalkDir::new(store.root().join("cas"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if !blob.file_type().is_file() {
            continue;
        }
        let bytes = blob.metadata().map_or(0, |m| m.len());
        let hash = blob.file_name().to_string_lossy().to_string();
        if referenced.contains(&hash) {
            summary.bytes_kept += bytes;
        } else {
            fs::remove_file(blob.path()).map_err(io_error(blob.path()))?;
            summary.blobs_removed += 1;
            summary.bytes_freed += bytes;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("1.5KiB"), Some(1536));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("12X"), None);
        assert_eq!(parse_size("-1"), None);
    }
}
