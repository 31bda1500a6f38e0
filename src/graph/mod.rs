//! The build graph: node kinds and addresses, the plan (a petgraph DAG), the targets a command line names,
//! each node's signature (its key and readable fields), and why a node runs.

pub mod node;
pub mod plan;
pub mod reason;
pub mod signature;
pub mod target;
