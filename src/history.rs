//! Build history under `.vbuild/`: the key each node had when it was last built (`nodes.json`), so a changed
//! node can say what changed, and the reports of past builds (`builds/`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::report::Report;
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

/// Every stored build report, oldest first; each is the file `builds/ID.json` of its own id.
pub fn reports(cache_dir: &Path) -> Vec<Report> {
    let Ok(entries) = fs::read_dir(cache_dir.join("builds")) else {
        return Vec::new();
    };
    let mut reports: Vec<Report> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_stem().is_some_and(|s| s != "latest")
        })
        .filter_map(|p| {
            let report: Report = serde_json::from_slice(&fs::read(&p).ok()?).ok()?;
            let stem = p.file_stem()?.to_str()?;
            (report.id == stem).then_some(report)
        })
        .collect();
    reports.sort_by(|a, b| (a.started_unix, &a.id).cmp(&(b.started_unix, &b.id)));
    reports
}
