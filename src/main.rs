//! The `vbuild` command line: parses arguments, calls the library, prints one summary, maps errors to exit
//! codes (0 success, 1 build failed, 2 usage or configuration error).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vbuild::engine::{Options, State};
use vbuild::progress::{Progress, init_logging};
use vbuild::project::{Build, Error, Project};

/// Builds narrated course videos from Markdown lectures, the way make builds binaries.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
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
    /// Run N jobs at once (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N", global = true)]
    jobs: Option<usize>,
    /// Dry run: list the nodes that would run and why; write nothing.
    #[arg(short = 'n', long = "dry-run")]
    dry_run: bool,
    /// Keep going after a failure with everything that does not depend on it.
    #[arg(short = 'k', long = "keep-going")]
    keep_going: bool,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Build the course video (the default).
    Build,
    /// Print the build graph with each node's state (cached or would run).
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Remove the files builds wrote to the output folder; the cache stays, so the next build restores them
    /// without running anything.
    Clean,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let bars = init_logging(filter);
    if let Some(dir) = &cli.directory
        && let Err(err) = std::env::set_current_dir(dir)
    {
        eprintln!("vbuild: cannot change to {}: {err}", dir.display());
        return ExitCode::from(2);
    }
    match run(&cli, &bars) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("vbuild: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}

fn run(cli: &Cli, bars: &indicatif::MultiProgress) -> Result<u8, Error> {
    let project = Project::load(&cli.file)?;
    let jobs = cli
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let hidden = cli.quiet || !std::io::stderr().is_terminal();
    match cli.command.as_ref().unwrap_or(&Command::Build) {
        Command::Clean => {
            let removed = project.clean()?;
            let out = shown_path(cli, &project.videofile.output_dir());
            println!("vbuild: removed {removed} files from {out}");
            Ok(0)
        }
        Command::Graph { format } => {
            let options = Options {
                jobs,
                dry_run: true,
                keep_going: true,
            };
            let build = project.build(&options, &Progress::hidden())?;
            match format {
                GraphFormat::Dot => print!("{}", dot(&build)),
                GraphFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&build.report.nodes).expect("nodes serialise")
                ),
            }
            Ok(0)
        }
        Command::Build => {
            let options = Options {
                jobs,
                dry_run: cli.dry_run,
                keep_going: cli.keep_going,
            };
            let progress = Progress::new(bars, hidden);
            let build = project.build(&options, &progress)?;
            if cli.dry_run {
                print_dry_run(&build);
                return Ok(0);
            }
            let counts = &build.report.counts;
            for failure in build.report.failures() {
                eprintln!(
                    "vbuild: failed: {}: {}",
                    failure.name,
                    failure.reason.as_deref().unwrap_or("")
                );
            }
            let output = build
                .report
                .course_video
                .as_ref()
                .map_or_else(|| "no course video".to_string(), |p| shown_path(cli, p));
            println!(
                "vbuild: {} run, {} cached, {} failed, {} skipped in {:.1} s -> {output}",
                counts.ran, counts.cached, counts.failed, counts.skipped, build.report.seconds
            );
            Ok(if build.report.succeeded { 0 } else { 1 })
        }
    }
}

/// A path inside the project as the user who ran vbuild (maybe with `-C DIR`) would name it.
fn shown_path(cli: &Cli, path: &Path) -> String {
    let inside = path.strip_prefix(".").unwrap_or(path);
    match &cli.directory {
        Some(dir) => dir.join(inside).display().to_string(),
        None => inside.display().to_string(),
    }
}

/// Prints what a dry run found, grouped by chapter.
fn print_dry_run(build: &Build) {
    let mut current_chapter: Option<&str> = None;
    let mut would_run = 0;
    for node in build.report.nodes.iter().filter(|n| n.state == "would-run") {
        if node.chapter.as_deref() != current_chapter {
            current_chapter = node.chapter.as_deref();
            println!("{}", current_chapter.unwrap_or("course"));
        }
        println!("  {}: {}", node.name, node.reason.as_deref().unwrap_or(""));
        if node.kind == "script" {
            println!("    (its slides' audio, image and clip nodes are known once it has run)");
        }
        would_run += 1;
    }
    let cached = build.report.counts.cached;
    println!("vbuild: dry run: {would_run} would run, {cached} cached");
}

/// The graph in Graphviz dot, nodes coloured by state.
fn dot(build: &Build) -> String {
    let plan = &build.outcome.plan;
    let mut out =
        String::from("digraph vbuild {\n  rankdir=LR;\n  node [shape=box, style=filled];\n");
    for index in plan.graph.node_indices() {
        let colour = match build.outcome.state(index) {
            State::Done { .. } => "palegreen",
            State::WouldRun { .. } => "lightsalmon",
            _ => "lightgrey",
        };
        out.push_str(&format!(
            "  n{} [label=\"{}\", fillcolor={colour}];\n",
            index.index(),
            plan.name(index)
        ));
    }
    for edge in plan.graph.edge_indices() {
        let (from, to) = plan.graph.edge_endpoints(edge).expect("edges have ends");
        out.push_str(&format!("  n{} -> n{};\n", from.index(), to.index()));
    }
    out.push_str("}\n");
    out
}
