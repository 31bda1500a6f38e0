//! Math in a lecture: TeX (`$...$`, `$$...$$`) as the words a narrator says ([`spoken`]) and as the line of
//! Unicode math the slide draws ([`unicode`]).
//!
//! Speech: pulldown-latex turns the TeX into MathML and MathCAT, the engine screen readers (NVDA, JAWS) use
//! for math, reads the MathML in ClearSpeak style ("S sub latency of s equals 1 over ..."). Its rules are
//! compiled into the binary. TeX neither can read is spoken as its letters and words, never its backslashes
//! and braces.

mod speech;
pub mod tree;
mod unicode;

pub use speech::spoken;
pub use unicode::unicode;
