//! The scheduler: walks the graph in dependency order, looks every node's key up in the cache, runs the
//! misses on a rayon pool of `-j` threads, and expands a chapter's per-slide nodes once its script is known.
//!
//! The main thread owns the graph and all state; workers only run jobs and record their results in the cache
//! (atomically) before reporting back, so a build killed at any moment keeps every finished node.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc;
use std::time::Instant;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use crate::plan::{NodeKind, Plan};
use crate::progress::Progress;
use crate::script::Script;
use crate::steps::{self, Context, Finished, Prepared, StepError};
use crate::store::{ActionEntry, Store};

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Jobs run at once.
    pub jobs: usize,
    /// Only find out what would run.
    pub dry_run: bool,
    /// After a failure, go on with the nodes that do not depend on it.
    pub keep_going: bool,
}

/// Where a node stands.
#[derive(Debug, Clone)]
pub enum State {
    /// Its inputs are not all finished.
    Waiting,
    Running {
        key: String,
    },
    /// Finished: `ran` is false when the cache already had it.
    Done {
        entry: ActionEntry,
        ran: bool,
    },
    /// Dry run: it would run, for this reason.
    WouldRun {
        reason: String,
    },
    Failed {
        key: String,
        error: String,
    },
    /// It did not run because an input failed or the build stopped.
    Skipped,
}

/// The graph and every node's state after a build.
pub struct Outcome {
    pub plan: Plan,
    pub states: Vec<State>,
    pub seconds: f64,
}

impl Outcome {
    /// The state of `node`.
    pub fn state(&self, node: NodeIndex) -> &State {
        &self.states[node.index()]
    }

    /// The cache entry of a finished node.
    pub fn entry(&self, node: NodeIndex) -> Option<&ActionEntry> {
        match self.state(node) {
            State::Done { entry, .. } => Some(entry),
            _ => None,
        }
    }

    /// True when every node finished.
    pub fn succeeded(&self) -> bool {
        self.states
            .iter()
            .all(|s| matches!(s, State::Done { .. } | State::WouldRun { .. }))
    }
}

/// Node states and parsed scripts: what a preparing node reads.
struct Board {
    states: Vec<State>,
    scripts: Vec<Option<Script>>,
}

impl Finished for Board {
    fn entry(&self, node: NodeIndex) -> &ActionEntry {
        match &self.states[node.index()] {
            State::Done { entry, .. } => entry,
            other => panic!("node {node:?} read before it finished: {other:?}"),
        }
    }

    fn script(&self, chapter: usize) -> &Script {
        self.scripts[chapter]
            .as_ref()
            .expect("scripts are read after their node finished")
    }
}

