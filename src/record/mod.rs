//! What a build leaves behind besides its outputs: the report of every node, the bounded history of builds,
//! and what providers consumed and cost.

pub mod cost;
pub mod history;
pub mod report;
