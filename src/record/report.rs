//! The build report: every node's key, state, reason, time, bytes, provider and cost, with totals per chapter
//! and the metrics a service would export; written as JSON to `.vbuild/builds/ID.json`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::cache::StoreError;
use crate::engine::{Outcome, State};
use crate::graph::node::NodeKind;
use crate::graph::reason::Reason;
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic_with;
use crate::sys::secrets::{self, RedactLines};
use crate::sys::small_map::SmallMap;

/// How many nodes ended in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub ran: usize,
    pub cached: usize,
    pub failed: usize,
    pub skipped: usize,
    pub would_run: usize,
}

impl Counts {
    /// Counts a node that ended in `state`.
    fn add(&mut self, state: NodeState) {
        match state {
            NodeState::Ran => self.ran += 1,
            NodeState::Cached => self.cached += 1,
            NodeState::Failed => self.failed += 1,
            NodeState::Skipped => self.skipped += 1,
            NodeState::WouldRun => self.would_run += 1,
        }
    }
}

/// How a node ended in a build, as the report and every view name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeState {
    /// Its work ran in this build.
    Ran,
    /// Its outputs were in the cache.
    Cached,
    /// Its work ran and failed.
    Failed,
    /// Not run: something it needs failed, or the build stopped first.
    Skipped,
    /// A dry run: it would run.
    WouldRun,
}

impl NodeState {
    /// The state a node of a build is in, as the report names it; `None` for a node the build did not want.
    pub fn of(state: &State) -> Option<NodeState> {
        Some(match state {
            State::NotWanted => return None,
            State::Done { ran: Some(_), .. } => NodeState::Ran,
            State::Done { ran: None, .. } => NodeState::Cached,
            State::WouldRun { .. } => NodeState::WouldRun,
            State::Failed { .. } => NodeState::Failed,
            // A finished build holds no other state.
            _ => NodeState::Skipped,
        })
    }

    /// The state as the report spells it.
    pub fn name(self) -> &'static str {
        match self {
            NodeState::Ran => "ran",
            NodeState::Cached => "cached",
            NodeState::Failed => "failed",
            NodeState::Skipped => "skipped",
            NodeState::WouldRun => "would-run",
        }
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a whole build ended; it decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    Ok,
    Failed,
    Interrupted,
}

impl Ending {
    /// The ending in a word: `ok`, `failed` or `interrupted`.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Ok => "ok",
            Ending::Failed => "failed",
            Ending::Interrupted => "interrupted",
        }
    }
}

/// One node in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeReport {
    pub name: String,
    pub kind: String,
    pub chapter: Option<String>,
    /// 1-based slide number for per-slide nodes.
    pub slide: Option<usize>,
    pub key: Option<Digest>,
    pub state: NodeState,
    /// Why it ran, would run, or ran and failed.
    pub reason: Option<Reason>,
    pub error: Option<String>,
    /// Seconds it took when it ran (in this build, or in the build that cached it).
    pub seconds: Option<f64>,
    /// Bytes of its outputs.
    pub bytes: u64,
    /// The provider that did its work (script, speech and image nodes).
    pub provider: Option<String>,
    /// What this build spent on it (0 when cached).
    pub cost: f64,
    pub meta: SmallMap<serde_json::Value>,
}

/// Totals of one chapter's nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChapterTotals {
    pub ran: usize,
    pub cached: usize,
    pub failed: usize,
    /// Seconds of work run for this chapter in this build (summed over its nodes).
    pub seconds: f64,
    pub cost: f64,
}

/// A whole build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    /// When it started, RFC 3339.
    pub started: String,
    pub started_unix: u64,
    pub seconds: f64,
    pub dry_run: bool,
    pub targets: Vec<String>,
    pub succeeded: bool,
    pub counts: Counts,
    /// Cached nodes over finished nodes (0 to 1).
    pub cache_hit_rate: f64,
    /// Failed nodes over nodes that ran or failed (0 to 1).
    pub error_rate: f64,
    pub cost: f64,
    /// What costs are counted in (ISO 4217: `USD`).
    #[serde(default = "default_currency")]
    pub currency: String,
    pub chapters: BTreeMap<String, ChapterTotals>,
    pub nodes: Vec<NodeReport>,
    /// The files written to the output folder.
    pub outputs: Vec<PathBuf>,
    /// The course video, if it was built.
    pub course_video: Option<PathBuf>,
    /// A failure outside any node (writing the outputs), if there was one.
    #[serde(default)]
    pub error: Option<String>,
    /// An interrupt stopped the build.
    #[serde(default)]
    pub interrupted: bool,
}

