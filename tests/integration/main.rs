//! vbuild's integration tests, one binary (one link, one run): the real `vbuild` on real projects in
//! temporary folders, with real media, servers and programs. Each module is one area of behaviour.

mod author;
mod build;
mod cli;
mod cloud;
mod common;
mod config;
mod dialects;
mod languages;
mod platform;
mod properties;
mod remote;
mod safety;
mod serve;
mod slides;
mod speech;
mod trust;
