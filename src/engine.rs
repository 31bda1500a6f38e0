//! The scheduler: walks the graph in dependency order, looks every needed node's key up in the cache, runs
//! the misses on a rayon pool of `-j` threads, and expands a chapter's per-slide nodes once its script is known.
//!
//! The main thread owns the graph and all state; workers only run jobs and record their results in the cache
//! (atomically) before reporting back, so a build killed at any moment keeps every finished node.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use crate::cost::Usage;
use crate::history::LastKeys;
use crate::plan::{NodeKind, Plan};
use crate::progress::Progress;
use crate::reason::Reason;
use crate::remote::Remote;
use crate::script::Script;
use crate::steps::{self, Context, Finished, Prepared, StepError};
use crate::store::{ActionEntry, Store};
use crate::target::Target;

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Jobs run at once.
    pub jobs: usize,
    /// Only find out what would run.
    pub dry_run: bool,
    /// After a failure, go on with the nodes that do not depend on it.
    pub keep_going: bool,
    /// What to build; empty means the whole course.
    pub targets: Vec<Target>,
    /// Build only this shard's share of the expensive nodes (needs a remote cache).
    pub shard: Option<Shard>,
}

/// One of `count` machines, building the expensive nodes whose keys fall to `index` and taking the others from
/// the remote cache as the other shards publish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// How long a shard waits for a node another shard builds.
const SHARD_WAIT: Duration = Duration::from_secs(3600);

impl Shard {
    /// The shard of `count` that builds the node with `key`.
    pub fn owner(key: &str, count: u64) -> u64 {
        u64::from_str_radix(&key[..16.min(key.len())], 16).unwrap_or(0) % count
    }

    /// True when this shard builds the node with `key`.
    pub fn owns(&self, key: &str) -> bool {
        Shard::owner(key, self.count) == self.index
    }

    /// What a shard builds: the expensive nodes (scripts, audio, pictures, images, clips), not the joins.
    pub fn target() -> Target {
        Target {
            kinds: vec![
                NodeKind::Script,
                NodeKind::Audio,
                NodeKind::Picture,
                NodeKind::Image,
                NodeKind::Clip,
            ],
            chapter: None,
            slide: None,
            text: "shard".into(),
        }
    }
}

