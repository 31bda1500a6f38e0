//! Human-readable views of builds for the command line: the dry-run plan with estimates, `explain`, the graph
//! (dot, text), `runs` and `report`. They read the engine's own outcome and reports, never a copy of them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use crate::engine::{Outcome, State};
use crate::graph::reason::Reason;
use crate::graph::target::Target;
use crate::record::history::{KindStats, Stats};
use crate::record::report::{NodeReport, NodeState, Report};

/// Seconds as `1.2 s`, `3 min 04 s` or `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 60.0 => format!("{s:.1} s"),
        s if s < 3600.0 => format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64),
        s => format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            (s % 3600.0 / 60.0) as u64
        ),
    }
}

/// Why a node ran or would run, as text ("" when it has no reason).
fn reason_text(node: &NodeReport) -> String {
    node.reason
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A cost in `currency`, with enough digits to show a fraction of a cent: `0.0123 USD`.
pub fn money(cost: f64, currency: &str) -> String {
    if cost == 0.0 || cost >= 0.01 {
        format!("{cost:.4} {currency}")
    } else {
        format!("{cost:.6} {currency}")
    }
}

/// `1 script`, `2 scripts`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Groups nodes by chapter, the course-level ones last, keeping their order.
fn by_chapter<'a>(
    nodes: impl Iterator<Item = &'a NodeReport>,
) -> Vec<(String, Vec<&'a NodeReport>)> {
    let mut groups: Vec<(String, Vec<&NodeReport>)> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    let mut course = Vec::new();
    for node in nodes {
        match &node.chapter {
            None => course.push(node),
            Some(chapter) => match group_of.get(chapter.as_str()) {
                Some(&at) => groups[at].1.push(node),
                None => {
                    group_of.insert(chapter, groups.len());
                    groups.push((chapter.clone(), vec![node]));
                }
            },
        }
    }
    if !course.is_empty() {
        groups.push(("course".into(), course));
    }
    groups
}

/// The dry run's plan: every node that would run, with its reason, grouped by chapter (a translation says
/// whether a model translates it or, as `authored` says, its author); then the estimated
/// provider cost and time (from each node's last run, else the average of its kind in past builds).
pub fn dry_run(
    report: &Report,
    stats: &Stats,
    jobs: usize,
    authored: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut seconds = 0.0;
    let mut unknown_time = 0;
    let mut unknown_slides = 0;
    let would_run = report
        .nodes
        .iter()
        .filter(|n| n.state == NodeState::WouldRun);
    for (chapter, nodes) in by_chapter(would_run) {
        let _ = writeln!(out, "{chapter}");
        for node in nodes {
            let reason = reason_text(node);
            let _ = writeln!(out, "  {}: {reason}", node.name);
            let average = stats
                .kinds
                .get(&node.kind)
                .and_then(KindStats::average_seconds);
            match node.seconds.or(average) {
                Some(s) => seconds += s,
                None => unknown_time += 1,
            }
            if node.kind == "translation" {
                let by = match authored(&node.name) {
                    Some(authored) => authored,
                    None => format!(
                        "machine-translated by {}, estimated {}",
                        node.provider.as_deref().unwrap_or("the translator"),
                        money(node.cost, &report.currency)
                    ),
                };
                let _ = writeln!(out, "    ({by})");
            }
            if node.kind == "script" {
                unknown_slides += 1;
                let _ = writeln!(
                    out,
                    "    (its slides' audio, image and clip nodes are known once it has run)"
                );
            }
        }
    }
    let count = report.counts.would_run;
    let _ = writeln!(
        out,
        "vbuild: dry run: {count} would run, {} cached; estimated cost {}, time {} on {jobs} jobs{}{}",
        report.counts.cached,
        money(report.cost, &report.currency),
        duration(seconds / jobs.max(1) as f64),
        if unknown_time > 0 {
            format!(" ({} never timed)", plural(unknown_time, "node"))
        } else {
            String::new()
        },
        if unknown_slides > 0 {
            format!(
                ", plus the slides of {} not yet written",
                plural(unknown_slides, "script")
            )
        } else {
            String::new()
        },
    );
    out
}

