//! Sharded builds: each of `count` machines builds the expensive nodes whose keys fall to it and takes the
//! others from the remote cache as the other shards publish them.

use std::time::{Duration, Instant};

use crate::cache::digest::Digest;
use crate::cache::remote::Remote;
use crate::cache::{ActionEntry, Store};
use crate::graph::node::{Address, NodeKind};
use crate::graph::target::Target;

/// One of `count` machines.
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

    /// Who builds the node with `key`, as a message says it: `2 of 4`.
    pub fn owner_name(&self, key: &Digest) -> String {
        format!("{} of {}", Shard::owner(key, self.count), self.count)
    }

    /// What a shard builds: the expensive kinds (scripts, audio, pictures, images, clips), not the joins.
    pub fn target() -> Target {
        Target {
            kinds: NodeKind::all().filter(|k| k.info().shardable).collect(),
            at: Address::Course,
            text: "shard".into(),
        }
    }
}

/// Polls the remote cache until another shard has published the node with `key`, for at most `wait` (less if
/// the remote fails or `stopped` says so).
pub fn wait_for_other_shard(
    remote: &Remote,
    store: &Store,
    key: &Digest,
    kind: NodeKind,
    wait: Duration,
    stopped: &dyn Fn() -> bool,
) -> Option<ActionEntry> {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline && remote.is_on() && !stopped() {
        if let Some(entry) = remote.fetch(key, store, kind) {
            return Some(entry);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}
