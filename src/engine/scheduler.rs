//! The scheduler: walks the graph in dependency order, looks every needed node's key up in the caches, hands
//! the misses to a [`Runner`] as slots of their pools free up, and expands a chapter's per-slide nodes once
//! its script is known.
//!
//! The main thread owns the graph and every state; work runs on a rayon pool of `-j` local workers (jobs
//! that compute) or on threads of their own (jobs that wait for a cloud provider, remote look-ups), so a job
//! waiting for its provider's slot is only a queued node, and one waiting out a provider's backoff holds that
//! provider's slot, never a local worker. Nodes waiting for other shards are polled by one thread.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::Options;
use super::executor::{Runner, catch_panic};
use super::shard::{self, Shard};
use super::state::{Outcome, Pool, State, States};
use crate::cache::{ActionEntry, Store};
use crate::engine::progress::Progress;
use crate::graph::node::ChapterId;
use crate::graph::node::NodeKind;
use crate::graph::plan::Plan;
use crate::graph::reason::Reason;
use crate::graph::target::{Target, Targets};
use crate::lecture::script::{self, Script};
use crate::record::last_keys::LastKeys;
use crate::steps::{self, Context, Finished, Prepared, StepError};
use crate::sys::digest::Digest;

/// Remote look-ups in flight at once: enough to hide network latency, few enough to be polite to the store.
const LOOKUPS_IN_FLIGHT: usize = 8;

/// Builds the course of `ctx` with `runner`; `stopped` tells when an interrupt asks the build to stop.
pub fn run<R: Runner>(
    ctx: &Context,
    store: &Store,
    last_keys: &LastKeys,
    options: &Options,
    progress: &Progress,
    runner: &R,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Outcome {
    let started = Instant::now();
    let mut scheduler = Scheduler::new(
        ctx,
        store,
        last_keys,
        options,
        progress,
        runner.has_remote(),
    );
    let workers = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .thread_name(|i| format!("vbuild-worker-{i}"))
        .build()
        .expect("the worker pool starts");
    let (sender, receiver) = mpsc::channel::<Message>();
    std::thread::scope(|threads| {
        // One thread waits for other shards, however many nodes wait (a waiting node holds no thread).
        let (waits, waited) = mpsc::channel::<shard::Wait>();
        if options.shard.is_some() {
            let sender = sender.clone();
            threads.spawn(move || {
                let answer = |node, entry| {
                    let _ = sender.send(Message::FromShard { node, entry });
                };
                let look_up = |key: &Digest, kind| {
                    catch_panic(|| runner.look_up(key, kind)).unwrap_or_else(|message| {
                        log::error!("waiting for another shard failed: {message}");
                        None
                    })
                };
                let remote_on = || runner.has_remote();
                shard::poll(
                    &waited,
                    &look_up,
                    &remote_on,
                    runner.shard_wait(),
                    stopped,
                    &answer,
                );
            });
        }
        workers.in_place_scope(|local| {
            loop {
                for work in scheduler.next_work() {
                    let sender = sender.clone();
                    // The receiver outlives every job and thread: the loop waits for all of them.
                    let send = move |message| {
                        let _ = sender.send(message);
                    };
                    match work {
                        Work::Run {
                            node,
                            name,
                            key,
                            prepared,
                            pool: Pool::Local,
                        } => local
                            .spawn(move |_| send(run_job(runner, node, &name, &key, *prepared))),
                        Work::Run {
                            node,
                            name,
                            key,
                            prepared,
                            ..
                        } => {
                            threads
                                .spawn(move || send(run_job(runner, node, &name, &key, *prepared)));
                        }
                        Work::LookUp { node, key, kind } => {
                            threads.spawn(move || {
                                let entry = catch_panic(|| runner.look_up(&key, kind))
                                    .unwrap_or_else(|message| {
                                        log::error!("remote cache look-up failed: {message}");
                                        None
                                    });
                                send(Message::LookedUp { node, entry });
                            });
                        }
                        Work::FromShard { node, key, kind } => {
                            let _ = waits.send(shard::Wait { node, key, kind });
                        }
                    }
                }
                if scheduler.states.nothing_in_flight() {
                    break;
                }
                // Woken at least every tenth of a second to notice an interrupt.
                match receiver.recv_timeout(Duration::from_millis(100)) {
                    Ok(Message::Ran { node, result }) => scheduler.ran(node, result),
                    Ok(Message::LookedUp { node, entry }) => scheduler.looked_up(node, entry),
                    Ok(Message::FromShard { node, entry }) => {
                        scheduler.shard_answered(node, entry, runner.shard_wait())
                    }
                    Err(_) => {}
                }
                if stopped() {
                    scheduler.interrupt();
                }
            }
        });
        // Nothing waits any more: the shard poller ends.
        drop(waits);
    });
    scheduler.into_outcome(started)
}

/// Runs a node's job, turning a panic into the node's failure.
fn run_job<R: Runner>(
    runner: &R,
    node: NodeIndex,
    name: &str,
    key: &Digest,
    prepared: Prepared,
) -> Message {
    let result = catch_panic(|| runner.run(name, key, prepared))
        .unwrap_or_else(|message| Err(StepError::Panic(message)));
    Message::Ran { node, result }
}

/// The pool a job runs in: its cloud provider's, or the local workers'.
fn pool_of(prepared: &Prepared) -> Pool {
    match prepared.job.provider() {
        Some(provider) => Pool::Provider(provider.to_string()),
        None => Pool::Local,
    }
}

/// What a worker or a helper thread reports back.
enum Message {
    /// A node's job ran.
    Ran {
        node: NodeIndex,
        result: Result<ActionEntry, StepError>,
    },
    /// The remote cache was asked for a node missing locally.
    LookedUp {
        node: NodeIndex,
        entry: Option<ActionEntry>,
    },
    /// Another shard published the node in time, or did not.
    FromShard {
        node: NodeIndex,
        entry: Option<ActionEntry>,
    },
}

/// Work the scheduler hands out.
enum Work {
    /// Run the node's job in `pool`.
    Run {
        node: NodeIndex,
        name: String,
        key: Digest,
        prepared: Box<Prepared>,
        pool: Pool,
    },
    /// Ask the remote cache for the node with this key (of this kind).
    LookUp {
        node: NodeIndex,
        key: Digest,
        kind: NodeKind,
    },
    /// Wait for another shard to publish the node with this key (of this kind).
    FromShard {
        node: NodeIndex,
        key: Digest,
        kind: NodeKind,
    },
}

/// Finished nodes' entries and the parsed scripts: what a preparing node reads.
struct Board<'s> {
    states: &'s States,
    plan: &'s Plan,
    /// By [`Plan::slot`].
    scripts: &'s [Option<Script>],
}

