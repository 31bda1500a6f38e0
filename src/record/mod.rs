//! What a build leaves behind besides its outputs: the report of every node, the bounded history of builds,
//! the key each node had when it was last built, and what providers consumed and cost.

pub mod cost;
pub mod history;
pub mod last_keys;
pub mod report;
