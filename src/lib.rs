//! vbuild turns lectures written in Markdown into narrated videos the way `make` turns sources into binaries.
//!
//! A [`project::Project`] is a `Videofile` ([`videofile`]) and its Markdown ([`lecture`]). Building it walks a
//! DAG ([`plan`]) of content-addressed nodes ([`signature`], [`steps`]) with a scheduler ([`engine`]) over a
//! local cache ([`store`]); media work lives in [`media`], script and speech providers in [`providers`].

pub mod allocator;
pub mod apis;
pub mod config;
pub mod cost;
pub mod describe;
pub mod dialect;
pub mod digest;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod facts;
pub mod files;
pub mod gc;
pub mod history;
pub mod init;
pub mod interrupt;
pub mod language;
pub mod last_keys;
pub mod lecture;
pub mod logging;
pub mod markdown;
pub mod math;
pub mod media;
pub mod node;
pub mod output;
pub mod plan;
pub mod probes;
pub mod progress;
pub mod project;
pub mod pronounce;
pub mod providers;
pub mod reason;
pub mod remote;
pub mod report;
pub mod script;
pub mod seal;
pub mod secrets;
pub mod sentences;
pub mod serve;
pub mod shown;
pub mod signature;
pub mod size;
pub mod small_map;
pub mod stamp;
pub mod steps;
pub mod store;
pub mod target;
pub mod verify;
pub mod videofile;
pub mod watch;