/// A build's id (its start time and process), start time (RFC 3339) and start in Unix seconds, for a build
/// ending now that took `seconds`.
fn identity(seconds: f64) -> (String, String, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let started = now.saturating_sub(Duration::from_secs_f64(seconds));
    let rfc3339 = humantime::format_rfc3339_seconds(UNIX_EPOCH + started).to_string();
    let id = format!("{}-{}", rfc3339.replace([':', '-'], ""), std::process::id());
    (id, rfc3339, started.as_secs())
}

fn default_currency() -> String {
    "USD".into()
}

/// Facts about a node the report needs from the project: its provider and the cost of its usage.
pub trait Pricing {
    /// What costs are counted in.
    fn currency(&self) -> String;
    /// The provider of a node of `kind`, if it has one.
    fn provider(&self, kind: NodeKind) -> Option<String>;
    /// The cost of a finished node's recorded usage.
    fn cost(&self, kind: NodeKind, usage: &crate::record::cost::Usage) -> f64;
}

impl Report {
    /// The report of `outcome`. Its node list is made only where it is kept: for a dry run, or a build that
    /// did work ([`Report::did_work`]); a build that found everything done leaves a small record.
    pub fn new(
        outcome: &Outcome,
        targets: &[String],
        dry_run: bool,
        pricing: &dyn Pricing,
    ) -> Report {
        let (id, started, started_unix) = identity(outcome.seconds);
        let mut counts = Counts::default();
        let mut chapters: BTreeMap<String, ChapterTotals> = BTreeMap::new();
        let plan = &outcome.plan;
        let did_work = outcome.interrupted
            || (plan.graph.node_indices()).any(|index| {
                let state = NodeState::of(outcome.state(index));
                matches!(state, Some(NodeState::Ran | NodeState::Failed))
            });
        let keep_nodes = dry_run || did_work;
        let mut nodes = Vec::new();
        let mut cost = 0.0;
        for index in plan.graph.node_indices() {
            let Some(state) = NodeState::of(outcome.state(index)) else {
                continue;
            };
            counts.add(state);
            let node = plan.graph[index];
            let kind = node.kind;
            let mut report = NodeReport {
                name: plan.name(index),
                kind: kind.name().to_string(),
                chapter: plan.chapter_id(index).map(str::to_string),
                slide: node.at.slide().map(|s| s.slide + 1),
                key: None,
                state,
                reason: None,
                error: None,
                seconds: None,
                bytes: 0,
                provider: pricing.provider(kind),
                cost: 0.0,
                meta: SmallMap::new(),
            };
            match outcome.state(index) {
                State::Done { entry, ran } => {
                    report.key = Some(entry.key.clone());
                    report.seconds = Some(entry.seconds);
                    report.bytes = entry.bytes.unwrap_or(0);
                    report.meta = entry.meta.clone();
                    report.reason = ran.clone();
                    if ran.is_some() {
                        report.cost = pricing.cost(kind, &entry.usage);
                    }
                }
                State::WouldRun {
                    key,
                    reason,
                    usage,
                    seconds,
                } => {
                    // Estimates: the provider cost of the usage it would ask for, and its last run time.
                    report.key = key.clone();
                    report.reason = Some(reason.clone());
                    report.cost = pricing.cost(kind, usage);
                    report.seconds = *seconds;
                }
                State::Failed { key, reason, error } => {
                    report.key = Some(key.clone());
                    report.reason = Some(reason.clone());
                    report.error = Some(secrets::redact(error));
                }
                // Skipped: nothing to say but the state.
                _ => {}
            }
            if let Some(chapter) = &report.chapter {
                let totals = chapters.entry(chapter.clone()).or_default();
                match state {
                    NodeState::Ran => {
                        totals.ran += 1;
                        totals.seconds += report.seconds.unwrap_or(0.0);
                        totals.cost += report.cost;
                    }
                    NodeState::Cached => totals.cached += 1,
                    NodeState::Failed => totals.failed += 1,
                    _ => {}
                }
            }
            cost += report.cost;
            if keep_nodes {
                nodes.push(report);
            }
        }
        let finished = counts.ran + counts.cached;
        let attempted = counts.ran + counts.failed;
        Report {
            id,
            started,
            started_unix,
            seconds: outcome.seconds,
            dry_run,
            targets: targets.to_vec(),
            succeeded: outcome.succeeded(),
            cache_hit_rate: if finished == 0 {
                0.0
            } else {
                counts.cached as f64 / finished as f64
            },
            error_rate: if attempted == 0 {
                0.0
            } else {
                counts.failed as f64 / attempted as f64
            },
            cost,
            currency: pricing.currency(),
            counts,
            chapters,
            nodes,
            outputs: Vec::new(),
            course_video: None,
            error: None,
            interrupted: outcome.interrupted,
        }
    }

    /// True when something ran, failed or was stopped: the build's full report is kept.
    pub fn did_work(&self) -> bool {
        self.counts.ran > 0 || self.counts.failed > 0 || self.interrupted
    }