/// What `-B` asks to run again and what that costs (from a dry run of the same build).
pub fn asked_again(report: &Report) -> String {
    let again: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| n.reason == Some(Reason::AskedAgain))
        .map(|n| n.name.as_str())
        .collect();
    let cost: f64 = report
        .nodes
        .iter()
        .filter(|n| n.state == NodeState::WouldRun)
        .map(|n| n.cost)
        .sum();
    format!(
        "vbuild: -B runs {} again: {}; with what they change, estimated cost {}\n",
        plural(again.len(), "node"),
        again.join(", "),
        money(cost, &report.currency)
    )
}

/// Why the nodes a target needs would run now, or why they ran when they last did.
pub fn explain(now: &Report, targets: &[Target], outcome: &Outcome, history: &[Report]) -> String {
    let mut out = String::new();
    let current_of: HashMap<&str, &NodeReport> =
        now.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    // Per past build, newest first: the nodes it ran, by name.
    let ran_in: Vec<(&Report, HashMap<&str, &NodeReport>)> = (history.iter().rev())
        .map(|report| {
            let ran = (report.nodes.iter())
                .filter(|n| n.state == NodeState::Ran)
                .map(|n| (n.name.as_str(), n))
                .collect();
            (report, ran)
        })
        .collect();
    for (index, node) in outcome
        .plan
        .graph
        .node_indices()
        .map(|i| (i, outcome.plan.graph[i]))
    {
        if !matches!(
            outcome.state(index),
            State::Done { .. } | State::WouldRun { .. }
        ) {
            continue;
        }
        let name = outcome.plan.name(index);
        let asked_for = targets.iter().any(|t| t.wants(&node));
        let Some(&current) = current_of.get(name.as_str()) else {
            continue;
        };
        if current.state == NodeState::WouldRun {
            let reason = reason_text(current);
            let _ = writeln!(out, "{name}: would run now: {reason}");
            continue;
        }
        let last_run = ran_in.iter().find_map(|(report, ran)| {
            let node = ran.get(name.as_str()).filter(|n| n.key == current.key)?;
            Some((*report, *node))
        });
        match last_run {
            Some((report, node))
                if asked_for || report.id == history.last().map_or("", |r| &r.id) =>
            {
                let reason = reason_text(node);
                let _ = writeln!(
                    out,
                    "{name}: up to date; ran in build {} ({}): {reason}",
                    report.id, report.started
                );
            }
            None if asked_for => {
                let _ = writeln!(
                    out,
                    "{name}: up to date (built before the recorded history)"
                );
            }
            _ => {}
        }
    }
    out
}

/// The names of the nodes `index` reads, sorted.
fn input_names(outcome: &Outcome, index: petgraph::graph::NodeIndex) -> Vec<String> {
    let plan = &outcome.plan;
    let mut inputs: Vec<String> = plan
        .graph
        .neighbors_directed(index, petgraph::Direction::Incoming)
        .map(|i| plan.name(i))
        .collect();
    inputs.sort();
    inputs
}

/// The graph as JSON: each node of the report with the names of its inputs (what `build.ninja` generators
/// and other tools read).
pub fn graph_json(report: &Report, outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let inputs: BTreeMap<String, Vec<String>> = plan
        .graph
        .node_indices()
        .map(|index| (plan.name(index), input_names(outcome, index)))
        .collect();
    let nodes: Vec<serde_json::Value> = report
        .nodes
        .iter()
        .map(|node| {
            let mut value = serde_json::to_value(node).expect("nodes serialise");
            value["inputs"] =
                serde_json::json!(inputs.get(&node.name).cloned().unwrap_or_default());
            value
        })
        .collect();
    serde_json::to_string_pretty(&nodes).expect("nodes serialise")
}

/// The graph as indented text: each node with its state and inputs.
pub fn graph_text(outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let mut out = String::new();
    for index in plan.graph.node_indices() {
        let Some(state) = NodeState::of(outcome.state(index)) else {
            continue;
        };
        let _ = writeln!(out, "{} [{state}]", plan.name(index));
        for input in input_names(outcome, index) {
            let _ = writeln!(out, "    <- {input}");
        }
    }
    out
}