/// Builds the course described by `ctx`.
pub fn build(ctx: &Context, store: &Store, options: &Options, progress: &Progress) -> Outcome {
    let started = Instant::now();
    let mut plan = Plan::new(ctx.chapters);
    let mut board = Board {
        states: vec![State::Waiting; plan.graph.node_count()],
        scripts: vec![None; ctx.chapters.len()],
    };
    progress.set_total(plan.graph.node_count());
    let mut ready: VecDeque<NodeIndex> = plan
        .graph
        .node_indices()
        .filter(|&n| {
            plan.graph
                .neighbors_directed(n, Direction::Incoming)
                .next()
                .is_none()
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("vbuild-worker-{i}"))
        .build()
        .expect("the worker pool starts");
    let (sender, receiver) = mpsc::channel::<(NodeIndex, Result<ActionEntry, StepError>)>();
    let mut running = 0usize;
    let mut stopping = false;
    // Nodes whose key missed the cache wait here until a worker is free, so that after a failure (without -k)
    // nothing more starts.
    let mut runnable: VecDeque<(NodeIndex, Prepared)> = VecDeque::new();
    let jobs = options.jobs.max(1);
    pool.in_place_scope(|scope| {
        loop {
            while let Some(node) = ready.pop_front() {
                if let Some(input) = plan
                    .graph
                    .neighbors_directed(node, Direction::Incoming)
                    .find(|p| matches!(board.states[p.index()], State::WouldRun { .. }))
                {
                    let reason = format!("its input {} would run first", plan.name(input));
                    board.states[node.index()] = State::WouldRun { reason };
                    finish(&mut plan, &mut board, node, store, progress, &mut ready);
                    continue;
                }
                let prepared = steps::prepare(&plan, node, ctx, &board);
                let key = prepared.signature.key();
                if let Some(entry) = store.action(&key) {
                    log::debug!("{}: cached ({})", plan.name(node), &key[..12]);
                    board.states[node.index()] = State::Done { entry, ran: false };
                    finish(&mut plan, &mut board, node, store, progress, &mut ready);
                } else if options.dry_run {
                    let reason = format!("its key {} is not in the cache", &key[..12]);
                    board.states[node.index()] = State::WouldRun { reason };
                    finish(&mut plan, &mut board, node, store, progress, &mut ready);
                } else {
                    runnable.push_back((node, prepared));
                }
            }
            if stopping {
                runnable.clear();
            }
            while running < jobs {
                let Some((node, prepared)) = runnable.pop_front() else {
                    break;
                };
                let name = plan.name(node);
                let key = prepared.signature.key();
                board.states[node.index()] = State::Running { key: key.clone() };
                running += 1;
                progress.started(&name);
                let sender = sender.clone();
                scope.spawn(move |_| {
                    let result = run_node(store, name, key, prepared);
                    // The receiver outlives every job: the main loop waits for all of them.
                    let _ = sender.send((node, result));
                });
            }
            if running == 0 {
                break;
            }
            let (node, result) = receiver.recv().expect("a running job always reports");
            running -= 1;
            let name = plan.name(node);
            progress.stopped(&name);
            match result {
                Ok(entry) => {
                    log::info!("{name}: built in {:.2} s", entry.seconds);
                    board.states[node.index()] = State::Done { entry, ran: true };
                    finish(&mut plan, &mut board, node, store, progress, &mut ready);
                }
                Err(error) => {
                    log::error!("{name}: {error}");
                    let key = match &board.states[node.index()] {
                        State::Running { key } => key.clone(),
                        _ => String::new(),
                    };
                    board.states[node.index()] = State::Failed {
                        key,
                        error: error.to_string(),
                    };
                    progress.advance();
                    stopping |= !options.keep_going;
                }
            }
        }
    });
    for state in &mut board.states {
        if matches!(state, State::Waiting) {
            *state = State::Skipped;
        }
    }
    Outcome {
        plan,
        states: board.states,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Runs a node's job in a scratch folder, moves its outputs into the cache and records its entry.
fn run_node(
    store: &Store,
    name: String,
    key: String,
    prepared: Prepared,
) -> Result<ActionEntry, StepError> {
    let started = Instant::now();
    let scratch = store.scratch()?;
    let produced = prepared.job.run(store, scratch.path())?;
    let mut outputs = BTreeMap::new();
    for (output, path) in produced.files {
        outputs.insert(output.to_string(), store.put_file(&path)?);
    }
    let entry = ActionEntry {
        key,
        node: name,
        outputs,
        meta: produced.meta,
        seconds: started.elapsed().as_secs_f64(),
        signature: prepared.signature.fields().to_vec(),
    };
    store.record(&entry)?;
    Ok(entry)
}

/// Marks `node` finished: expands a finished script's slides, then queues the dependents that became ready.
fn finish(
    plan: &mut Plan,
    board: &mut Board,
    node: NodeIndex,
    store: &Store,
    progress: &Progress,
    ready: &mut VecDeque<NodeIndex>,
) {
    progress.advance();
    let n = plan.graph[node];
    if let (NodeKind::Script, State::Done { entry, .. }) = (n.kind, &board.states[node.index()]) {
        let chapter = n.chapter.expect("script nodes have a chapter");
        let script = store
            .read_blob(entry.output("script"))
            .map_err(|e| e.to_string())
            .and_then(|bytes| Script::from_json(&bytes).map_err(|e| format!("invalid script: {e}")))
            .and_then(|s| {
                if s.slides.is_empty() {
                    Err("the script has no slides".into())
                } else {
                    Ok(s)
                }
            });
        match script {
            Ok(script) => {
                let added = plan.expand(chapter, script.slides.len());
                board.states.extend(added.iter().map(|_| State::Waiting));
                board.scripts[chapter] = Some(script);
                progress.set_total(plan.graph.node_count());
            }
            Err(error) => {
                log::error!("{}: {error}", plan.name(node));
                let key = entry.key.clone();
                board.states[node.index()] = State::Failed { key, error };
                return;
            }
        }
    }
    for next in plan.graph.neighbors_directed(node, Direction::Outgoing) {
        let all_inputs_finished = plan
            .graph
            .neighbors_directed(next, Direction::Incoming)
            .all(|p| {
                matches!(
                    board.states[p.index()],
                    State::Done { .. } | State::WouldRun { .. }
                )
            });
        if all_inputs_finished && matches!(board.states[next.index()], State::Waiting) {
            ready.push_back(next);
        }
    }
}
