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
use crate::digest::Digest;
use crate::history::LastKeys;
use crate::interrupt;
use crate::node::{Address, ChapterId, NodeKind};
use crate::plan::Plan;
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

impl Shard {
    /// The shard of `count` that builds the node with `key`.
    pub fn owner(key: &Digest, count: u64) -> u64 {
        u64::from_str_radix(&key[..16], 16).unwrap_or(0) % count
    }

    /// True when this shard builds the node with `key`.
    pub fn owns(&self, key: &Digest) -> bool {
        Shard::owner(key, self.count) == self.index
    }

    /// What a shard builds: the expensive nodes (scripts, audio, pictures, images, clips), not the joins.
    pub fn target() -> Target {
        Target {
            kinds: NodeKind::all().filter(|k| k.info().shardable).collect(),
            at: Address::Course,
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
        key: Digest,
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
        key: Option<Digest>,
        reason: Reason,
        usage: Usage,
        seconds: Option<f64>,
    },
    Failed {
        key: Digest,
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
    /// An interrupt stopped the build.
    pub interrupted: bool,
}

impl Outcome {
    /// The state of `node`.
    pub fn state(&self, node: NodeIndex) -> &State {
        &self.states[node.index()]
    }

    /// The cache entry of the finished node of `kind` at `at`.
    pub fn entry_of(&self, kind: NodeKind, at: Address) -> Option<&ActionEntry> {
        self.plan.node(kind, at).and_then(|node| self.entry(node))
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

    fn script(&self, chapter: ChapterId) -> &Script {
        self.scripts[chapter.0]
            .as_ref()
            .expect("scripts are read after their node finished")
    }
}

/// Marks the nodes no target needs (see [`Plan::needed`]).
fn mark_needed(plan: &Plan, targets: &[Target], states: &mut [State]) {
    for (state, needed) in states.iter_mut().zip(plan.needed(targets)) {
        match (&state, needed) {
            (State::Waiting, false) => *state = State::NotWanted,
            (State::NotWanted, true) => *state = State::Waiting,
            _ => {}
        }
    }
}

/// What a worker or a helper thread reports back.
enum Message {
    /// A node's job ran (or, `fetched`, another shard's result arrived or did not in time).
    Finished {
        node: NodeIndex,
        result: Result<ActionEntry, StepError>,
        fetched: bool,
    },
    /// The remote cache was asked for a node missing locally.
    LookedUp {
        node: NodeIndex,
        entry: Option<ActionEntry>,
    },
}

/// Remote look-ups in flight at once: enough to hide network latency, few enough to be polite to the store.
const LOOKUPS_IN_FLIGHT: usize = 8;

/// A job the scheduler hands out.
enum Work {
    /// Run the node's job on the worker pool.
    Run {
        node: NodeIndex,
        name: String,
        key: Digest,
        prepared: Box<Prepared>,
    },
    /// Wait for another shard to publish the node with this key (and these outputs).
    Fetch {
        node: NodeIndex,
        key: Digest,
        outputs: &'static [&'static str],
        /// The shard that builds it, e.g. `2 of 4`.
        owner: String,
    },
    /// Ask the remote cache for the node with this key (and these outputs).
    Lookup {
        node: NodeIndex,
        key: Digest,
        outputs: &'static [&'static str],
    },
}

/// The build's state between the loop's steps: the graph, every node's state and the queues.
struct Scheduler<'a> {
    ctx: &'a Context<'a>,
    store: &'a Store,
    remote: Option<&'a Remote>,
    last_keys: &'a LastKeys,
    options: &'a Options,
    progress: &'a Progress,
    targets: Vec<Target>,
    plan: Plan,
    board: Board,
    /// Nodes whose inputs are all finished.
    ready: VecDeque<NodeIndex>,
    /// Nodes whose key missed the cache, waiting for a free worker (so that after a failure without -k
    /// nothing more starts).
    runnable: VecDeque<(NodeIndex, Prepared)>,
    /// Keys being run, with the nodes of the same key waiting for that run.
    twins: HashMap<Digest, Vec<NodeIndex>>,
    /// Nodes missing locally, to be looked up in the remote; the prepared jobs of those queued or in flight,
    /// and how many are in flight.
    lookups: VecDeque<(NodeIndex, Digest)>,
    looking_up: HashMap<NodeIndex, Prepared>,
    lookups_in_flight: usize,
    /// Nodes another shard builds, to be waited for; the prepared jobs of those queued or waited for (run
    /// here if the other shard does not publish them in time).
    fetches: VecDeque<(NodeIndex, Digest)>,
    waiting_for_shard: HashMap<NodeIndex, Prepared>,
    running: usize,
    fetching: usize,
    stopping: bool,
    interrupted: bool,
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
    let mut scheduler = Scheduler::new(ctx, store, remote, last_keys, options, progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("vbuild-worker-{i}"))
        .build()
        .expect("the worker pool starts");
    let (sender, receiver) = mpsc::channel::<Message>();
    std::thread::scope(|threads| {
        pool.in_place_scope(|scope| {
            loop {
                for work in scheduler.next_work() {
                    let sender = sender.clone();
                    // The receiver outlives every job and thread: the loop waits for all of them.
                    match work {
                        Work::Run {
                            node,
                            name,
                            key,
                            prepared,
                        } => scope.spawn(move |_| {
                            let result =
                                catch_panic(|| run_node(store, remote, name, key, *prepared))
                                    .unwrap_or_else(|message| Err(StepError::Panic(message)));
                            let _ = sender.send(Message::Finished {
                                node,
                                result,
                                fetched: false,
                            });
                        }),
                        Work::Fetch {
                            node,
                            key,
                            outputs,
                            owner,
                        } => {
                            let remote = remote.expect("only shards with a remote fetch");
                            let wait = ctx.videofile.cache.shard_wait;
                            threads.spawn(move || {
                                let result = catch_panic(|| {
                                    wait_for_other_shard(remote, store, &key, outputs, wait).ok_or(
                                        StepError::NotPublished {
                                            owner,
                                            waited: wait,
                                        },
                                    )
                                })
                                .unwrap_or_else(|message| Err(StepError::Panic(message)));
                                let _ = sender.send(Message::Finished {
                                    node,
                                    result,
                                    fetched: true,
                                });
                            });
                        }
                        Work::Lookup { node, key, outputs } => {
                            let remote = remote.expect("only builds with a remote look up");
                            threads.spawn(move || {
                                let entry = catch_panic(|| remote.fetch(&key, store, outputs))
                                    .unwrap_or_else(|message| {
                                        log::error!("remote cache look-up failed: {message}");
                                        None
                                    });
                                let _ = sender.send(Message::LookedUp { node, entry });
                            });
                        }
                    }
                }
                if scheduler.is_idle() {
                    break;
                }
                // Woken at least every tenth of a second to notice an interrupt.
                match receiver.recv_timeout(Duration::from_millis(100)) {
                    Ok(Message::Finished {
                        node,
                        result,
                        fetched,
                    }) => scheduler.complete(node, result, fetched),
                    Ok(Message::LookedUp { node, entry }) => scheduler.looked_up(node, entry),
                    Err(_) => {}
                }
                if interrupt::requested() {
                    scheduler.interrupt();
                }
            }
        })
    });
    scheduler.into_outcome(started)
}

