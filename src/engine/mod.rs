//! Building: the scheduler ([`scheduler`]) walks the plan over node states ([`state`]), hands the work to a
//! runner ([`executor`]) and, in a sharded build, takes its share ([`shard`]); the bar on the terminal
//! ([`progress`]), and the seal that tells a no-op build without a walk ([`seal`]).

mod executor;
pub mod progress;
mod scheduler;
pub mod seal;
mod shard;
mod state;

#[cfg(test)]
mod tests;

pub use executor::{Executor, Runner, catch_panic};
pub use shard::Shard;
pub use state::{Outcome, Pool, State};

use crate::cache::Store;
use crate::cache::remote::Remote;
use crate::engine::progress::Progress;
use crate::graph::target::Target;
use crate::record::last_keys::LastKeys;
use crate::steps::Context;
use crate::sys::interrupt;

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Local jobs run at once.
    pub jobs: usize,
    /// Only find out what would run.
    pub dry_run: bool,
    /// After a failure, go on with the nodes that do not depend on it.
    pub keep_going: bool,
    /// What to build; empty means the whole course.
    pub targets: Vec<Target>,
    /// Build only this shard's share of the expensive nodes (needs a remote cache).
    pub shard: Option<Shard>,
    /// Run the nodes the targets name again even where the cache has them (`-B`, as make's).
    pub always: bool,
    /// Write every slide's picture to `OUTPUT/slides/CHAPTER/NN.png` (what `vbuild serve` shows); a build
    /// of image targets writes theirs anyway.
    pub slide_pictures: bool,
}

/// Builds the course described by `ctx` over the local cache `store` (and `remote`, if any), until done or
/// interrupted.
pub fn build(
    ctx: &Context,
    store: &Store,
    remote: Option<&Remote>,
    last_keys: &LastKeys,
    options: &Options,
    progress: &Progress,
) -> Outcome {
    let executor = Executor {
        store,
        remote,
        shard_wait: ctx.videofile.cache.shard_wait,
    };
    scheduler::run(
        ctx,
        store,
        last_keys,
        options,
        progress,
        &executor,
        &interrupt::requested,
    )
}
