//! The build report: every node's key, state, time and outputs, written as JSON to `.vbuild/builds/`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::engine::{Outcome, State};
use crate::store::{StoreError, write_atomic};

/// How many nodes ended in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub ran: usize,
    pub cached: usize,
    pub failed: usize,
    pub skipped: usize,
    pub would_run: usize,
}

/// One node in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeReport {
    pub name: String,
    pub kind: String,
    pub chapter: Option<String>,
    /// 1-based slide number for per-slide nodes.
    pub slide: Option<usize>,
    pub key: Option<String>,
    /// `ran`, `cached`, `failed`, `skipped` or `would-run`.
    pub state: String,
    /// Seconds the node took when it ran (in this build or the one that cached it).
    pub seconds: Option<f64>,
    /// Why it would run (dry run) or why it failed.
    pub reason: Option<String>,
    pub meta: serde_json::Map<String, serde_json::Value>,
}

/// A whole build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    pub started_unix: u64,
    pub seconds: f64,
    pub dry_run: bool,
    pub succeeded: bool,
    pub counts: Counts,
    pub nodes: Vec<NodeReport>,
    /// The files written to the output folder.
    pub outputs: Vec<PathBuf>,
    /// The course video, if it was built.
    pub course_video: Option<PathBuf>,
}

impl Report {
    /// The report of `outcome`.
    pub fn new(outcome: &Outcome, dry_run: bool) -> Report {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let started_unix = now.as_secs().saturating_sub(outcome.seconds as u64);
        let mut counts = Counts::default();
        let plan = &outcome.plan;
        let nodes = plan
            .graph
            .node_indices()
            .map(|index| {
                let node = plan.graph[index];
                let mut report = NodeReport {
                    name: plan.name(index),
                    kind: node.kind.name().to_string(),
                    chapter: plan.chapter_id(index).map(str::to_string),
                    slide: node.slide.map(|s| s + 1),
                    key: None,
                    state: String::new(),
                    seconds: None,
                    reason: None,
                    meta: serde_json::Map::new(),
                };
                let (state, counter) = match outcome.state(index) {
                    State::Done { entry, ran } => {
                        report.key = Some(entry.key.clone());
                        report.seconds = Some(entry.seconds);
                        report.meta = entry.meta.clone().into_iter().collect();
                        if *ran {
                            ("ran", &mut counts.ran)
                        } else {
                            ("cached", &mut counts.cached)
                        }
                    }
                    State::WouldRun { reason } => {
                        report.reason = Some(reason.clone());
                        ("would-run", &mut counts.would_run)
                    }
                    State::Failed { key, error } => {
                        report.key = Some(key.clone()).filter(|k| !k.is_empty());
                        report.reason = Some(error.clone());
                        ("failed", &mut counts.failed)
                    }
                    State::Waiting | State::Running { .. } | State::Skipped => {
                        ("skipped", &mut counts.skipped)
                    }
                };
                *counter += 1;
                report.state = state.to_string();
                report
            })
            .collect();
        Report {
            id: format!("{}-{}", now.as_secs(), std::process::id()),
            started_unix,
            seconds: outcome.seconds,
            dry_run,
            succeeded: outcome.succeeded(),
            counts,
            nodes,
            outputs: Vec::new(),
            course_video: None,
        }
    }

    /// Writes the report to `builds/ID.json` and `builds/latest.json` under the cache folder.
    pub fn save(&self, cache_dir: &Path) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(self).expect("a report always serialises");
        let builds = cache_dir.join("builds");
        write_atomic(&builds.join(format!("{}.json", self.id)), &json)?;
        write_atomic(&builds.join("latest.json"), &json)
    }

    /// The nodes that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = &NodeReport> {
        self.nodes.iter().filter(|n| n.state == "failed")
    }
}
