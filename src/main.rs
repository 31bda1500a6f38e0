//! The `vbuild` command line: parses arguments, calls the library, prints the result, and maps errors to exit
//! codes (0 success, 1 build failed, 2 usage or configuration error).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use vbuild::cache::gc;
use vbuild::cli::describe;
use vbuild::cli::doctor;
use vbuild::cli::serve::Server;
use vbuild::engine::progress::Progress;
use vbuild::engine::{Options, Shard};
use vbuild::error::Error;
use vbuild::graph::last_keys::LastKeys;
use vbuild::graph::target::{self, TargetError};
use vbuild::project::{Build, Invocation, Project};
use vbuild::record::history;
use vbuild::sys::logging::{LogFormat, init_logging};
use vbuild::sys::{interrupt, secrets, shown, size};

/// Writes to standard output, redacted as every message is; a reader that went away (`vbuild graph | head`)
/// ends vbuild quietly, as it would end any Unix tool, instead of with a panic.
fn emit(text: std::fmt::Arguments) {
    use std::io::Write;
    let text = secrets::redact(&text.to_string());
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(err) => {
            eprintln!("vbuild: cannot write to standard output: {err}");
            std::process::exit(1);
        }
    }
}

/// `print!` through [`emit`].
macro_rules! out {
    ($($arg:tt)*) => { emit(format_args!($($arg)*)) };
}

/// `println!` through [`emit`].
macro_rules! outln {
    ($($arg:tt)*) => { emit(format_args!("{}\n", format_args!($($arg)*))) };
}

/// What a TARGET may be, for `vbuild --help`.
const TARGET_HELP: &str = "\
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
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(flatten)]
    build: BuildArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Options of every command.
#[derive(Args)]
struct Global {
    /// Change to DIR before doing anything.
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    directory: Option<PathBuf>,
    /// Read FILE as the Videofile.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        default_value = "Videofile",
        global = true
    )]
    file: PathBuf,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log lines as text for people or as one JSON object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    log_format: LogFormat,
    /// Use the Videofile's [profile.NAME] section over its other values (default: $VBUILD_PROFILE).
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
    /// Set a Videofile value, over the Videofile, its profile and the environment (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE", global = true)]
    set: Vec<String>,
}

/// What to build and how: `vbuild [OPTIONS] [TARGET]...` and `vbuild build`.
#[derive(Args)]
struct BuildArgs {
    /// What to build (default: course); see TARGET below, or `vbuild targets`.
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    /// Run N local jobs at once (default: the number of cores); cloud requests are bounded by each
    /// provider's concurrency instead.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Dry run: list the nodes that would run, why, and what they would cost; write nothing.
    #[arg(short = 'n', long = "dry-run")]
    dry_run: bool,
    /// Keep going after a failure with everything that does not depend on it.
    #[arg(short = 'k', long = "keep-going")]
    keep_going: bool,
    /// Run the TARGETs' own nodes again even where the cache has them (a fresh script from the model for
    /// one chapter: `vbuild -B script:3`); says what that costs first.
    #[arg(short = 'B', long = "always-make")]
    always_make: bool,
    /// Build shard I of N: the expensive nodes whose keys fall to I, published to the remote cache; a final
    /// `vbuild` assembles. E.g. --shard $JOB_COMPLETION_INDEX/4 in a Kubernetes Indexed Job.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// After a build, write its metrics to FILE in the Prometheus text format.
    #[arg(long, value_name = "FILE")]
    metrics_file: Option<PathBuf>,
}

/// `-n`: say what would change, change nothing.
#[derive(Args)]
struct DryRun {
    /// List what would be done; change nothing.
    #[arg(short = 'n', long = "dry-run")]
    dry_run: bool,
}