    /// Marks the build failed by `error`, which happened outside any node.
    pub fn fail(&mut self, error: String) {
        self.succeeded = false;
        self.error = Some(secrets::redact(&error));
    }

    /// Writes the report to `builds/ID.json` and `builds/latest.json` under the cache folder, with every
    /// secret redacted. The report of a large course is megabytes: it is written once, and `latest.json` is
    /// a second name for the same file (put in place by a rename, so a reader never sees half of it; every
    /// later write of either name replaces the name, never the bytes), or a copy where the file system has
    /// no hard links.
    pub fn save(&self, cache_dir: &Path) -> Result<(), StoreError> {
        let builds = cache_dir.join("builds");
        let path = builds.join(format!("{}.json", self.id));
        self.write_json(&path)?;
        let latest = builds.join("latest.json");
        let second_name = builds.join(format!(".{}.latest", self.id));
        let linked = std::fs::hard_link(&path, &second_name)
            .and_then(|()| std::fs::rename(&second_name, &latest));
        if linked.is_ok() {
            return Ok(());
        }
        let _ = std::fs::remove_file(&second_name);
        Ok(write_atomic_with(&latest, |latest| {
            std::io::copy(&mut File::open(&path)?, latest).map(drop)
        })?)
    }

    /// The report of a build that found what this one found, ending now after `seconds` (a build the seal
    /// of this one told; see [`crate::engine::seal`]).
    pub fn again(&self, seconds: f64) -> Report {
        let (id, started, started_unix) = identity(seconds);
        Report {
            id,
            started,
            started_unix,
            seconds,
            nodes: Vec::new(),
            ..self.clone()
        }
    }

    /// Runs `with` on the report with its node list set aside (the small record a no-op leaves).
    pub fn without_nodes<T>(&mut self, with: impl FnOnce(&Report) -> T) -> T {
        let nodes = std::mem::take(&mut self.nodes);
        let result = with(self);
        self.nodes = nodes;
        result
    }

    /// Writes the report as `builds/latest.json` only.
    pub fn save_latest(&self, cache_dir: &Path) -> Result<(), StoreError> {
        self.write_json(&cache_dir.join("builds").join("latest.json"))
    }

    /// Writes the report to `dest` as JSON, redacted as it is written (a report of thousands of nodes is
    /// never held as text).
    fn write_json(&self, dest: &Path) -> Result<(), StoreError> {
        Ok(write_atomic_with(dest, |file| {
            let mut json = RedactLines::new(BufWriter::new(file));
            serde_json::to_writer_pretty(&mut json, self)?;
            json.finish().map(drop)
        })?)
    }

    /// How the build ended.
    pub fn ending(&self) -> Ending {
        match (self.succeeded, self.interrupted) {
            (_, true) => Ending::Interrupted,
            (true, false) => Ending::Ok,
            (false, false) => Ending::Failed,
        }
    }

    /// The nodes that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = &NodeReport> {
        self.nodes.iter().filter(|n| n.state == NodeState::Failed)
    }

    /// The report's metrics in the Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, help: &str, kind: &str, samples: Vec<(String, f64)>| {
            out.push_str(&format!(
                "# HELP vbuild_{name} {help}\n# TYPE vbuild_{name} {kind}\n"
            ));
            for (labels, value) in samples {
                out.push_str(&format!("vbuild_{name}{labels} {value}\n"));
            }
        };
        metric(
            "build_seconds",
            "Wall time of the build.",
            "gauge",
            vec![(String::new(), self.seconds)],
        );
        metric(
            "nodes",
            "Nodes by final state.",
            "gauge",
            [
                ("ran", self.counts.ran),
                ("cached", self.counts.cached),
                ("failed", self.counts.failed),
                ("skipped", self.counts.skipped),
            ]
            .into_iter()
            .map(|(state, n)| (format!("{{state=\"{state}\"}}"), n as f64))
            .collect(),
        );
        metric(
            "cache_hit_ratio",
            "Cached nodes over finished nodes.",
            "gauge",
            vec![(String::new(), self.cache_hit_rate)],
        );
        metric(
            "error_ratio",
            "Failed nodes over nodes that ran.",
            "gauge",
            vec![(String::new(), self.error_rate)],
        );
        metric(
            "cost",
            "Provider cost of the build.",
            "gauge",
            vec![(String::new(), self.cost)],
        );
        let per_chapter = |value: fn(&ChapterTotals) -> f64| {
            self.chapters
                .iter()
                .map(|(chapter, totals)| (format!("{{chapter=\"{chapter}\"}}"), value(totals)))
                .collect::<Vec<_>>()
        };
        metric(
            "chapter_seconds",
            "Seconds of work run per chapter.",
            "gauge",
            per_chapter(|t| t.seconds),
        );
        metric(
            "chapter_cost",
            "Provider cost per chapter.",
            "gauge",
            per_chapter(|t| t.cost),
        );
        out
    }
}