impl Finished for Board<'_> {
    fn entry(&self, node: NodeIndex) -> &ActionEntry {
        match self.states.get(node) {
            State::Done { entry, .. } => entry,
            other => panic!("node {node:?} read before it finished: {other:?}"),
        }
    }

    fn script(&self, chapter: ChapterId) -> &Script {
        self.scripts[self.plan.slot(chapter)]
            .as_ref()
            .expect("scripts are read after their node finished")
    }
}

/// The build between the loop's steps: the graph, every node's state and the pools' queues.
struct Scheduler<'a> {
    ctx: &'a Context<'a>,
    store: &'a Store,
    last_keys: &'a LastKeys,
    options: &'a Options,
    progress: &'a Progress,
    /// A remote cache can be asked for local misses.
    has_remote: bool,
    targets: Targets,
    plan: Plan,
    states: States,
    /// Each chapter's script once read, by [`Plan::slot`].
    scripts: Vec<Option<Script>>,
    /// Nodes whose inputs are all finished, to be looked up.
    ready: VecDeque<NodeIndex>,
    /// Per node, how many of its inputs have not finished (as n2 counts them): a node is ready at 0.
    pending: Vec<usize>,
    /// Nodes waiting for a slot, by pool, in the order they came.
    queues: HashMap<Pool, VecDeque<NodeIndex>>,
    /// Keys queued or running, with the twins (nodes of the same key) waiting for that one result: two
    /// slides saying the same words share one job, so a paid request is never sent twice in one build.
    twins: HashMap<Digest, Vec<NodeIndex>>,
    /// Per chapter, the per-slide nodes the targets will need once its script is known, as many as its slides
    /// were at the last build (so the progress bar knows its length before the scripts are read), and their
    /// sum over the chapters not expanded yet.
    expected: Vec<usize>,
    expected_left: usize,
    /// Nothing new starts (after a failure without -k, or an interrupt).
    stopping: bool,
    interrupted: bool,
}

