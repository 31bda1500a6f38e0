//! Where every node of a build stands. A node's state changes only through [`States::set`], which keeps the
//! counts the scheduler decides by (work in flight, each pool's slots in use, nodes still needed) in step.

use std::collections::HashMap;

use petgraph::graph::NodeIndex;

use crate::cache::ActionEntry;
use crate::graph::plan::Plan;
use crate::graph::reason::Reason;
use crate::record::cost::Usage;
use crate::sys::digest::Digest;

/// What a started piece of work holds a slot of: local workers, a cloud provider's concurrency, the remote
/// cache's look-ups. Waiting for a shard holds none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pool {
    /// The `-j` local workers.
    Local,
    /// A cloud provider's concurrent requests (`[providers.NAME] concurrency`), by its name.
    Provider(String),
    /// Remote cache look-ups in flight.
    Remote,
    /// Waiting for other shards: no limit, as a waiting node holds no thread (one polls for them all).
    Shards,
}

/// Where a node stands.
#[derive(Debug)]
pub enum State {
    /// Its inputs are not all finished.
    Waiting,
    /// No target needs it.
    NotWanted,
    /// It missed the local cache; the remote cache is to be asked (`asking` once the look-up runs).
    LookUp { key: Digest, asking: bool },
    /// No cache has it: it waits for a slot of its pool (its job is made when it starts, so a long queue
    /// holds keys, not jobs).
    Queued { key: Digest, reason: Reason },
    /// Another node with the same key is queued or running; this one takes its result.
    Twin { key: Digest, reason: Reason },
    /// Another shard builds it; it is taken from the remote cache when published, else built here.
    FromShard { key: Digest, reason: Reason },
    Running {
        key: Digest,
        reason: Reason,
        pool: Pool,
    },
    /// Finished: `ran` holds why it ran in this build, `None` when a cache already had it.
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

impl State {
    /// True for the states a node ends a build in.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            State::NotWanted
                | State::Done { .. }
                | State::WouldRun { .. }
                | State::Failed { .. }
                | State::Skipped
        )
    }

    /// True when the nodes that read this one may go on: it finished, or (dry run) would have.
    pub fn lets_readers_go(&self) -> bool {
        matches!(self, State::Done { .. } | State::WouldRun { .. })
    }

    /// The pool slot a node in this state holds, if any.
    fn slot(&self) -> Option<Pool> {
        match self {
            State::Running { pool, .. } => Some(pool.clone()),
            State::LookUp { asking: true, .. } => Some(Pool::Remote),
            State::FromShard { .. } => Some(Pool::Shards),
            _ => None,
        }
    }
}

/// Every node's state, and the counts kept with them.
pub struct States {
    states: Vec<State>,
    /// Slots in use, by pool.
    in_use: HashMap<Pool, usize>,
    /// Nodes some target needs (all but the `NotWanted`).
    needed: usize,
    /// Needed nodes in a final state.
    finished: usize,
}

/// What a state change did, for the progress bar.
pub struct Change {
    /// The node started or stopped running.
    pub started: bool,
    pub stopped: bool,
    /// The node reached a final state (it was needed and was not final before).
    pub finished: bool,
}

impl States {
    /// `count` nodes, all waiting.
    pub fn new(count: usize) -> States {
        States {
            states: (0..count).map(|_| State::Waiting).collect(),
            in_use: HashMap::new(),
            needed: count,
            finished: 0,
        }
    }

    /// Adds `count` waiting nodes (a chapter's slides, once known).
    pub fn grow(&mut self, count: usize) {
        self.states.extend((0..count).map(|_| State::Waiting));
        self.needed += count;
    }

    pub fn get(&self, node: NodeIndex) -> &State {
        &self.states[node.index()]
    }

    /// The one way a node's state changes: returns the old state and keeps the counts.
    pub fn set(&mut self, node: NodeIndex, state: State) -> (State, Change) {
        let old = std::mem::replace(&mut self.states[node.index()], state);
        let new = &self.states[node.index()];
        if let Some(pool) = old.slot() {
            *self.in_use.get_mut(&pool).expect("a held slot was counted") -= 1;
        }
        if let Some(pool) = new.slot() {
            *self.in_use.entry(pool).or_default() += 1;
        }
        match (&old, new) {
            (State::NotWanted, State::NotWanted) => {}
            (State::NotWanted, _) => self.needed += 1,
            (_, State::NotWanted) => self.needed -= 1,
            _ => {}
        }
        let was_final = old.is_final() && !matches!(old, State::NotWanted);
        let is_final = new.is_final() && !matches!(new, State::NotWanted);
        match (was_final, is_final) {
            (false, true) => self.finished += 1,
            (true, false) => self.finished -= 1,
            _ => {}
        }
        let change = Change {
            started: matches!(new, State::Running { .. }) && !matches!(old, State::Running { .. }),
            stopped: matches!(old, State::Running { .. }) && !matches!(new, State::Running { .. }),
            finished: !was_final && is_final,
        };
        (old, change)
    }

    /// Slots of `pool` in use.
    pub fn in_use(&self, pool: &Pool) -> usize {
        self.in_use.get(pool).copied().unwrap_or(0)
    }

    /// True when no work is in flight in any pool.
    pub fn nothing_in_flight(&self) -> bool {
        self.in_use.values().all(|&n| n == 0)
    }

    /// Nodes some target needs.
    pub fn needed(&self) -> usize {
        self.needed
    }

    /// Every state, the build over.
    pub fn into_vec(self) -> Vec<State> {
        self.states
    }
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
    pub fn entry_of(
        &self,
        kind: crate::graph::node::NodeKind,
        at: crate::graph::node::Address,
    ) -> Option<&ActionEntry> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_every_change() {
        let mut states = States::new(3);
        let (a, b) = (NodeIndex::new(0), NodeIndex::new(1));
        states.set(NodeIndex::new(2), State::NotWanted);
        assert_eq!(states.needed(), 2);
        let running = State::Running {
            key: crate::sys::digest::Digest::of(b"k"),
            reason: Reason::New,
            pool: Pool::Local,
        };
        let (_, change) = states.set(a, running);
        assert!(change.started && !change.finished);
        assert_eq!(states.in_use(&Pool::Local), 1);
        assert!(!states.nothing_in_flight());
        let (_, change) = states.set(a, State::Skipped);
        assert!(change.stopped && change.finished);
        assert_eq!(states.in_use(&Pool::Local), 0);
        assert!(states.nothing_in_flight());
        states.set(b, State::Skipped);
        assert_eq!(states.finished, 2);
        // Taking a finished node back (a script that turned out unreadable) does not count it twice.
        let (_, change) = states.set(
            b,
            State::Failed {
                key: crate::sys::digest::Digest::of(b"k"),
                reason: Reason::New,
                error: "x".into(),
            },
        );
        assert!(!change.finished);
        assert_eq!(states.finished, 2);
    }
}