impl<'a> Scheduler<'a> {
    fn new(
        ctx: &'a Context<'a>,
        store: &'a Store,
        remote: Option<&'a Remote>,
        last_keys: &'a LastKeys,
        options: &'a Options,
        progress: &'a Progress,
    ) -> Scheduler<'a> {
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
        let plan = Plan::new(
            ctx.chapters.iter().map(|c| c.id.clone()).collect(),
            pictures,
        );
        let mut board = Board {
            states: vec![State::Waiting; plan.graph.node_count()],
            scripts: vec![None; ctx.chapters.len()],
        };
        mark_needed(&plan, &targets, &mut board.states);
        progress.set_total(count_needed(&board.states));
        let ready = plan
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
        Scheduler {
            ctx,
            store,
            remote,
            last_keys,
            options,
            progress,
            targets,
            plan,
            board,
            ready,
            runnable: VecDeque::new(),
            twins: HashMap::new(),
            lookups: VecDeque::new(),
            looking_up: HashMap::new(),
            lookups_in_flight: 0,
            fetches: VecDeque::new(),
            waiting_for_shard: HashMap::new(),
            running: 0,
            fetching: 0,
            stopping: false,
            interrupted: false,
        }
    }

    /// Settles every ready node (from the cache, as a dry-run plan, or queued to run) and hands out the work
    /// that can start now.
    fn next_work(&mut self) -> Vec<Work> {
        let mut work = Vec::new();
        while let Some(node) = self.ready.pop_front() {
            self.settle(node);
        }
        while self.lookups_in_flight < LOOKUPS_IN_FLIGHT {
            let Some((node, key)) = self.lookups.pop_front() else {
                break;
            };
            self.lookups_in_flight += 1;
            let outputs = self.plan.graph[node].kind.outputs();
            work.push(Work::Lookup { node, key, outputs });
        }
        for (node, key) in self.fetches.drain(..) {
            self.fetching += 1;
            let outputs = self.plan.graph[node].kind.outputs();
            let count = self.options.shard.map_or(1, |s| s.count);
            let owner = format!("{} of {count}", Shard::owner(&key, count));
            work.push(Work::Fetch {
                node,
                key,
                outputs,
                owner,
            });
        }
        if self.stopping {
            self.runnable.clear();
        }
        while self.running < self.options.jobs.max(1) {
            let Some((node, prepared)) = self.runnable.pop_front() else {
                break;
            };
            let name = self.plan.name(node);
            let key = prepared.signature.key();
            // Two nodes with the same key (two slides saying the same words) share one job: a paid request is
            // never sent twice in one build.
            if let Some(waiting) = self.twins.get_mut(&key) {
                log::debug!(node = name.as_str(); "waits for a running node with the same key");
                waiting.push(node);
                continue;
            }
            self.twins.insert(key.clone(), Vec::new());
            log::debug!(node = name.as_str(); "runs");
            self.running += 1;
            self.progress.started(&name);
            work.push(Work::Run {
                node,
                name,
                key,
                prepared: Box::new(prepared),
            });
        }
        work
    }

    /// Stops the build after an interrupt: nothing new starts; what runs is let stop.
    fn interrupt(&mut self) {
        if !self.interrupted {
            self.interrupted = true;
            self.stopping = true;
            self.lookups.clear();
            self.fetches.clear();
            self.runnable.clear();
        }
    }

    /// True when nothing runs, waits or is being looked up.
    fn is_idle(&self) -> bool {
        self.running == 0 && self.fetching == 0 && self.lookups_in_flight == 0
    }

    /// Looks a ready node up in the local cache; a miss goes to the remote (if any) or is settled as a miss.
    fn settle(&mut self, node: NodeIndex) {
        let first_input = self
            .plan
            .graph
            .neighbors_directed(node, Direction::Incoming)
            .find(|p| matches!(self.board.states[p.index()], State::WouldRun { .. }));
        if let Some(input) = first_input {
            let reason = Reason::InputRunsFirst {
                input: self.plan.name(input),
            };
            let usage = steps::estimate(&self.plan, node, self.ctx);
            self.board.states[node.index()] = State::WouldRun {
                key: None,
                reason,
                usage,
                seconds: None,
            };
            self.finish(node);
            return;
        }
        let prepared = steps::prepare(&self.plan, node, self.ctx, &self.board);
        let key = prepared.signature.key();
        if let Some(entry) = self
            .store
            .action(&key, self.plan.graph[node].kind.outputs())
        {
            self.cached(node, entry);
            return;
        }
        // A dry run writes nothing, so it does not check entries out of the remote.
        if self.remote.is_some_and(Remote::is_on) && !self.options.dry_run {
            self.looking_up.insert(node, prepared);
            self.lookups.push_back((node, key));
            return;
        }
        self.missed(node, prepared, key);
    }

    /// A node the remote was asked for: cached if it had it, else a miss.
    fn looked_up(&mut self, node: NodeIndex, entry: Option<ActionEntry>) {
        self.lookups_in_flight -= 1;
        let prepared = self
            .looking_up
            .remove(&node)
            .expect("looked-up nodes are remembered");
        match entry {
            Some(entry) => self.cached(node, entry),
            None => {
                let key = prepared.signature.key();
                self.missed(node, prepared, key);
            }
        }
    }

    /// A node whose output the cache has.
    fn cached(&mut self, node: NodeIndex, entry: ActionEntry) {
        log::debug!(node = self.plan.name(node).as_str(); "cached ({})", entry.key.short());
        self.board.states[node.index()] = State::Done { entry, ran: None };
        self.finish(node);
    }

    /// A node no cache has: why, and then a dry-run plan, a wait for another shard, or the run queue.
    fn missed(&mut self, node: NodeIndex, prepared: Prepared, key: Digest) {
        let name = self.plan.name(node);
        let previous = self
            .last_keys
            .get(&name)
            .and_then(|k| Digest::parse(k).ok())
            .map(|k| {
                let entry = self.store.record_of(&k);
                (k, entry)
            });
        let reason = Reason::between(
            previous
                .as_ref()
                .map(|(k, entry)| (k.as_str(), entry.as_ref().map(|e| e.signature.as_slice()))),
            &key,
            prepared.signature.fields(),
        );
        if self.options.dry_run {
            let seconds = previous.and_then(|(_, entry)| entry).map(|e| e.seconds);
            let usage = prepared.job.usage();
            self.board.states[node.index()] = State::WouldRun {
                key: Some(key),
                reason,
                usage,
                seconds,
            };
            self.finish(node);
            return;
        }
        self.board.states[node.index()] = State::Running {
            key: key.clone(),
            reason,
        };
        match self.options.shard {
            Some(shard)
                if self.remote.is_some()
                    && Shard::target().wants(&self.plan.graph[node])
                    && !shard.owns(&key) =>
            {
                log::debug!(node = name.as_str(); "waits for shard {} of {}", Shard::owner(&key, shard.count), shard.count);
                self.waiting_for_shard.insert(node, prepared);
                self.fetches.push_back((node, key));
            }
            _ => self.runnable.push_back((node, prepared)),
        }
    }

    /// Takes a worker's or a fetch's result.
    fn complete(&mut self, node: NodeIndex, result: Result<ActionEntry, StepError>, fetched: bool) {
        if fetched {
            self.fetching -= 1;
        } else {
            self.running -= 1;
        }
        let name = self.plan.name(node);
        self.progress.stopped(&name);
        let State::Running { key, reason } =
            std::mem::replace(&mut self.board.states[node.index()], State::Skipped)
        else {
            unreachable!("only running nodes report back");
        };
        let waiting = self.twins.remove(&key).unwrap_or_default();
        let chapter = self.plan.chapter_id(node).unwrap_or_default().to_string();
        let shard_job = fetched
            .then(|| self.waiting_for_shard.remove(&node))
            .flatten();
        match result {
            // An interrupted job did not fail: it was stopped.
            Err(_) if self.interrupted => {
                for twin in waiting.into_iter().chain([node]) {
                    self.board.states[twin.index()] = State::Skipped;
                    self.progress.advance();
                }
            }
            // The shard that owns the node did not publish it in time: this one builds it.
            Err(StepError::NotPublished { owner, waited }) if shard_job.is_some() => {
                log::warn!(
                    node = name.as_str(), chapter = chapter.as_str();
                    "shard {owner} did not publish it within {}; building it here",
                    humantime::format_duration(waited)
                );
                self.board.states[node.index()] = State::Running { key, reason };
                let prepared = shard_job.expect("checked above");
                self.runnable.push_back((node, prepared));
            }
            Ok(entry) => {
                if fetched {
                    log::info!(node = name.as_str(), chapter = chapter.as_str(); "taken from the shard that built it");
                } else {
                    log::info!(node = name.as_str(), chapter = chapter.as_str(); "built in {:.2} s", entry.seconds);
                }
                for twin in waiting {
                    self.board.states[twin.index()] = State::Done {
                        entry: entry.clone(),
                        ran: None,
                    };
                    self.finish(twin);
                }
                let ran = (!fetched).then_some(reason);
                self.board.states[node.index()] = State::Done { entry, ran };
                self.finish(node);
            }
            Err(error) => {
                log::error!(node = name.as_str(), chapter = chapter.as_str(); "{error}");
                let error = error.to_string();
                for twin in waiting {
                    let state =
                        std::mem::replace(&mut self.board.states[twin.index()], State::Skipped);
                    if let State::Running { key, reason } = state {
                        self.board.states[twin.index()] = State::Failed {
                            key,
                            reason,
                            error: error.clone(),
                        };
                    }
                    self.progress.advance();
                }
                self.board.states[node.index()] = State::Failed { key, reason, error };
                self.progress.advance();
                self.stopping |= !self.options.keep_going;
            }
        }
    }

    /// Marks `node` finished: expands a finished script's slides, then queues the needed dependents that
    /// became ready.
    fn finish(&mut self, node: NodeIndex) {
        self.progress.advance();
        let n = self.plan.graph[node];
        if let (true, Some(chapter), State::Done { entry, ran }) = (
            n.kind.info().expands,
            n.at.chapter(),
            &self.board.states[node.index()],
        ) {
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
                    let added = self.plan.expand(chapter, script.slides.len());
                    self.board
                        .states
                        .extend(added.iter().map(|_| State::Waiting));
                    self.board.scripts[chapter.0] = Some(script);
                    mark_needed(&self.plan, &self.targets, &mut self.board.states);
                    self.progress.set_total(count_needed(&self.board.states));
                }
                Err(error) => {
                    log::error!(node = self.plan.name(node).as_str(); "{error}");
                    self.board.states[node.index()] = State::Failed {
                        key: entry.key.clone(),
                        reason: ran.clone().unwrap_or(Reason::OutputMissing),
                        error,
                    };
                    return;
                }
            }
        }
        for next in self
            .plan
            .graph
            .neighbors_directed(node, Direction::Outgoing)
        {
            let all_inputs_finished = self
                .plan
                .graph
                .neighbors_directed(next, Direction::Incoming)
                .all(|p| {
                    matches!(
                        self.board.states[p.index()],
                        State::Done { .. } | State::WouldRun { .. }
                    )
                });
            if all_inputs_finished && matches!(self.board.states[next.index()], State::Waiting) {
                self.ready.push_back(next);
            }
        }
    }

    fn into_outcome(mut self, started: Instant) -> Outcome {
        for state in &mut self.board.states {
            if matches!(state, State::Waiting) {
                *state = State::Skipped;
            }
        }
        Outcome {
            plan: self.plan,
            states: self.board.states,
            seconds: started.elapsed().as_secs_f64(),
            interrupted: self.interrupted,
        }
    }
}

