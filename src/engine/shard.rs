//! Sharded builds: each of `count` machines builds the expensive nodes whose keys fall to it and takes the
//! others from the remote cache as the other shards publish them.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use petgraph::graph::NodeIndex;

use crate::cache::ActionEntry;
use crate::graph::node::{Address, Edition, NodeKind};
use crate::graph::target::Target;
use crate::sys::digest::Digest;

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
            at: Address::Course(Edition::SOURCE),
            text: "shard".into(),
        }
    }
}

/// A node waiting for another shard to publish it.
pub(super) struct Wait {
    pub node: NodeIndex,
    pub key: Digest,
    pub kind: NodeKind,
}

/// How often the waited keys are asked for again.
const POLL: Duration = Duration::from_millis(200);

/// Waits for other shards with one thread, however many nodes wait: each round asks `look_up` once for every
/// waiting node, then sleeps [`POLL`]. A node leaves with its entry when it has been published, or with
/// `None` once `wait` has passed since it came, the remote is off, or `stopped` says the build stops.
/// Returns when `waits` is closed and no node waits.
pub(super) fn poll(
    waits: &Receiver<Wait>,
    look_up: &dyn Fn(&Digest, NodeKind) -> Option<ActionEntry>,
    remote_on: &dyn Fn() -> bool,
    wait: Duration,
    stopped: &dyn Fn() -> bool,
    answer: &dyn Fn(NodeIndex, Option<ActionEntry>),
) {
    let mut waiting: Vec<(Wait, Instant)> = Vec::new();
    loop {
        if waiting.is_empty() {
            match waits.recv() {
                Ok(first) => waiting.push((first, Instant::now() + wait)),
                Err(_) => return,
            }
        }
        waiting.extend(waits.try_iter().map(|w| (w, Instant::now() + wait)));
        waiting.retain(|(w, deadline)| {
            let done = if stopped() || !remote_on() {
                Some(None)
            } else {
                match look_up(&w.key, w.kind) {
                    Some(entry) => Some(Some(entry)),
                    None if Instant::now() >= *deadline => Some(None),
                    None => None,
                }
            };
            match done {
                Some(entry) => {
                    answer(w.node, entry);
                    false
                }
                None => true,
            }
        });
        if !waiting.is_empty() {
            std::thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::mpsc::channel;

    use super::*;
    use crate::sys::small_map::SmallMap;

    fn entry(key: &Digest) -> ActionEntry {
        ActionEntry {
            key: key.clone(),
            node: "audio:01-x/01".into(),
            outputs: SmallMap::new(),
            meta: SmallMap::new(),
            seconds: 0.0,
            bytes: None,
            usage: Default::default(),
            signature: Vec::new(),
        }
    }

    #[test]
    fn one_thread_waits_for_every_node_until_it_is_published_or_its_time_is_up() {
        let (waits, waited) = channel();
        let keys: Vec<Digest> = (0..40)
            .map(|i| Digest::from_hash(blake3::hash(&[i])))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let node = NodeIndex::new(i);
            waits
                .send(Wait {
                    node,
                    key: key.clone(),
                    kind: NodeKind::Audio,
                })
                .unwrap();
        }
        drop(waits);
        // Even nodes are published after their second look-up; odd ones never.
        let asked: Mutex<HashMap<Digest, usize>> = Mutex::default();
        let look_up = |key: &Digest, _| {
            let mut asked = asked.lock().unwrap();
            let count = asked.entry(key.clone()).or_default();
            *count += 1;
            let even = keys.iter().position(|k| k == key).unwrap() % 2 == 0;
            (even && *count >= 2).then(|| entry(key))
        };
        let answers: Mutex<Vec<(usize, bool)>> = Mutex::default();
        let answer = |node: NodeIndex, entry: Option<ActionEntry>| {
            answers
                .lock()
                .unwrap()
                .push((node.index(), entry.is_some()));
        };
        let started = Instant::now();
        poll(
            &waited,
            &look_up,
            &|| true,
            Duration::from_millis(500),
            &|| false,
            &answer,
        );
        let mut answers = answers.into_inner().unwrap();
        answers.sort();
        let expected: Vec<(usize, bool)> = (0..40).map(|i| (i, i % 2 == 0)).collect();
        assert_eq!(answers, expected);
        let asked = asked.into_inner().unwrap();
        assert!(keys.iter().step_by(2).all(|k| asked[k] == 2), "{asked:?}");
        // The others were asked once a round until their half second was up: 3 or 4 rounds of 200 ms.
        assert!(
            keys.iter()
                .skip(1)
                .step_by(2)
                .all(|k| (3..=4).contains(&asked[k])),
            "{asked:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
    }

    #[test]
    fn a_stopped_build_or_a_remote_that_went_off_ends_every_wait_at_once() {
        for (remote_on, stopped) in [(false, false), (true, true)] {
            let (waits, waited) = channel();
            let key = Digest::from_hash(blake3::hash(b"k"));
            waits
                .send(Wait {
                    node: NodeIndex::new(0),
                    key,
                    kind: NodeKind::Clip,
                })
                .unwrap();
            drop(waits);
            let answers = Mutex::new(Vec::new());
            let started = Instant::now();
            poll(
                &waited,
                &|_, _| panic!("nothing is asked"),
                &|| remote_on,
                Duration::from_secs(60),
                &|| stopped,
                &|node, entry| answers.lock().unwrap().push((node, entry.is_some())),
            );
            assert_eq!(answers.into_inner().unwrap(), [(NodeIndex::new(0), false)]);
            assert!(started.elapsed() < Duration::from_secs(1));
        }
    }
}