impl<'a> Scheduler<'a> {
    fn new(
        ctx: &'a Context<'a>,
        store: &'a Store,
        last_keys: &'a LastKeys,
        options: &'a Options,
        progress: &'a Progress,
        has_remote: bool,
    ) -> Scheduler<'a> {
        let pictures = ctx
            .videofile
            .providers
            .contains_key(&ctx.videofile.images.provider);
        let plan = Plan::new(
            ctx.chapters.iter().map(|c| c.id.clone()).collect(),
            ctx.videofile.course.languages.clone(),
            pictures,
        );
        // A shard, or a build of no target in particular, takes in every edition.
        let everywhere = |target: Target| {
            let plan = &plan;
            plan.editions()
                .map(move |e| target.in_edition(e, plan.language(e)))
        };
        let targets = Targets::new(if options.shard.is_some() {
            everywhere(Shard::target()).collect()
        } else if options.targets.is_empty() {
            everywhere(Target::course()).collect()
        } else {
            options.targets.clone()
        });
        let mut scheduler = Scheduler {
            ctx,
            store,
            last_keys,
            options,
            progress,
            has_remote,
            targets,
            states: States::new(plan.graph.node_count()),
            scripts: plan.chapters().map(|_| None).collect(),
            plan,
            ready: VecDeque::new(),
            pending: Vec::new(),
            queues: HashMap::new(),
            twins: HashMap::new(),
            expected: Vec::new(),
            expected_left: 0,
            stopping: false,
            interrupted: false,
        };
        scheduler.expected = scheduler.expected_slide_nodes();
        scheduler.expected_left = scheduler.expected.iter().sum();
        scheduler.mark_needed();
        scheduler.pending = scheduler
            .plan
            .graph
            .node_indices()
            .map(|n| {
                scheduler
                    .plan
                    .graph
                    .neighbors_directed(n, Direction::Incoming)
                    .count()
            })
            .collect();
        scheduler.ready = scheduler
            .plan
            .graph
            .node_indices()
            .filter(|&n| matches!(scheduler.states.get(n), State::Waiting))
            .filter(|&n| scheduler.pending[n.index()] == 0)
            .collect();
        scheduler
    }

    /// Changes a node's state (through [`States::set`]) and shows it on the progress bar.
    fn set(&mut self, node: NodeIndex, state: State) -> State {
        let (old, change) = self.states.set(node, state);
        if change.started {
            let kind = self.plan.graph[node].kind.name();
            self.progress.started(&self.plan.name(node), kind);
        }
        if change.stopped {
            self.progress.stopped(&self.plan.name(node));
        }
        if change.finished {
            let ran = match self.states.get(node) {
                State::Done {
                    entry,
                    ran: Some(_),
                } => Some(entry.seconds),
                State::Failed { .. } => Some(0.0),
                _ => None,
            };
            self.progress.advance(ran);
        }
        old
    }

    /// Takes a node's state out to change it (leaving it waiting, which holds nothing and is not final).
    fn take(&mut self, node: NodeIndex) -> State {
        self.set(node, State::Waiting)
    }

    /// Per chapter, how many per-slide nodes the targets would need if the chapter had as many slides as at
    /// the last build.
    fn expected_slide_nodes(&self) -> Vec<usize> {
        let slides = self.last_keys.slides_by_chapter();
        let mut expanded = self.plan.clone();
        for chapter in self.plan.chapters() {
            let source = &self.ctx.chapters[chapter.index];
            expanded.expand(
                chapter,
                slides.get(source.id.as_str()).copied().unwrap_or(0),
            );
        }
        let needed = expanded.needed(&self.targets);
        let mut expected = vec![0; self.plan.chapters().count()];
        for node in expanded.graph.node_indices() {
            let n = expanded.graph[node];
            if let (Some(slide), true) = (n.at.slide(), needed[node.index()]) {
                expected[self.plan.slot(slide.chapter)] += 1;
            }
        }
        expected
    }

    /// Marks the nodes no target needs (see [`Plan::needed`]), once, at the start.
    fn mark_needed(&mut self) {
        let needed = self.plan.needed(&self.targets);
        for node in self.plan.graph.node_indices() {
            if !needed[node.index()] {
                self.set(node, State::NotWanted);
            }
        }
        self.show_total();
    }

    /// The progress bar's length: the nodes needed so far, and as many per-slide nodes for the chapters
    /// not expanded yet as they had last time.
    fn show_total(&self) {
        self.progress
            .set_total(self.states.needed() + self.expected_left);
    }

    /// Adds `chapter`'s per-slide nodes (`added`), as its script finishes: each is needed when a target wants
    /// it or a needed node reads it (its readers were added after it, or are the chapter's nodes), and it
    /// waits for its inputs that have not finished (the script's own finishing, right after, counts for
    /// it). A node of a wider scope that a needed slide reads and no target needed so far (a translated
    /// course title) is needed now. The work is in the new nodes only, so expanding every chapter stays
    /// linear in the graph.
    fn add_slides(&mut self, chapter: ChapterId, added: &[NodeIndex]) {
        self.states.grow(added.len());
        self.pending.resize(self.plan.graph.node_count(), 0);
        let mut needed: HashMap<NodeIndex, bool> = HashMap::new();
        for &node in added.iter().rev() {
            let wanted = self.targets.want(&self.plan.graph[node]);
            let read = self
                .plan
                .graph
                .neighbors_directed(node, Direction::Outgoing)
                .any(|reader| {
                    needed
                        .get(&reader)
                        .copied()
                        .unwrap_or_else(|| !matches!(self.states.get(reader), State::NotWanted))
                });
            needed.insert(node, wanted || read);
        }
        for &node in added {
            if !needed[&node] {
                self.set(node, State::NotWanted);
            }
            // Its inputs not finished yet (the new nodes, the finishing script, a wider node still to run),
            // and one more for each existing reader.
            let inputs: Vec<NodeIndex> = (self.plan.graph)
                .neighbors_directed(node, Direction::Incoming)
                .collect();
            self.pending[node.index()] = (inputs.iter())
                .filter(|&&input| {
                    self.plan.graph[input].kind.info().expands
                        || !self.states.get(input).lets_readers_go()
                })
                .count();
            if needed[&node] {
                for input in inputs.into_iter().filter(|i| !needed.contains_key(i)) {
                    self.revive(input);
                }
            }
            for reader in self
                .plan
                .graph
                .neighbors_directed(node, Direction::Outgoing)
            {
                if !needed.contains_key(&reader) {
                    self.pending[reader.index()] += 1;
                }
            }
        }
        self.expected_left -= self.expected[self.plan.slot(chapter)];
        self.show_total();
    }

    /// Makes `node`, which no target needed so far, needed after all, with the inputs it waits for; it is
    /// looked up once they have finished.
    fn revive(&mut self, node: NodeIndex) {
        if !matches!(self.states.get(node), State::NotWanted) {
            return;
        }
        self.set(node, State::Waiting);
        let inputs: Vec<NodeIndex> = (self.plan.graph)
            .neighbors_directed(node, Direction::Incoming)
            .collect();
        for input in inputs {
            self.revive(input);
        }
        if self.pending[node.index()] == 0 {
            self.ready.push_back(node);
        }
    }

    /// How many slots `pool` has.
    fn depth(&self, pool: &Pool) -> usize {
        match pool {
            Pool::Local => self.options.jobs.max(1),
            Pool::Provider(name) => self
                .ctx
                .videofile
                .providers
                .get(name)
                .map_or(1, |p| p.limits.concurrency.max(1)),
            Pool::Remote => LOOKUPS_IN_FLIGHT,
            Pool::Shards => usize::MAX,
        }
    }

    /// Settles every ready node (from the cache, as a dry-run plan, or queued) and hands out the work that
    /// can start now: look-ups always (they are free), runs and waits for shards unless the build stops.
    fn next_work(&mut self) -> Vec<Work> {
        while let Some(node) = self.ready.pop_front() {
            self.settle(node);
        }
        let mut work = Vec::new();
        let pools: Vec<Pool> = self.queues.keys().cloned().collect();
        for pool in pools {
            if self.stopping && pool != Pool::Remote {
                continue;
            }
            while self.states.in_use(&pool) < self.depth(&pool) {
                let Some(node) = self.queues.get_mut(&pool).and_then(VecDeque::pop_front) else {
                    break;
                };
                work.push(self.start(node, pool.clone()));
            }
        }
        work
    }

    /// Starts the queued `node` in `pool`.
    fn start(&mut self, node: NodeIndex, pool: Pool) -> Work {
        let kind = self.plan.graph[node].kind;
        let name = self.plan.name(node);
        match self.take(node) {
            State::LookUp { key, .. } => {
                self.set(
                    node,
                    State::LookUp {
                        key: key.clone(),
                        asking: true,
                    },
                );
                Work::LookUp { node, key, kind }
            }
            State::Queued { key, reason } if pool == Pool::Shards => {
                log::debug!(node = name.as_str(); "waits for shard {}", self.shard_of(&key));
                self.set(
                    node,
                    State::FromShard {
                        key: key.clone(),
                        reason,
                    },
                );
                Work::FromShard { node, key, kind }
            }
            State::Queued { key, reason } => {
                log::debug!(node = name.as_str(); "runs");
                let prepared = Box::new(self.prepare(node));
                debug_assert_eq!(
                    prepared.signature.key(),
                    key,
                    "{name}: made again, another key"
                );
                self.set(
                    node,
                    State::Running {
                        key: key.clone(),
                        reason,
                        pool: pool.clone(),
                    },
                );
                Work::Run {
                    node,
                    name,
                    key,
                    prepared,
                    pool,
                }
            }
            other => unreachable!("only queued nodes start: {other:?}"),
        }
    }

    fn shard_of(&self, key: &Digest) -> String {
        self.options
            .shard
            .map(|s| s.owner_name(key))
            .unwrap_or_default()
    }

    /// Stops the build after an interrupt: nothing new starts; what runs is let stop.
    fn interrupt(&mut self) {
        if !self.interrupted {
            log::warn!(
                "interrupted: starting nothing new and stopping the running jobs (interrupt again to stop at once)"
            );
            self.interrupted = true;
            self.stopping = true;
            self.queues.clear();
        }
    }

    /// The signature and job of the ready `node`, from its finished inputs (made again when a queued node
    /// starts: the same inputs give the same key).
    fn prepare(&self, node: NodeIndex) -> Prepared {
        let board = Board {
            states: &self.states,
            plan: &self.plan,
            scripts: &self.scripts,
        };
        steps::prepare(&self.plan, node, self.ctx, &board)
    }

    /// Looks a ready node up in the local cache; a miss goes to the remote (if any) or is settled as a miss.
    fn settle(&mut self, node: NodeIndex) {
        let first_input = self
            .plan
            .graph
            .neighbors_directed(node, Direction::Incoming)
            .find(|p| matches!(self.states.get(*p), State::WouldRun { .. }));
        if let Some(input) = first_input {
            let reason = Reason::InputRunsFirst {
                input: self.plan.name(input),
            };
            let usage = steps::estimate(&self.plan, node, self.ctx);
            self.set(
                node,
                State::WouldRun {
                    key: None,
                    reason,
                    usage,
                    seconds: None,
                },
            );
            self.finish(node);
            return;
        }
        let prepared = self.prepare(node);
        let key = prepared.signature.key();
        if self.asked_again(node) {
            self.missed(node, prepared, key);
            return;
        }
        if let Some(entry) = self.store.action(&key, self.plan.graph[node].kind) {
            self.cached(node, entry);
            return;
        }
        // A dry run writes nothing, so it does not check entries out of the remote.
        if self.has_remote && !self.options.dry_run {
            self.set(node, State::LookUp { key, asking: false });
            self.queues.entry(Pool::Remote).or_default().push_back(node);
            return;
        }
        self.missed(node, prepared, key);
    }

    /// True when `-B` asks for `node` to run again, whatever the caches have: a target names it.
    fn asked_again(&self, node: NodeIndex) -> bool {
        self.options.always && self.targets.want(&self.plan.graph[node])
    }

    /// A node the remote was asked for: cached if it had it, else a miss.
    fn looked_up(&mut self, node: NodeIndex, entry: Option<ActionEntry>) {
        let State::LookUp { key, .. } = self.take(node) else {
            unreachable!("only looked-up nodes report a look-up");
        };
        match entry {
            Some(entry) => self.cached(node, entry),
            None => {
                let prepared = self.prepare(node);
                self.missed(node, prepared, key);
            }
        }
    }

    /// A node whose output the cache has. A cached script is read and checked against the limits first: one
    /// that does not hold (a remote's, or a damaged one) is a miss, and its node runs again.
    fn cached(&mut self, node: NodeIndex, entry: ActionEntry) {
        if let Some(chapter) = self.expanding(node) {
            match self.read_script(&entry, chapter) {
                Ok(script) => self.scripts[self.plan.slot(chapter)] = Some(script),
                Err(error) => {
                    log::warn!(
                        node = self.plan.name(node).as_str();
                        "cache entry {}: {error}; the node runs again",
                        entry.key.short()
                    );
                    let prepared = self.prepare(node);
                    self.missed(node, prepared, entry.key);
                    return;
                }
            }
        }
        log::debug!(node = self.plan.name(node).as_str(); "cached ({})", entry.key.short());
        self.set(node, State::Done { entry, ran: None });
        self.finish(node);
    }

    /// A node no cache has: why, and then a dry-run plan, a twin of a node already queued with its key, a
    /// wait for another shard, or its pool's queue.
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
        let reason = if self.asked_again(node) {
            Reason::AskedAgain
        } else {
            Reason::between(
                previous
                    .as_ref()
                    .map(|(k, entry)| (k.as_str(), entry.as_ref().map(|e| e.signature.as_slice()))),
                &key,
                prepared.signature.fields(),
            )
        };
        if self.options.dry_run {
            let seconds = previous.and_then(|(_, entry)| entry).map(|e| e.seconds);
            let usage = prepared.job.usage();
            self.set(
                node,
                State::WouldRun {
                    key: Some(key),
                    reason,
                    usage,
                    seconds,
                },
            );
            self.finish(node);
            return;
        }
        if let Some(twins) = self.twins.get_mut(&key) {
            log::debug!(node = name.as_str(); "waits for a node with the same key");
            twins.push(node);
            self.set(node, State::Twin { key, reason });
            return;
        }
        self.twins.insert(key.clone(), Vec::new());
        let pool = match self.options.shard {
            Some(shard) if self.plan.graph[node].kind.info().shardable && !shard.owns(&key) => {
                Pool::Shards
            }
            _ => pool_of(&prepared),
        };
        self.enqueue(node, key, reason, pool);
    }

    /// Queues `node` (whose key is `key`) for a slot of `pool`.
    fn enqueue(&mut self, node: NodeIndex, key: Digest, reason: Reason, pool: Pool) {
        self.set(node, State::Queued { key, reason });
        self.queues.entry(pool).or_default().push_back(node);
    }

    /// Another shard's result: taken if it came, else the node is built here.
    fn shard_answered(&mut self, node: NodeIndex, entry: Option<ActionEntry>, waited: Duration) {
        let State::FromShard { key, reason } = self.take(node) else {
            unreachable!("only nodes waiting for a shard report a shard's result");
        };
        let name = self.plan.name(node);
        let chapter = self.plan.chapter_id(node).unwrap_or_default().to_string();
        match entry {
            Some(entry) => {
                log::info!(node = name.as_str(), chapter = chapter.as_str(); "taken from the shard that built it");
                self.finished_with(node, &key, entry, None);
            }
            None if self.interrupted => self.skip_with_twins(node, &key),
            None => {
                log::warn!(
                    node = name.as_str(), chapter = chapter.as_str();
                    "shard {} did not publish it within {}; building it here",
                    self.shard_of(&key),
                    humantime::format_duration(waited)
                );
                let pool = pool_of(&self.prepare(node));
                self.enqueue(node, key, reason, pool);
            }
        }
    }

    /// A job's result.
    fn ran(&mut self, node: NodeIndex, result: Result<ActionEntry, StepError>) {
        let State::Running { key, reason, .. } = self.take(node) else {
            unreachable!("only running nodes report back");
        };
        let name = self.plan.name(node);
        let chapter = self.plan.chapter_id(node).unwrap_or_default().to_string();
        match result {
            Ok(entry) => {
                log::info!(node = name.as_str(), chapter = chapter.as_str(); "built in {:.2} s", entry.seconds);
                self.finished_with(node, &key, entry, Some(reason));
            }
            // An interrupted job did not fail: it was stopped.
            Err(_) if self.interrupted => self.skip_with_twins(node, &key),
            Err(error) => {
                log::error!(node = name.as_str(), chapter = chapter.as_str(); "{error}");
                let error = error.to_string();
                for twin in self.twins.remove(&key).unwrap_or_default() {
                    if let State::Twin { key, reason } = self.take(twin) {
                        let error = error.clone();
                        self.set(twin, State::Failed { key, reason, error });
                    }
                }
                self.set(node, State::Failed { key, reason, error });
                self.stopping |= !self.options.keep_going;
            }
        }
    }

    /// `node` and its twins finished with `entry` (`ran`: why the node itself ran).
    fn finished_with(
        &mut self,
        node: NodeIndex,
        key: &Digest,
        entry: ActionEntry,
        ran: Option<Reason>,
    ) {
        for twin in self.twins.remove(key).unwrap_or_default() {
            self.set(
                twin,
                State::Done {
                    entry: entry.clone(),
                    ran: None,
                },
            );
            self.finish(twin);
        }
        self.set(node, State::Done { entry, ran });
        self.finish(node);
    }

    fn skip_with_twins(&mut self, node: NodeIndex, key: &Digest) {
        for twin in self.twins.remove(key).unwrap_or_default() {
            self.set(twin, State::Skipped);
        }
        self.set(node, State::Skipped);
    }

    /// Marks `node` finished: expands the slides its script tells, then queues the needed readers that
    /// became ready.
    fn finish(&mut self, node: NodeIndex) {
        if let Some(chapter) = self.expanding(node)
            && let State::Done { entry, .. } = self.states.get(node)
        {
            let slot = self.plan.slot(chapter);
            let read = match self.scripts[slot].take() {
                Some(script) => Ok(script),
                None => self.read_script(entry, chapter),
            };
            match read {
                Ok(script) => {
                    let added = self.plan.expand(chapter, script.slides.len());
                    self.scripts[slot] = Some(script);
                    self.add_slides(chapter, &added);
                }
                Err(error) => {
                    log::error!(node = self.plan.name(node).as_str(); "{error}");
                    let key = entry.key.clone();
                    let reason = match self.states.get(node) {
                        State::Done {
                            ran: Some(reason), ..
                        } => reason.clone(),
                        _ => Reason::OutputMissing,
                    };
                    self.set(node, State::Failed { key, reason, error });
                    return;
                }
            }
        }
        if !self.states.get(node).lets_readers_go() {
            return;
        }
        let readers: Vec<NodeIndex> = self
            .plan
            .graph
            .neighbors_directed(node, Direction::Outgoing)
            .collect();
        for next in readers {
            let pending = &mut self.pending[next.index()];
            *pending -= 1;
            if *pending == 0 && matches!(self.states.get(next), State::Waiting) {
                self.ready.push_back(next);
            }
        }
    }

    /// The chapter whose slides `node` tells, if it is of a kind that does (a script).
    fn expanding(&self, node: NodeIndex) -> Option<ChapterId> {
        let n = self.plan.graph[node];
        n.kind.info().expands.then_some(n.at.chapter()).flatten()
    }

    /// The script a finished script node made, checked against what `chapter`'s script may hold.
    fn read_script(&self, entry: &ActionEntry, chapter: ChapterId) -> Result<Script, String> {
        let bytes = self
            .store
            .read_blob(entry.output("script"))
            .map_err(|e| e.to_string())?;
        let script = Script::from_json(&bytes).map_err(|e| format!("invalid script: {e}"))?;
        let errors = script::check(&script, steps::script_limits(chapter, self.ctx));
        match errors.first() {
            None => Ok(script),
            Some(first) => Err(format!("invalid script: {first}")),
        }
    }

    fn into_outcome(mut self, started: Instant) -> Outcome {
        for node in self.plan.graph.node_indices() {
            if !self.states.get(node).is_final() {
                self.set(node, State::Skipped);
            }
        }
        Outcome {
            plan: self.plan,
            states: self.states.into_vec(),
            seconds: started.elapsed().as_secs_f64(),
            interrupted: self.interrupted,
        }
    }
}
