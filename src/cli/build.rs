//! `vbuild [TARGET...]` and `vbuild build`: builds (or dry-runs) the targets and says what came of it in one
//! line: how many nodes ran, were cached, failed or were skipped, and the file to open.

use std::io::IsTerminal;
use std::path::Path;

use clap::CommandFactory;

use super::args::{BuildArgs, Cli};
use super::{Said, Shell, describe};
use crate::engine::Options;
use crate::engine::progress::Progress;
use crate::error::Error;
use crate::graph::target::{self, TargetError};
use crate::project::{Build, Project};
use crate::record::history;
use crate::record::report::Ending;
use crate::sys::interrupt;

/// The message of build options given with a command (`vbuild graph -j 4`).
pub(super) fn misplaced_options(command: &str) -> String {
    if command == "build" {
        "build options (-j, -n, -k, -B, --shard, --metrics-file) and targets go after `build`"
            .into()
    } else {
        format!(
            "build options (-j, -n, -k, -B, --shard, --metrics-file) and targets do not go with \
             `{command}`; run `vbuild {command}` without them"
        )
    }
}

/// Builds (or dry-runs) what `args` ask for.
pub(super) fn command(shell: &Shell, args: &BuildArgs, project: &Project) -> Result<Said, Error> {
    build(shell, args, project, false).map(|(said, _)| said)
}

/// [`command`], writing the slide pictures too if `slide_pictures`; returns what it says and the build
/// (none for a dry run).
pub(super) fn build(
    shell: &Shell,
    args: &BuildArgs,
    project: &Project,
    slide_pictures: bool,
) -> Result<(Said, Option<Build>), Error> {
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
            .targets(&args.targets, &args.languages)
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
    let hidden = shell.quiet || !std::io::stderr().is_terminal();
    let progress = Progress::new(&shell.bars, hidden);
    let per_kind = (stats.kinds.iter())
        .filter_map(|(kind, times)| Some((kind.clone(), times.average_seconds()?)))
        .collect();
    progress.expect(per_kind, options.jobs);
    let built = project.build(&options, &progress)?;
    if options.dry_run {
        let authored = |node: &str| project.authored_translation(node);
        let plan = describe::dry_run(&built.report, &stats, options.jobs, &authored);
        return Ok((Said::ok(plan), None));
    }
    if let Some(path) = &args.metrics_file {
        std::fs::write(path, built.report.prometheus())
            .map_err(Error::write("the metrics file", path))?;
    }
    let said = summary(shell, &project.videofile.project_dir, &built);
    Ok((said, Some(built)))
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

/// What a finished build says: each failure on standard error, then one line with the counts and the file
/// to open (or what stopped it); the exit code follows from how the build ended.
fn summary(shell: &Shell, project_dir: &Path, built: &Build) -> Said {
    let report = &built.report;
    let ending = report.ending();
    let code = match ending {
        Ending::Ok => 0,
        Ending::Interrupted => interrupt::EXIT_CODE,
        Ending::Failed => 1,
    };
    // -q: only errors; a build that went well says nothing.
    if shell.quiet && ending == Ending::Ok {
        return Said {
            code,
            ..Said::default()
        };
    }
    let mut err = String::new();
    let failures: Vec<&str> = report.failures().map(|f| f.name.as_str()).collect();
    for failure in report.failures() {
        err.push_str(&format!(
            "vbuild: failed: {}: {}\n",
            failure.name,
            failure.error.as_deref().unwrap_or("")
        ));
    }
    if let Some(error) = &report.error {
        err.push_str(&format!("vbuild: failed: {error}\n"));
    }
    // The course video, or for a partial build its first video or file; a build that did not finish says
    // what stopped it instead (what it did write is in the report).
    let first_of =
        |ext: &str| (report.outputs.iter()).find(|p| p.extension().is_some_and(|e| e == ext));
    let first_video = first_of("mp4").or_else(|| first_of("png"));
    let output = match ending {
        Ending::Interrupted => {
            "interrupted; run vbuild again to go on where it stopped".to_string()
        }
        Ending::Failed => match failures.as_slice() {
            [] => "failed writing the outputs (see above)".to_string(),
            [one] => format!("failed: {one} (see above; `vbuild report` has the whole build)"),
            [first, rest @ ..] => format!(
                "failed: {first} and {} more (see above; `vbuild report` has the whole build)",
                rest.len()
            ),
        },
        Ending::Ok => report
            .course_video
            .as_ref()
            .or(first_video)
            .or(report.outputs.first())
            .map_or_else(
                || "nothing written".to_string(),
                |p| shell.path(&project_dir.join(p)),
            ),
    };
    let counts = &report.counts;
    let out = format!(
        "vbuild: {} run, {} cached, {} failed, {} skipped in {} -> {output}\n",
        counts.ran,
        counts.cached,
        counts.failed,
        counts.skipped,
        describe::duration(report.seconds)
    );
    Said { out, err, code }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::cli::fixture::{course, shell};

    /// Build options with `targets` and nothing else.
    pub(in crate::cli) fn args(targets: &[&str]) -> BuildArgs {
        BuildArgs {
            targets: targets.iter().map(|t| t.to_string()).collect(),
            languages: Vec::new(),
            jobs: Some(2),
            dry_run: false,
            keep_going: false,
            always_make: false,
            shard: None,
            metrics_file: None,
        }
    }

    #[test]
    fn a_build_says_what_ran_and_names_the_course_video_then_a_rebuild_runs_nothing() {
        let (dir, project) = course("");
        let first = command(&shell(false), &args(&[]), &project).unwrap();
        assert_eq!((first.code, first.err.as_str()), (0, ""));
        let video = dir.path().join("out/tides.mp4");
        assert!(video.is_file());
        assert!(
            first.out.starts_with("vbuild: ")
                && first
                    .out
                    .contains(" run, 0 cached, 0 failed, 0 skipped in ")
                && first.out.ends_with(&format!("-> {}\n", video.display())),
            "{}",
            first.out
        );
        let again = command(&shell(false), &args(&[]), &project).unwrap();
        assert!(again.out.starts_with("vbuild: 0 run, "), "{}", again.out);
        let quiet = command(&shell(true), &args(&[]), &project).unwrap();
        assert_eq!(quiet, Said::default());
    }

    #[test]
    fn a_dry_run_lists_what_would_run_and_writes_nothing() {
        let (dir, project) = course("");
        let dry = BuildArgs {
            dry_run: true,
            ..args(&["chapter:2"])
        };
        let said = command(&shell(false), &dry, &project).unwrap();
        assert_eq!(said.code, 0);
        assert!(said.out.contains("script:02-sun"), "{}", said.out);
        assert!(!said.out.contains("01-moon"), "{}", said.out);
        assert!(!dir.path().join("out").exists() && !dir.path().join(".vbuild").exists());
    }

    #[test]
    fn a_command_read_as_a_target_is_named_as_a_command() {
        let (_dir, project) = course("");
        let err = command(&shell(false), &args(&["targets"]), &project).unwrap_err();
        assert!(err.to_string().contains("`targets` is a command"), "{err}");
        let near = command(&shell(false), &args(&["tragets"]), &project).unwrap_err();
        assert_eq!(
            near.hint().as_deref(),
            Some("did you mean the command `vbuild targets`?")
        );
        assert_eq!(
            misplaced_options("graph"),
            "build options (-j, -n, -k, -B, --shard, --metrics-file) and targets do not go with \
             `graph`; run `vbuild graph` without them"
        );
    }
}