#[derive(Subcommand)]
enum Command {
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
    /// Remove cache entries the last build did not use (all of them, or those older than DAYS, or the least
    /// recently used until the cache fits SIZE), and the files no entry refers to.
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

#[derive(Subcommand)]
enum CacheCommand {
    /// Check every blob against its hash and every entry against its kind and blobs; exit 1 if anything is
    /// damaged. With --repair, remove what is damaged: the next build runs exactly the nodes it held.
    Verify {
        #[arg(long)]
        repair: bool,
        #[command(flatten)]
        dry: DryRun,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
    Text,
}

fn main() -> ExitCode {
    vbuild::sys::allocator::tune();
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    // Options of every command (-C, -f, -q, ...) may come before a command; build options may not.
    if let Some(command) = matches.subcommand_name()
        && cli.build.any()
    {
        let message = if command == "build" {
            "build options (-j, -n, -k, -B, --shard, --metrics-file) and targets go after `build`"
                .to_string()
        } else {
            format!(
                "build options (-j, -n, -k, -B, --shard, --metrics-file) and targets do not go with \
                 `{command}`; run `vbuild {command}` without them"
            )
        };
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    let global = &cli.global;
    let filter = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // The file watcher's own notes (a watch removed from a folder that went away) are not the author's.
    let bars = init_logging(&format!("{filter},notify=warn"), global.log_format);
    if let Some(dir) = &global.directory
        && let Err(err) = std::env::set_current_dir(dir)
    {
        eprintln!("vbuild: cannot change to {}: {err}", dir.display());
        return ExitCode::from(2);
    }
    // Run in a folder inside a course, vbuild works on the course, as cargo and git do.
    let named_file = matches.value_source("file") == Some(clap::parser::ValueSource::CommandLine);
    if !named_file && !matches!(cli.command, Some(Command::Init { .. })) {
        match course_above() {
            Ok(Some(up)) => {
                let shown = cli.global.directory.take().unwrap_or_default().join(&up);
                log::debug!("the course is in {}", shown.display());
                cli.global.directory = Some(shown);
            }
            Ok(None) => {}
            Err(err) => {
                eprintln!("vbuild: cannot look for the Videofile in the folders above: {err}");
                return ExitCode::from(2);
            }
        }
    }
    // A panic on this thread (a bug) ends with a message and exit code 1, like any other failure.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &bars)));
    let Ok(result) = ran else {
        eprintln!("vbuild: internal error (please report it); see the panic message above");
        return ExitCode::from(1);
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            print_error(&err);
            ExitCode::from(err.code())
        }
    }
}

/// An error as one readable message (and its hint), redacted and cut to a readable length.
fn error_text(err: &Error) -> String {
    let shown = |text: &str| shown::message(&secrets::redact(text)).into_owned();
    match err.hint() {
        Some(hint) => format!("{}\n  hint: {}", shown(&err.to_string()), shown(&hint)),
        None => shown(&err.to_string()),
    }
}

/// Prints `err` as vbuild's one line of failure (and its hint).
fn print_error(err: &Error) {
    eprintln!("vbuild: {}", error_text(err));
}

/// Where the nearest Videofile is when there is none here: changes to the folder above that holds one and
/// returns the way there (`..`, `../..`).
fn course_above() -> std::io::Result<Option<PathBuf>> {
    if Path::new("Videofile").exists() {
        return Ok(None);
    }
    let here = std::env::current_dir()?;
    let mut up = PathBuf::new();
    for folder in here.ancestors().skip(1) {
        up.push("..");
        if folder.join("Videofile").is_file() {
            std::env::set_current_dir(folder)?;
            return Ok(Some(up));
        }
    }
    Ok(None)
}

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

fn parse_size(text: &str) -> Result<u64, String> {
    vbuild::sys::size::parse(text)
        .ok_or_else(|| format!("{text:?} is not a size such as 500M or 2G"))
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

/// Read-only options for the commands that only look (targets, explain, graph): a dry run of `targets`.
fn look(project: &Project, targets: &[String]) -> Result<Options, Error> {
    Ok(Options {
        jobs: 1,
        dry_run: true,
        keep_going: true,
        targets: project.targets(targets)?,
        shard: None,
        always: false,
        slide_pictures: false,
    })
}

fn run(cli: &Cli, bars: &indicatif::MultiProgress) -> Result<u8, Error> {
    if let Some(Command::Init { dir, force, dry }) = &cli.command {
        let written = vbuild::cli::init::scaffold(dir, dry.dry_run, *force)?;
        let verb = if dry.dry_run { "would write" } else { "wrote" };
        for path in written {
            outln!("vbuild: {verb} {}", shown_path(cli, &path));
        }
        if !dry.dry_run {
            match shown_path(cli, dir) {
                here if here.is_empty() => outln!(
                    "vbuild: a course is ready in this folder ({}); build it with `vbuild`",
                    std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_default()
                ),
                folder => outln!(
                    "vbuild: a course is ready in {folder}; build it with `vbuild -C {folder}`"
                ),
            }
        }
        return Ok(0);
    }
    let invocation = Invocation {
        profile: cli.global.profile.clone(),
        flags: cli.global.set.clone(),
        environment: std::env::vars().collect(),
        ignore_profile_variable: false,
    };
    match &cli.command {
        Some(Command::Watch(args)) => return watch(cli, args, bars, &invocation, None),
        Some(Command::Serve { port, open, build }) => {
            return serve(cli, build, bars, &invocation, *port, *open);
        }
        _ => {}
    }
    let project = Project::load(&cli.global.file, &invocation)?;
    let cache_dir = project.videofile.cache_dir();
    match cli.command.as_ref() {
        None => build(cli, &cli.build, &project, bars),
        Some(Command::Build(args)) => build(cli, args, &project, bars),
        Some(Command::Targets) => {
            let built = project.build(&look(&project, &[])?, &Progress::hidden())?;
            out!("{}", list_targets(&project, &built));
            Ok(0)
        }
        Some(Command::Explain { targets }) => {
            let history = history::reports(&cache_dir);
            let options = look(&project, targets)?;
            let built = project.build(&options, &Progress::hidden())?;
            out!(
                "{}",
                describe::explain(&built.report, &options.targets, built.walked(), &history)
            );
            Ok(0)
        }
        Some(Command::Graph { format, targets }) => {
            let built = project.build(&look(&project, targets)?, &Progress::hidden())?;
            match format {
                GraphFormat::Dot => out!("{}", describe::graph_dot(built.walked())),
                GraphFormat::Text => out!("{}", describe::graph_text(built.walked())),
                GraphFormat::Json => {
                    outln!("{}", describe::graph_json(&built.report, built.walked()))
                }
            }
            Ok(0)
        }
        Some(Command::Config) => {
            out!("{}", describe::config(&project.videofile));
            Ok(0)
        }
        Some(Command::Runs) => {
            out!("{}", describe::runs(&history::stats(&cache_dir)));
            Ok(0)
        }
        Some(Command::Report { id, json }) => {
            let found = match id {
                Some(id) => history::reports(&cache_dir)
                    .into_iter()
                    .find(|r| &r.id == id || r.id.starts_with(id.as_str())),
                None => history::latest(&cache_dir),
            };
            let Some(report) = found else {
                eprintln!(
                    "vbuild: no build report {}; `vbuild runs` lists them",
                    id.as_deref().unwrap_or("yet")
                );
                return Ok(2);
            };
            if *json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                out!("{}", describe::report(&report));
            }
            Ok(0)
        }
        Some(Command::Init { .. } | Command::Watch(_) | Command::Serve { .. }) => {
            unreachable!("init, watch and serve run before a project is loaded")
        }
        Some(Command::Gc {
            max_size,
            older_than,
            dry,
        }) => {
            let dry_run = dry.dry_run;
            let policy = match (max_size, older_than) {
                (Some(bytes), _) => gc::Policy::MaxSize { bytes: *bytes },
                (None, Some(age)) => gc::Policy::OlderThan { age: *age },
                (None, None) => gc::Policy::Unused,
            };
            // What a full build needs now, with the default profile and with the one asked for.
            let mut live = project.needed_keys()?;
            let default = Invocation {
                profile: None,
                ignore_profile_variable: true,
                ..invocation.clone()
            };
            live.extend(Project::load(&cli.global.file, &default)?.needed_keys()?);
            let store = project.store(!dry_run)?;
            let _lock = if dry_run { None } else { Some(store.lock()?) };
            let reports = history::reports(&cache_dir);
            // What the last build used stays too, whatever it was built with.
            live.extend(LastKeys::load(&cache_dir).keys());
            let keep = project.videofile.cache.reports;
            let summary = gc::collect(&store, &reports, &live, policy, keep, dry_run)?;
            for stranger in &summary.strangers {
                log::warn!(
                    "left {}: vbuild did not make it (remove it yourself if it is not needed)",
                    shown_path(cli, stranger)
                );
            }
            let verb = if dry_run {
                for node in &summary.removed_nodes {
                    outln!("would remove the cache entry of {node}");
                }
                for path in &summary.removed_files {
                    outln!("would remove {}", shown_path(cli, path));
                }
                "would remove"
            } else {
                "removed"
            };
            outln!(
                "vbuild: gc {verb} {} entries, {} files ({}) and {} build reports; kept {} entries ({})",
                summary.entries_removed,
                summary.blobs_removed,
                size::human(summary.bytes_freed),
                summary.reports_removed,
                summary.entries_kept,
                size::human(summary.bytes_kept)
            );
            Ok(0)
        }
        Some(Command::Cache {
            command: CacheCommand::Verify { repair, dry },
        }) => {
            let repair = *repair && !dry.dry_run;
            // Looked at as it is (a repair takes the build lock first): damaged folders are found, not fixed.
            let store = project.store(false)?;
            let _lock = if repair && store.root().is_dir() {
                Some(store.lock()?)
            } else {
                None
            };
            let found = vbuild::cache::verify::verify(store.root(), repair)?;
            if found.absent {
                outln!(
                    "vbuild: cache verify: there is no cache at {} yet; nothing to check",
                    shown_path(cli, store.root())
                );
                return Ok(0);
            }
            for stranger in &found.strangers {
                outln!(
                    "not vbuild's: {}: left in place (remove it yourself if it is not needed)",
                    shown_path(cli, stranger)
                );
            }
            for problem in &found.problems {
                outln!(
                    "damaged: {}: {}",
                    shown_path(cli, &problem.path),
                    problem.what
                );
            }
            let what = match (found.problems.len(), repair) {
                (0, _) => "the cache is sound".to_string(),
                (n, true) => format!("{n} problems, removed; the next build runs what they held"),
                (n, false) => format!(
                    "{n} problems; `vbuild cache verify --repair` removes them (the next build runs what they held)"
                ),
            };
            outln!(
                "vbuild: cache verify: {} entries and {} blobs checked; {what}",
                found.entries,
                found.blobs
            );
            Ok(u8::from(!found.problems.is_empty() && !repair))
        }
        Some(Command::Clean { dry }) => {
            let removed = project.clean(dry.dry_run)?;
            let out = shown_path(cli, &project.videofile.output_dir());
            if dry.dry_run {
                for path in &removed {
                    outln!("would remove {}", shown_path(cli, path));
                }
                outln!(
                    "vbuild: clean would remove {} files from {out}",
                    removed.len()
                );
            } else {
                outln!("vbuild: removed {} files from {out}", removed.len());
            }
            Ok(0)
        }
        Some(Command::Doctor) => {
            let findings = doctor::examine(&project);
            out!("{}", doctor::report(&findings));
            Ok(if findings.iter().any(|f| f.fix.is_some()) {
                2
            } else {
                0
            })
        }
    }
}

/// The error of a command given with build options (`vbuild -j 4 targets`, `vbuild 2 graph`).
fn command_with_build_options(command: &str) -> Error {
    Error::Target(TargetError::new(
        command,
        format!(
            "`{command}` is a command, and build options (-j, -n, -k, -B, --shard, --metrics-file) do not go with it; run `vbuild {command}` without them"
        ),
    ))
}

impl BuildArgs {
    /// True when any target or build option is given.
    fn any(&self) -> bool {
        let BuildArgs {
            targets,
            jobs,
            dry_run,
            keep_going,
            always_make,
            shard,
            metrics_file,
        } = self;
        !targets.is_empty()
            || jobs.is_some()
            || *dry_run
            || *keep_going
            || *always_make
            || shard.is_some()
            || metrics_file.is_some()
    }
}

/// A target that is no target but near a command's name (`vbuild tragets`) is said to be that command.
fn suggest_command(err: Error, commands: &[String]) -> Error {
    match err {
        Error::Target(mut err) if err.hint.is_none() => {
            if let Some(command) = target::nearest(&err.target, commands.iter().map(String::as_str))
            {
                err.hint = Some(format!("did you mean the command `vbuild {command}`?"));
            }
            Error::Target(err)
        }
        err => err,
    }
}

/// Builds (or dry-runs) what `args` ask for and prints the summary.
fn build(
    cli: &Cli,
    args: &BuildArgs,
    project: &Project,
    bars: &indicatif::MultiProgress,
) -> Result<u8, Error> {
    build_with(cli, args, project, bars, false).map(|(code, _)| code)
}

/// [`build`], writing the slide pictures too if `slide_pictures`; returns the exit code and the build (none
/// for a dry run).
fn build_with(
    cli: &Cli,
    args: &BuildArgs,
    project: &Project,
    bars: &indicatif::MultiProgress,
    slide_pictures: bool,
) -> Result<(u8, Option<Build>), Error> {
    // `vbuild -j 4 targets`: a command after build options is read as a target; say what happened.
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    if let Some(command) = args.targets.iter().find(|t| commands.contains(t)) {
        return Err(command_with_build_options(command));
    }
    let options = Options {
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        dry_run: args.dry_run,
        keep_going: args.keep_going || args.dry_run,
        targets: project
            .targets(&args.targets)
            .map_err(|err| suggest_command(err, &commands))?,
        shard: args.shard,
        always: args.always_make,
        slide_pictures,
    };
    let stats = history::stats(&project.videofile.cache_dir());
    if options.always && !options.dry_run {
        // What -B asks for again, and what it costs, is said before anything runs.
        let plan = Options {
            dry_run: true,
            keep_going: true,
            ..options.clone()
        };
        let looked = project.build(&plan, &Progress::hidden())?;
        eprint!("{}", describe::asked_again(&looked.report));
    }
    interrupt::install();
    let hidden = cli.global.quiet || !std::io::stderr().is_terminal();
    let progress = Progress::new(bars, hidden);
    let per_kind = (stats.kinds.iter())
        .filter_map(|(kind, times)| Some((kind.clone(), times.average_seconds()?)))
        .collect();
    progress.expect(per_kind, options.jobs);
    let built = project.build(&options, &progress)?;
    if options.dry_run {
        out!("{}", describe::dry_run(&built.report, &stats, options.jobs));
        return Ok((0, None));
    }
    if let Some(path) = &args.metrics_file {
        std::fs::write(path, built.report.prometheus())
            .map_err(Error::write("the metrics file", path))?;
    }
    print_summary(cli, &project.videofile.project_dir, &built);
    let code = match built.report.result() {
        "ok" => 0,
        "interrupted" => interrupt::EXIT_CODE,
        _ => 1,
    };
    Ok((code, Some(built)))
}

/// `vbuild watch` and `vbuild serve`: builds, then again after every save of a source or the Videofile, until
/// Ctrl-C; with a server, each build's review is shown on its page.
fn watch(
    cli: &Cli,
    args: &BuildArgs,
    bars: &indicatif::MultiProgress,
    invocation: &Invocation,
    server: Option<&Server>,
) -> Result<u8, Error> {
    if args.dry_run || args.shard.is_some() {
        return Err(Error::Target(TargetError::new(
            if args.dry_run { "-n" } else { "--shard" },
            "watch and serve build on every save; -n and --shard go with a single `vbuild` build"
                .into(),
        )));
    }
    interrupt::install();
    let project_dir = vbuild::config::project_dir_of(&cli.global.file);
    let mut loaded = Some(Project::load(&cli.global.file, invocation));
    // vbuild's own folders, as the Videofile names them now, never wake a build.
    let out = match &loaded {
        Some(Ok(project)) => project.videofile.output_dir(),
        _ => project_dir.join("out"),
    };
    let cache = project_dir.join(vbuild::config::CACHE_FOLDER);
    let watcher = vbuild::cli::watch::Watcher::new(&project_dir, vec![cache, out.clone()])?;
    let code = vbuild::cli::watch::rebuild_on_save(&watcher, || {
        let project = loaded
            .take()
            .unwrap_or_else(|| Project::load(&cli.global.file, invocation));
        if let Some(server) = server {
            server.building();
        }
        let built = project.and_then(|project| {
            let (code, built) = build_with(cli, args, &project, bars, server.is_some())?;
            if let (Some(server), Some(built)) = (server, &built) {
                let review = vbuild::cli::serve::review::review(&project, built);
                server.show(review, project.videofile.output_dir());
            }
            Ok(code)
        });
        match built {
            Ok(code) => code != interrupt::EXIT_CODE,
            Err(err) => {
                print_error(&err);
                if let Some(server) = server {
                    let errors = vec![error_text(&err)];
                    server.show(
                        vbuild::cli::serve::Review {
                            errors,
                            ..Default::default()
                        },
                        out.clone(),
                    );
                }
                true
            }
        }
    });
    Ok(code)
}

/// `vbuild serve`: starts the review page's server, says where it is (and opens it if asked), then watches.
fn serve(
    cli: &Cli,
    args: &BuildArgs,
    bars: &indicatif::MultiProgress,
    invocation: &Invocation,
    port: u16,
    open: bool,
) -> Result<u8, Error> {
    let server = Server::start(port)?;
    outln!(
        "vbuild: the review page is at {} (Ctrl-C stops)",
        server.url
    );
    if open {
        let opened = std::process::Command::new("xdg-open")
            .arg(&server.url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Err(err) = opened {
            log::warn!(
                "cannot open a browser ({err}); open {} yourself",
                server.url
            );
        }
    }
    watch(cli, args, bars, invocation, Some(&server))
}

fn print_summary(cli: &Cli, project_dir: &Path, built: &Build) {
    let report = &built.report;
    // -q: only errors; a build that went well says nothing.
    if cli.global.quiet && report.result() == "ok" {
        return;
    }
    let failures: Vec<&str> = report.failures().map(|f| f.name.as_str()).collect();
    for failure in report.failures() {
        eprintln!(
            "vbuild: failed: {}: {}",
            failure.name,
            failure.error.as_deref().unwrap_or("")
        );
    }
    if let Some(error) = &report.error {
        eprintln!("vbuild: failed: {error}");
    }
    // The course video, or for a partial build its first video or file; a build that did not finish says
    // what stopped it instead (what it did write is in the report).
    let first_of =
        |ext: &str| (report.outputs.iter()).find(|p| p.extension().is_some_and(|e| e == ext));
    let first_video = first_of("mp4").or_else(|| first_of("png"));
    let output = match report.result() {
        "interrupted" => "interrupted; run vbuild again to go on where it stopped".to_string(),
        "failed" => match failures.as_slice() {
            [] => "failed writing the outputs (see above)".to_string(),
            [one] => format!("failed: {one} (see above; `vbuild report` has the whole build)"),
            [first, rest @ ..] => format!(
                "failed: {first} and {} more (see above; `vbuild report` has the whole build)",
                rest.len()
            ),
        },
        _ => report
            .course_video
            .as_ref()
            .or(first_video)
            .or(report.outputs.first())
            .map_or_else(
                || "nothing written".to_string(),
                |p| shown_path(cli, &project_dir.join(p)),
            ),
    };
    let counts = &report.counts;
    outln!(
        "vbuild: {} run, {} cached, {} failed, {} skipped in {} -> {output}",
        counts.ran,
        counts.cached,
        counts.failed,
        counts.skipped,
        describe::duration(report.seconds)
    );
}

/// The targets of this course, with each chapter's slide count where its script is known.
fn list_targets(project: &Project, built: &Build) -> String {
    let mut out = String::new();
    for (spelled, what) in target::spellings() {
        out.push_str(&format!("{spelled:<20} {what}\n"));
    }
    out.push_str("\nCHAPTER is a number, a slug or an id:\n");
    let plan = &built.walked().plan;
    for (chapter, id) in project.chapters.iter().zip(plan.chapters()) {
        let slides = match plan.slide_count(id) {
            0 => "slides known once its script has run".to_string(),
            1 => format!(
                "1 slide: audio:{0}/1, image:{0}/1, clip:{0}/1",
                chapter.number
            ),
            n => format!(
                "{n} slides: audio:{0}/1..{n}, image:{0}/1..{n}, clip:{0}/1..{n}",
                chapter.number
            ),
        };
        out.push_str(&format!(
            "  {:<3} {:<40} {slides}\n",
            chapter.number, chapter.id
        ));
    }
    out
}

/// A path inside the project as the user who ran vbuild (maybe with `-C DIR`) would name it.
fn shown_path(cli: &Cli, path: &Path) -> String {
    let inside = path.strip_prefix(".").unwrap_or(path);
    match &cli.global.directory {
        Some(dir) => dir.join(inside).display().to_string(),
        None => inside.display().to_string(),
    }
}
