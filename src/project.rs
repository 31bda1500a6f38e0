//! A project: a Videofile and its lecture, and the build of it from start (lock, tools) to end (outputs,
//! report).

use std::path::Path;

use crate::engine::{self, Options, Outcome};
use crate::lecture::{self, ChapterSource};
use crate::output;
use crate::progress::Progress;
use crate::report::Report;
use crate::steps::{Context, StepError, Tools};
use crate::store::{Store, StoreError};
use crate::videofile::{ConfigError, Videofile};

/// Why a build could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A program vbuild needs is missing or broken.
    #[error(transparent)]
    Tools(#[from] StepError),
}

impl Error {
    /// The process exit code for this error: 2 for configuration problems, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Store(_) | Error::Tools(_) => 1,
        }
    }
}

/// A loaded project.
pub struct Project {
    pub videofile: Videofile,
    pub chapters: Vec<ChapterSource>,
}

/// A finished build: the graph with every node's state, and the report written for it.
pub struct Build {
    pub outcome: Outcome,
    pub report: Report,
}

impl Project {
    /// Reads and validates the Videofile and its sources.
    pub fn load(videofile: &Path) -> Result<Project, Error> {
        let videofile = Videofile::load(videofile)?;
        let chapters = lecture::load(&videofile)?;
        Ok(Project {
            videofile,
            chapters,
        })
    }

    /// The project's cache.
    pub fn store(&self) -> Result<Store, Error> {
        Ok(Store::open(&self.videofile.cache_dir())?)
    }

    /// Builds the course (or, with `dry_run`, finds what would run without writing anything).
    pub fn build(&self, options: &Options, progress: &Progress) -> Result<Build, Error> {
        let store = self.store()?;
        let _lock = store.lock()?;
        if !options.dry_run {
            store.clear_scratch()?;
        }
        let tools = Tools::detect()?;
        let ctx = Context {
            videofile: &self.videofile,
            chapters: &self.chapters,
            tools: &tools,
        };
        let outcome = engine::build(&ctx, &store, options, progress);
        progress.finish();
        let mut report = Report::new(&outcome, options.dry_run);
        if !options.dry_run {
            report.outputs =
                output::materialise(&self.videofile, &self.chapters, &outcome, &store)?;
            if outcome.entry(outcome.plan.course_video).is_some() {
                report.course_video =
                    Some(output::course_base(&self.videofile).with_extension("mp4"));
            }
            report.save(store.root())?;
        }
        Ok(Build { outcome, report })
    }

    /// Removes the files the last build wrote to the output folder; the cache stays, so the next build
    /// restores them without running anything. Returns how many files were removed.
    pub fn clean(&self) -> Result<usize, Error> {
        let store = self.store()?;
        let _lock = store.lock()?;
        Ok(output::clean(&self.videofile, &store)?)
    }
}