/// The graph in Graphviz dot, nodes coloured by state.
pub fn graph_dot(outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let mut out =
        String::from("digraph vbuild {\n  rankdir=LR;\n  node [shape=box, style=filled];\n");
    for index in plan.graph.node_indices() {
        let colour = match outcome.state(index) {
            State::Done { .. } => "palegreen",
            State::WouldRun { .. } => "lightsalmon",
            State::NotWanted => continue,
            _ => "lightgrey",
        };
        let _ = writeln!(
            out,
            "  n{} [label=\"{}\", fillcolor={colour}];",
            index.index(),
            plan.name(index)
        );
    }
    for edge in plan.graph.edge_indices() {
        let (from, to) = plan.graph.edge_endpoints(edge).expect("edges have ends");
        let shown = |n: petgraph::graph::NodeIndex| !matches!(outcome.state(n), State::NotWanted);
        if shown(from) && shown(to) {
            let _ = writeln!(out, "  n{} -> n{};", from.index(), to.index());
        }
    }
    out.push_str("}\n");
    out
}

/// One line per past build, newest last.
pub fn runs(stats: &Stats) -> String {
    let mut out = format!(
        "{:<28} {:<21} {:>5} {:>6} {:>6} {:>9} {:>10}  {:<11} {}\n",
        "ID", "STARTED", "RAN", "CACHED", "FAILED", "COST", "TIME", "RESULT", "TARGETS"
    );
    for r in &stats.builds {
        let _ = writeln!(
            out,
            "{:<28} {:<21} {:>5} {:>6} {:>6} {:>9} {:>10}  {:<11} {}",
            r.id,
            r.started,
            r.counts.ran,
            r.counts.cached,
            r.counts.failed,
            money(r.cost, &r.currency),
            duration(r.seconds),
            r.result.name(),
            if r.targets.is_empty() {
                "course".to_string()
            } else {
                r.targets.join(" ")
            },
        );
    }
    out
}

/// One build report for people: totals, per chapter, failures, and what ran and why.
pub fn report(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "build {}  started {}  {}",
        r.id,
        r.started,
        r.ending().name().to_uppercase()
    );
    let _ = writeln!(
        out,
        "nodes: {} ran, {} cached, {} failed, {} skipped; cache hit rate {:.1}%; error rate {:.1}%",
        r.counts.ran,
        r.counts.cached,
        r.counts.failed,
        r.counts.skipped,
        100.0 * r.cache_hit_rate,
        100.0 * r.error_rate
    );
    let _ = writeln!(
        out,
        "wall time {}; provider cost {}",
        duration(r.seconds),
        money(r.cost, &r.currency)
    );
    if let Some(video) = &r.course_video {
        let _ = writeln!(out, "course video {}", video.display());
    }
    let _ = writeln!(
        out,
        "\n{:<40} {:>5} {:>6} {:>6} {:>10} {:>9}",
        "CHAPTER", "RAN", "CACHED", "FAILED", "WORK", "COST"
    );
    for (chapter, t) in &r.chapters {
        let _ = writeln!(
            out,
            "{chapter:<40} {:>5} {:>6} {:>6} {:>10} {:>9}",
            t.ran,
            t.cached,
            t.failed,
            duration(t.seconds),
            money(t.cost, &r.currency)
        );
    }
    let failures: Vec<&NodeReport> = r.failures().collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for node in failures {
            let _ = writeln!(
                out,
                "  {}: {}",
                node.name,
                node.error.as_deref().unwrap_or("")
            );
        }
    }
    let ran: Vec<&NodeReport> = r
        .nodes
        .iter()
        .filter(|n| n.state == NodeState::Ran)
        .collect();
    if !ran.is_empty() {
        let _ = writeln!(out, "\nran:");
        for node in ran {
            let reason = reason_text(node);
            let _ = writeln!(
                out,
                "  {} ({}, {}): {reason}",
                node.name,
                duration(node.seconds.unwrap_or(0.0)),
                crate::sys::size::human(node.bytes)
            );
        }
    }
    out
}
