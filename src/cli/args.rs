//! The command line's words: commands, options and targets as clap reads them, and the parsers of their values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::Shard;
use crate::sys::logging::LogFormat;
use crate::sys::{shown, size};

/// What a TARGET may be, for `vbuild --help`.
pub const TARGET_HELP: &str = "\
TARGET (default: course) is one of:
  course                      the course video, subtitles and chapter marks
  CHAPTER, chapter:CHAPTER    a chapter's video and subtitles
  video[:CHAPTER]             the course video, or a chapter's
  subtitles[:CHAPTER]         the course subtitles, or a chapter's
  script:CHAPTER              a chapter's slide script
  audio|image|picture|clip:CHAPTER[/SLIDE]
                              a chapter's narration, slide pictures, generated pictures or clips
  an output file              out/COURSE.mp4, out/chapters/02-x.srt, out/scripts/02-x.json, ...
CHAPTER is a number (2), a slug (linear-regression) or an id (02-linear-regression); SLIDE a number.
`vbuild targets` lists them for this course.";

/// Builds narrated course videos from Markdown lectures, the way make builds binaries.
#[derive(Parser)]
#[command(version, about, after_help = TARGET_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of every command.
#[derive(Args)]
pub struct Global {
    /// Change to DIR before doing anything.
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,
    /// Read FILE as the Videofile.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        default_value = "Videofile",
        global = true
    )]
    pub file: PathBuf,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log lines as text for people or as one JSON object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// Use the Videofile's [profile.NAME] section over its other values (default: $VBUILD_PROFILE).
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,
    /// Set a Videofile value, over the Videofile, its profile and the environment (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE", global = true)]
    pub set: Vec<String>,
}

/// What to build and how: `vbuild [OPTIONS] [TARGET]...` and `vbuild build`.
#[derive(Args)]
pub struct BuildArgs {
    /// What to build (default: course); see TARGET below, or `vbuild targets`.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Build only the editions in LANG (repeatable), of a course with `[course] languages`: `--language fr`.
    #[arg(long = "language", value_name = "LANG")]
    pub languages: Vec<String>,
    /// Run N local jobs at once (default: the number of cores); cloud requests are bounded by each
    /// provider's concurrency instead.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Dry run: list the nodes that would run, why, and what they would cost; write nothing.
    #[arg(short = 'n', long = "dry-run")]
    pub dry_run: bool,
    /// Keep going after a failure with everything that does not depend on it.
    #[arg(short = 'k', long = "keep-going")]
    pub keep_going: bool,
    /// Run the TARGETs' own nodes again even where the cache has them (a fresh script from the model for
    /// one chapter: `vbuild -B script:3`); says what that costs first.
    #[arg(short = 'B', long = "always-make")]
    pub always_make: bool,
    /// Build shard I of N: the expensive nodes whose keys fall to I, published to the remote cache; a final
    /// `vbuild` assembles. E.g. --shard $JOB_COMPLETION_INDEX/4 in a Kubernetes Indexed Job.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// After a build, write its metrics to FILE in the Prometheus text format.
    #[arg(long, value_name = "FILE")]
    pub metrics_file: Option<PathBuf>,
}

