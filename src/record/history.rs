//! Build history under `.vbuild/`, bounded whatever the number of builds:
//! - `stats.json`: per node kind, how many ran and their time and cost in all, and a line per recent build
//!   (what `vbuild runs` lists and `vbuild -n` estimates from); small, rewritten by every build;
//! - `builds/ID.json`: the full report of each of the last `[cache] reports` builds that ran or failed
//!   anything (what `vbuild report` and `vbuild explain` read); older ones are removed;
//! - `builds/latest.json`: the last build's report; a build that ran nothing writes it without its nodes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cache::StoreError;
use crate::record::report::{Counts, Report};
use crate::record::report::{Ending, NodeState};
use crate::sys::fs::write_atomic;

/// Recent builds listed in `stats.json`.
const LISTED_BUILDS: usize = 200;

/// What every build so far adds up to, per node kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindStats {
    /// Nodes of the kind that ran.
    pub ran: u64,
    pub seconds: f64,
    pub cost: f64,
}

impl KindStats {
    /// The average time a node of the kind took to run, if one ever ran.
    pub fn average_seconds(&self) -> Option<f64> {
        (self.ran > 0).then(|| self.seconds / self.ran as f64)
    }
}

/// One build, as `vbuild runs` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildLine {
    pub id: String,
    pub started: String,
    pub seconds: f64,
    pub counts: Counts,
    pub cost: f64,
    pub currency: String,
    pub result: Ending,
    pub targets: Vec<String>,
}

/// The contents of `stats.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub kinds: BTreeMap<String, KindStats>,
    /// Oldest first.
    pub builds: Vec<BuildLine>,
}

fn stats_path(cache_dir: &Path) -> std::path::PathBuf {
    cache_dir.join("stats.json")
}

/// The statistics of past builds (none before the first).
pub fn stats(cache_dir: &Path) -> Stats {
    crate::sys::files::read(&stats_path(cache_dir), crate::sys::files::CACHE_BYTES)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Records a finished build: its line and kinds in `stats.json`, its report (whole, if it ran or failed
/// anything, kept among the last `keep`), and `latest.json` (without the nodes when nothing ran: they are
/// set aside while it is written).
pub fn record(cache_dir: &Path, report: &mut Report, keep: usize) -> Result<(), StoreError> {
    let mut stats = stats(cache_dir);
    for node in report.nodes.iter().filter(|n| n.state == NodeState::Ran) {
        let kind = stats.kinds.entry(node.kind.clone()).or_default();
        kind.ran += 1;
        kind.seconds += node.seconds.unwrap_or(0.0);
        kind.cost += node.cost;
    }
    stats.builds.push(BuildLine {
        id: report.id.clone(),
        started: report.started.clone(),
        seconds: report.seconds,
        counts: report.counts.clone(),
        cost: report.cost,
        currency: report.currency.clone(),
        result: report.ending(),
        targets: report.targets.clone(),
    });
    let excess = stats.builds.len().saturating_sub(LISTED_BUILDS);
    stats.builds.drain(..excess);
    let json = serde_json::to_vec_pretty(&stats).expect("statistics serialise");
    write_atomic(&stats_path(cache_dir), &json)?;

    if report.did_work() {
        report.save(cache_dir)?;
        prune(cache_dir, keep)?;
    } else {
        // Nothing ran: a small record, not the list of every node again.
        report.without_nodes(|small| small.save_latest(cache_dir))?;
    }
    Ok(())
}

/// Removes the full reports beyond the newest `keep`.
fn prune(cache_dir: &Path, keep: usize) -> Result<(), StoreError> {
    let mut files = report_files(cache_dir);
    files.sort();
    let excess = files.len().saturating_sub(keep.max(1));
    for (_, path) in files.into_iter().take(excess) {
        fs::remove_file(&path).map_err(crate::cache::io_error(&path))?;
    }
    Ok(())
}

/// The full report files, with their ids (which start with their start time, so they sort by it).
fn report_files(cache_dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let Ok(entries) = fs::read_dir(cache_dir.join("builds")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
        // Only names vbuild gives its reports: a file of anyone else's is never read, let alone pruned.
        .filter(|(id, _)| crate::cache::folders::is_report_id(id))
        .collect()
}

/// The last build's report (without its nodes, if it ran nothing).
pub fn latest(cache_dir: &Path) -> Option<Report> {
    let latest = cache_dir.join("builds").join("latest.json");
    let bytes = crate::sys::files::read(&latest, crate::sys::files::CACHE_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Every stored full report, oldest first; each is the file `builds/ID.json` of its own id.
pub fn reports(cache_dir: &Path) -> Vec<Report> {
    let mut reports: Vec<Report> = report_files(cache_dir)
        .into_iter()
        .filter_map(|(id, p)| {
            let bytes = crate::sys::files::read(&p, crate::sys::files::CACHE_BYTES).ok()?;
            let report: Report = serde_json::from_slice(&bytes).ok()?;
            (report.id == id).then_some(report)
        })
        .collect();
    reports.sort_by(|a, b| (a.started_unix, &a.id).cmp(&(b.started_unix, &b.id)));
    reports
}
