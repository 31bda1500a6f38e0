//! vbuild turns lectures written in Markdown into narrated videos the way `make` turns sources into binaries.
//!
//! The folders are the layers, from the command line down to the operating system:
//! - [`cli`]: the command line, one module per command, and the views it prints;
//! - [`project`]: a Videofile ([`config`]) and its lecture ([`lecture`]), built from start to end;
//! - [`graph`]: the DAG of content-addressed nodes, their keys, targets and why each runs;
//! - [`engine`]: the scheduler that runs the nodes' [`steps`] over the [`cache`];
//! - [`steps`]: one module per node kind, each calling [`providers`] (script writers, voices, pictures) and
//!   [`media`] (slides, clips, audio, MP4, subtitles);
//! - [`record`]: the build report, the history of builds and what providers cost;
//! - [`outputs`]: the output folder, copied out of the cache under readable names;
//! - [`sys`]: what every layer uses: atomic files, secrets kept out of text, interrupts, the allocator.

pub mod cache;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod graph;
pub mod lecture;
pub mod media;
pub mod outputs;
pub mod project;
pub mod providers;
pub mod record;
pub mod steps;
pub mod sys;
