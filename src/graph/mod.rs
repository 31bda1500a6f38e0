//! The build graph: node kinds and addresses, the plan (a petgraph DAG), the targets a command line names,
//! each node's signature (its key and readable fields), why a node runs, the keys of the last build, and the
//! seal that lets a no-op build skip the walk.

pub mod last_keys;
pub mod node;
pub mod plan;
pub mod reason;
pub mod seal;
pub mod signature;
pub mod target;