fn count_needed(states: &[State]) -> usize {
    states
        .iter()
        .filter(|s| !matches!(s, State::NotWanted))
        .count()
}

/// Polls the remote cache until another shard has published the node with `key`, for at most `wait` (less if
/// the remote fails or the build is interrupted).
fn wait_for_other_shard(
    remote: &Remote,
    store: &Store,
    key: &Digest,
    outputs: &[&str],
    wait: Duration,
) -> Option<ActionEntry> {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline && remote.is_on() && !interrupt::requested() {
        if let Some(entry) = remote.fetch(key, store, outputs) {
            return Some(entry);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// Runs `work`, turning a panic into its message.
fn catch_panic<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Runs a node's job in a scratch folder, moves its outputs into the cache, records its entry and publishes it
/// to the remote cache.
fn run_node(
    store: &Store,
    remote: Option<&Remote>,
    name: String,
    key: Digest,
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
        bytes: Some(bytes),
        usage: produced.usage,
        signature: prepared.signature.fields().to_vec(),
    };
    store.record(&entry)?;
    if let Some(remote) = remote {
        remote.publish(&entry, store);
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        assert_eq!(
            catch_panic(|| -> u8 { panic!("end byte index 2 is not a char boundary") }),
            Err("end byte index 2 is not a char boundary".to_string())
        );
        let key = 3;
        assert_eq!(
            catch_panic(|| -> u8 { panic!("key {key}") }),
            Err("key 3".to_string())
        );
    }
}