/// Where a node stands.
#[derive(Debug, Clone)]
pub enum State {
    /// Its inputs are not all finished.
    Waiting,
    /// No target needs it.
    NotWanted,
    Running {
        key: String,
        reason: Reason,
    },
    /// Finished: `ran` holds why it ran in this build, `None` when the cache already had it.
    Done {
        entry: ActionEntry,
        ran: Option<Reason>,
    },
    /// Dry run: it would run (its key is unknown when an input would run first). `usage` is what its
    /// provider would be asked for; `seconds` how long it took the last time it was built, if known.
    WouldRun {
        key: Option<String>,
        reason: Reason,
        usage: Usage,
        seconds: Option<f64>,
    },
    Failed {
        key: String,
        reason: Reason,
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

    /// True when every needed node finished (or, in a dry run, was found or planned).
    pub fn succeeded(&self) -> bool {
        self.states.iter().all(|s| {
            matches!(
                s,
                State::Done { .. } | State::WouldRun { .. } | State::NotWanted
            )
        })
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

/// Marks the nodes no target needs: a node is needed when a target wants it, when it is the script whose
/// per-slide nodes a target wants, or when a needed node depends on it.
fn mark_needed(plan: &Plan, targets: &[Target], states: &mut [State]) {
    let mut needed = vec![false; plan.graph.node_count()];
    let mut stack: Vec<NodeIndex> = plan
        .graph
        .node_indices()
        .filter(|&n| {
            let node = &plan.graph[n];
            targets.iter().any(|t| {
                t.wants(node)
                    || (node.kind == NodeKind::Script
                        && node.chapter.is_some_and(|c| t.needs_script_of(c)))
            })
        })
        .collect();
    while let Some(node) = stack.pop() {
        if !std::mem::replace(&mut needed[node.index()], true) {
            stack.extend(plan.graph.neighbors_directed(node, Direction::Incoming));
        }
    }
    for (state, needed) in states.iter_mut().zip(needed) {
        match (&state, needed) {
            (State::Waiting, false) => *state = State::NotWanted,
            (State::NotWanted, true) => *state = State::Waiting,
            _ => {}
        }
    }
}

/// Builds the course described by `ctx`.
pub fn build(
    ctx: &Context,
    store: &Store,
    remote: Option<&Remote>,
    last_keys: &LastKeys,
    options: &Options,
    progress: &Progress,
) -> Outcome {
    let started = Instant::now();
    let targets = if options.shard.is_some() {
        vec![Shard::target()]
    } else if options.targets.is_empty() {
        vec![Target::course()]
    } else {
        options.targets.clone()
    };
    let pictures = ctx
        .videofile
        .providers
        .contains_key(&ctx.videofile.images.provider);
    let mut plan = Plan::new(ctx.chapters, pictures);
    let mut board = Board {
        states: vec![State::Waiting; plan.graph.node_count()],
        scripts: vec![None; ctx.chapters.len()],
    };
    mark_needed(&plan, &targets, &mut board.states);
    progress.set_total(count_needed(&board.states));
    let mut ready: VecDeque<NodeIndex> = plan
        .graph
        .node_indices()
        .filter(|&n| matches!(board.states[n.index()], State::Waiting))
        .filter(|&n| {
            plan.graph
                .neighbors_directed(n, Direction::Incoming)
                .next()
                .is_none()
        })
        .collect();
    let jobs = options.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("vbuild-worker-{i}"))
        .build()
        .expect("the worker pool starts");
    // Each message: the node, its result, and whether it was fetched from another shard rather than run.
    let (sender, receiver) = mpsc::channel::<(NodeIndex, Result<ActionEntry, StepError>, bool)>();
    let mut running = 0usize;
    let mut polling = 0usize;
    let mut stopping = false;
    // Nodes whose key missed the cache wait here until a worker is free, so that after a failure (without -k)
    // nothing more starts.
    let mut runnable: VecDeque<(NodeIndex, Prepared, Reason)> = VecDeque::new();
    let mut twins: HashMap<String, Vec<NodeIndex>> = HashMap::new();
    let mut finisher = Finisher {
        store,
        targets: &targets,
        progress,
    };
    std::thread::scope(|threads| {
        pool.in_place_scope(|scope| {
        loop {
            while let Some(node) = ready.pop_front() {
                let name = plan.name(node);
                if let Some(input) = plan
                    .graph
                    .neighbors_directed(node, Direction::Incoming)
                    .find(|p| matches!(board.states[p.index()], State::WouldRun { .. }))
                {
                    let reason = Reason::InputRunsFirst {
                        input: plan.name(input),
                    };
                    board.states[node.index()] = State::WouldRun {
                        key: None,
                        reason,
                        usage: steps::estimate(&plan, node, ctx),
                        seconds: None,
                    };
                    finisher.finish(&mut plan, &mut board, node, &mut ready);
                    continue;
                }
                let prepared = steps::prepare(&plan, node, ctx, &board);
                let key = prepared.signature.key();
                let found = store.action(&key).or_else(|| {
                    // A dry run writes nothing, so it does not check entries out of the remote.
                    remote.filter(|_| !options.dry_run).and_then(|r| r.fetch(&key, store))
                });
                if let Some(entry) = found {
                    log::debug!(node = name.as_str(); "cached ({})", &key[..12]);
                    board.states[node.index()] = State::Done { entry, ran: None };
                    finisher.finish(&mut plan, &mut board, node, &mut ready);
                    continue;
                }
                let previous = last_keys.get(&name).map(|k| (k, store.record_of(k)));
                let reason = Reason::between(
                    previous
                        .as_ref()
                        .map(|(k, entry)| (*k, entry.as_ref().map(|e| e.signature.as_slice()))),
                    &key,
                    prepared.signature.fields(),
                );
                if options.dry_run {
                    let seconds = previous.and_then(|(_, entry)| entry).map(|e| e.seconds);
                    board.states[node.index()] = State::WouldRun {
                        key: Some(key),
                        reason,
                        usage: prepared.job.usage(),
                        seconds,
                    };
                    finisher.finish(&mut plan, &mut board, node, &mut ready);
                } else if let (Some(shard), Some(remote)) = (options.shard, remote)
                    && Shard::target().wants(&plan.graph[node])
                    && !shard.owns(&key)
                {
                    log::debug!(node = name.as_str(); "waits for shard {} of {}", Shard::owner(&key, shard.count), shard.count);
                    board.states[node.index()] = State::Running { key: key.clone(), reason };
                    polling += 1;
                    let sender = sender.clone();
                    threads.spawn(move || {
                        let result = wait_for_other_shard(remote, store, &key);
                        let _ = sender.send((node, result, true));
                    });
                } else {
                    runnable.push_back((node, prepared, reason));
                }
            }
            if stopping {
                runnable.clear();
            }
            while running < jobs {
                let Some((node, prepared, reason)) = runnable.pop_front() else {
                    break;
                };
                let name = plan.name(node);
                let key = prepared.signature.key();
                board.states[node.index()] = State::Running {
                    key: key.clone(),
                    reason,
                };
                // Two nodes with the same key (two slides saying the same words) share one job: a paid
                // request is never sent twice in one build.
                if let Some(waiting) = twins.get_mut(&key) {
                    log::debug!(node = name.as_str(); "waits for a running node with the same key");
                    waiting.push(node);
                    continue;
                }
                twins.insert(key.clone(), Vec::new());
                log::debug!(node = name.as_str(); "runs");
                running += 1;
                progress.started(&name);
                let sender = sender.clone();
                scope.spawn(move |_| {
                    let result = run_node(store, remote, name, key, prepared);
                    // The receiver outlives every job: the main loop waits for all of them.
                    let _ = sender.send((node, result, false));
                });
            }
            if running == 0 && polling == 0 {
                break;
            }
            let (node, result, fetched) = receiver.recv().expect("a running job always reports");
            if fetched {
                polling -= 1;
            } else {
                running -= 1;
            }
            let name = plan.name(node);
            progress.stopped(&name);
            let State::Running { key, reason } =
                std::mem::replace(&mut board.states[node.index()], State::Skipped)
            else {
                unreachable!("only running nodes report back");
            };
            let waiting = twins.remove(&key).unwrap_or_default();
            match result {
                Ok(entry) => {
                    let chapter = plan.chapter_id(node).unwrap_or_default();
                    if fetched {
                        log::info!(node = name.as_str(), chapter; "taken from the shard that built it");
                    } else {
                        log::info!(node = name.as_str(), chapter; "built in {:.2} s", entry.seconds);
                    }
                    for twin in waiting {
                        board.states[twin.index()] = State::Done {
                            entry: entry.clone(),
                            ran: None,
                        };
                        finisher.finish(&mut plan, &mut board, twin, &mut ready);
                    }
                    let ran = (!fetched).then_some(reason);
                    board.states[node.index()] = State::Done { entry, ran };
                    finisher.finish(&mut plan, &mut board, node, &mut ready);
                }
                Err(error) => {
                    let chapter = plan.chapter_id(node).unwrap_or_default();
                    log::error!(node = name.as_str(), chapter; "{error}");
                    let error = error.to_string();
                    for twin in waiting {
                        let state =
                            std::mem::replace(&mut board.states[twin.index()], State::Skipped);
                        if let State::Running { key, reason } = state {
                            board.states[twin.index()] = State::Failed {
                                key,
                                reason,
                                error: error.clone(),
                            };
                        }
                        progress.advance();
                    }
                    board.states[node.index()] = State::Failed { key, reason, error };
                    progress.advance();
                    stopping |= !options.keep_going;
                }
            }
        }
    })
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

fn count_needed(states: &[State]) -> usize {
    states
        .iter()
        .filter(|s| !matches!(s, State::NotWanted))
        .count()
}

/// Polls the remote cache until another shard has published the node with `key`.
fn wait_for_other_shard(
    remote: &Remote,
    store: &Store,
    key: &str,
) -> Result<ActionEntry, StepError> {
    let deadline = Instant::now() + SHARD_WAIT;
    while Instant::now() < deadline && remote.is_on() {
        if let Some(entry) = remote.fetch(key, store) {
            return Ok(entry);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(StepError::Shard(format!(
        "the shard that builds key {} did not publish it within {} s (or the remote cache failed)",
        &key[..12],
        SHARD_WAIT.as_secs()
    )))
}

/// Runs a node's job in a scratch folder, moves its outputs into the cache, records its entry and publishes it
/// to the remote cache.
fn run_node(
    store: &Store,
    remote: Option<&Remote>,
    name: String,
    key: String,
    prepared: Prepared,
) -> Result<ActionEntry, StepError> {
    let started = Instant::now();
    let scratch = store.scratch()?;
    let produced = prepared.job.run(store, scratch.path())?;
    let mut outputs = BTreeMap::new();
    let mut bytes = 0;
    for (output, path) in produced.files {
        bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
        outputs.insert(output.to_string(), store.put_file(&path)?);
    }
    let entry = ActionEntry {
        key,
        node: name,
        outputs,
        meta: produced.meta,
        seconds: started.elapsed().as_secs_f64(),
        bytes,
        usage: produced.usage,
        signature: prepared.signature.fields().to_vec(),
    };
    store.record(&entry)?;
    if let Some(remote) = remote {
        remote.publish(&entry, store);
    }
    Ok(entry)
}

/// What finishing a node needs besides the graph and the board.
struct Finisher<'a> {
    store: &'a Store,
    targets: &'a [Target],
    progress: &'a Progress,
}

impl Finisher<'_> {
    /// Marks `node` finished: expands a finished script's slides, then queues the needed dependents that
    /// became ready.
    fn finish(
        &mut self,
        plan: &mut Plan,
        board: &mut Board,
        node: NodeIndex,
        ready: &mut VecDeque<NodeIndex>,
    ) {
        self.progress.advance();
        let n = plan.graph[node];
        if let (NodeKind::Script, State::Done { entry, ran }) =
            (n.kind, &board.states[node.index()])
        {
            let chapter = n.chapter.expect("script nodes have a chapter");
            let script = self
                .store
                .read_blob(entry.output("script"))
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    Script::from_json(&bytes).map_err(|e| format!("invalid script: {e}"))
                })
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
                    mark_needed(plan, self.targets, &mut board.states);
                    self.progress.set_total(count_needed(&board.states));
                }
                Err(error) => {
                    log::error!(node = plan.name(node).as_str(); "{error}");
                    board.states[node.index()] = State::Failed {
                        key: entry.key.clone(),
                        reason: ran.clone().unwrap_or(Reason::OutputMissing),
                        error,
                    };
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
}
