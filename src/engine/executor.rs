//! Running work: a node's job in a scratch folder with its outputs moved into the cache (and published to
//! the remote), remote look-ups, and waits for other shards. The scheduler hands work to a [`Runner`]; tests
//! hand it one with fake jobs.

use std::time::{Duration, Instant};

use crate::cache::remote::Remote;
use crate::cache::{ActionEntry, Store};
use crate::graph::node::NodeKind;
use crate::steps::{Prepared, StepError};
use crate::sys::digest::Digest;
use crate::sys::small_map::SmallMap;

/// What the scheduler asks of the world. Every method may run on any thread.
pub trait Runner: Sync {
    /// Runs the job of node `name` (key `key`) and records its cache entry before returning it, so a build
    /// killed at any moment keeps every node that finished.
    fn run(&self, name: &str, key: &Digest, prepared: Prepared) -> Result<ActionEntry, StepError>;

    /// True while a remote cache can be asked.
    fn has_remote(&self) -> bool {
        false
    }

    /// The remote cache's entry for `key` (checked out into the local cache), if it has one.
    fn look_up(&self, _key: &Digest, _kind: NodeKind) -> Option<ActionEntry> {
        None
    }

    /// How long a node waits for another shard to publish it before it is built here.
    fn shard_wait(&self) -> Duration {
        Duration::ZERO
    }
}

/// The real runner: jobs in scratch folders of the local cache, and the remote cache if there is one.
pub struct Executor<'a> {
    pub store: &'a Store,
    pub remote: Option<&'a Remote>,
    pub shard_wait: Duration,
}

impl Runner for Executor<'_> {
    fn run(&self, name: &str, key: &Digest, prepared: Prepared) -> Result<ActionEntry, StepError> {
        let started = Instant::now();
        let scratch = self.store.scratch()?;
        let produced = prepared.job.run(self.store, scratch.path())?;
        let mut outputs = SmallMap::new();
        let mut bytes = 0;
        for (output, path) in produced.files {
            bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
            outputs.insert(output.to_string(), self.store.put_file(&path)?);
        }
        let entry = ActionEntry {
            key: key.clone(),
            node: name.to_string(),
            outputs,
            meta: produced.meta,
            seconds: started.elapsed().as_secs_f64(),
            bytes: Some(bytes),
            usage: produced.usage,
            signature: prepared.signature.fields().to_vec(),
        };
        self.store.record(&entry)?;
        if let Some(remote) = self.remote {
            remote.publish(&entry, self.store);
        }
        // The signature stays in the entry's file (it explains the next change); the build holds the rest.
        Ok(ActionEntry {
            signature: Vec::new(),
            ..entry
        })
    }

    fn has_remote(&self) -> bool {
        self.remote.is_some_and(Remote::is_on)
    }

    fn look_up(&self, key: &Digest, kind: NodeKind) -> Option<ActionEntry> {
        self.remote?.fetch(key, self.store, kind)
    }

    fn shard_wait(&self) -> Duration {
        self.shard_wait
    }
}

/// Runs `work`, turning a panic into its message.
pub fn catch_panic<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
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