/// `-n`: say what would change, change nothing.
#[derive(Args)]
pub struct DryRun {
    /// List what would be done; change nothing.
    #[arg(short = 'n', long = "dry-run")]
    pub dry_run: bool,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Build targets (the default command).
    #[command(after_help = TARGET_HELP)]
    Build(BuildArgs),
    /// Build, then build again whenever a source or the Videofile is saved (Ctrl-C stops).
    #[command(after_help = TARGET_HELP)]
    Watch(BuildArgs),
    /// Build, then serve a review page on 127.0.0.1 (the video with its subtitles and chapters, every slide
    /// with its narration and state, the build's summary and errors), building again on every save.
    #[command(after_help = TARGET_HELP)]
    Serve {
        /// The port to listen on (0: any free one).
        #[arg(long, default_value_t = 8040)]
        port: u16,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// List the targets of this course.
    Targets,
    /// Say why the nodes of TARGET would run now, or why they ran when they last did.
    #[command(after_help = TARGET_HELP)]
    Explain {
        #[arg(value_name = "TARGET", required = true)]
        targets: Vec<String>,
    },
    /// Print the build graph with each node's state (cached, would run).
    #[command(after_help = TARGET_HELP)]
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        #[arg(value_name = "TARGET")]
        targets: Vec<String>,
    },
    /// List past builds.
    Runs,
    /// Print the effective configuration and where each value came from.
    Config,
    /// Print a past build's report (default: the last one).
    Report {
        id: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a Videofile and a sample lecture in DIR (default: here) that build offline.
    Init {
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Write over a Videofile or lecture.md that is already there.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        dry: DryRun,
    },
    /// Remove the cache entries no build needs: neither a full build of the course as it is now (with the
    /// default profile and with --profile's) nor the last build used them. All of them, or those no build used
    /// in DAYS, or the least recently used until the cache fits SIZE; and the files no entry refers to.
    Gc {
        /// Keep the cache at most SIZE (e.g. 500M, 2G).
        #[arg(long, value_name = "SIZE", conflicts_with = "older_than", value_parser = parse_size)]
        max_size: Option<u64>,
        /// Remove entries no build used in the last DAYS days (0 to 36500, fractions allowed).
        #[arg(long, value_name = "DAYS", value_parser = parse_days)]
        older_than: Option<std::time::Duration>,
        #[command(flatten)]
        dry: DryRun,
    },
    /// Remove the files builds wrote to the output folder; the cache stays, so the next build restores them
    /// without running anything.
    Clean {
        #[command(flatten)]
        dry: DryRun,
    },
    /// Look after the local cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Check every piece of the system this course needs (GStreamer and its plugins, the speech engine and
    /// voices, provider keys) and say what installs or sets what is missing.
    Doctor,
}

/// `vbuild cache ...`.
#[derive(Subcommand)]
pub enum CacheCommand {
    /// Check every blob against its hash and every entry against its kind and blobs; exit 1 if anything is
    /// damaged. With --repair, remove what is damaged: the next build runs exactly the nodes it held.
    Verify {
        #[arg(long)]
        repair: bool,
        #[command(flatten)]
        dry: DryRun,
    },
}

/// How `vbuild graph` prints the graph.
#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Json,
    Text,
}

/// A shard I/N for `--shard`.
fn parse_shard(text: &str) -> Result<Shard, String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((index, count)) if index < count => Ok(Shard { index, count }),
        _ => Err(format!(
            "{text:?} is not a shard I/N with 0 <= I < N, e.g. 0/4"
        )),
    }
}

/// A size for `gc --max-size`.
fn parse_size(text: &str) -> Result<u64, String> {
    size::parse(text).ok_or_else(|| format!("{text:?} is not a size such as 500M or 2G"))
}

/// A number of days for `gc --older-than`, as the age it stands for.
fn parse_days(text: &str) -> Result<std::time::Duration, String> {
    const MOST: f64 = 36_500.0;
    let days: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a number of days", shown::value(text)))?;
    if !(0.0..=MOST).contains(&days) {
        return Err(format!(
            "{} days is out of range: give 0 to {MOST} days",
            shown::value(text)
        ));
    }
    Ok(std::time::Duration::from_secs_f64(days * 86_400.0))
}

impl BuildArgs {
    /// True when any target or build option is given.
    pub fn any(&self) -> bool {
        let BuildArgs {
            targets,
            languages,
            jobs,
            dry_run,
            keep_going,
            always_make,
            shard,
            metrics_file,
        } = self;
        !targets.is_empty()
            || !languages.is_empty()
            || jobs.is_some()
            || *dry_run
            || *keep_going
            || *always_make
            || shard.is_some()
            || metrics_file.is_some()
    }
}
