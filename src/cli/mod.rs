//! The command line: [`main`] reads the arguments, finds the course, runs one command and maps its end to an
//! exit code. Each command is a function of its own module that returns what it has to say ([`Said`]), so
//! the commands are tested without a process; the views they print are in [`describe`].
//!
//! Exit codes: 0 success, 1 a build or check failed, 2 a usage or configuration error, 130 interrupted.

pub mod args;
mod build;
mod clean;
mod config;
pub mod describe;
pub mod doctor;
mod gc;
pub mod init;
mod look;
pub mod serve;
mod verify;
pub mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::error::Error;
use crate::project::{Invocation, Project};
use crate::sys::logging::init_logging;
use crate::sys::{secrets, shown};
use args::{CacheCommand, Cli, Command};

/// What a command has to say, and how it ends.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Said {
    /// Text for standard output.
    pub out: String,
    /// Lines for standard error (failures a build met, a report that is not there).
    pub err: String,
    /// The exit code.
    pub code: u8,
}

impl Said {
    /// A command that printed `out` and went well.
    fn ok(out: String) -> Said {
        Said {
            out,
            ..Said::default()
        }
    }

    /// Writes what was said to standard output and standard error, redacted.
    fn print(&self) {
        if !self.err.is_empty() {
            eprint!("{}", secrets::redact(&self.err));
        }
        emit(&self.out);
    }
}

/// How a command shows the paths it names and how much it says.
pub struct Shell {
    /// `-C DIR`, as given: paths are shown from where vbuild was started.
    pub directory: Option<PathBuf>,
    /// `-q`: only errors.
    pub quiet: bool,
    /// The terminal's progress bars (hidden when standard error is not a terminal).
    pub bars: indicatif::MultiProgress,
}

impl Shell {
    /// A path inside the project as the user who ran vbuild (maybe with `-C DIR`) would name it.
    pub fn path(&self, path: &Path) -> String {
        let inside = path.strip_prefix(".").unwrap_or(path);
        match &self.directory {
            Some(dir) => dir.join(inside).display().to_string(),
            None => inside.display().to_string(),
        }
    }
}

/// Writes to standard output, redacted as every message is; a reader that went away (`vbuild graph | head`)
/// ends vbuild quietly, as it would end any Unix tool, instead of with a panic.
fn emit(text: &str) {
    use std::io::Write;
    if text.is_empty() {
        return;
    }
    let text = secrets::redact(text);
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

/// The whole command line: parses the arguments, sets up logging, finds the course and runs the command.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    // Options of every command (-C, -f, -q, ...) may come before a command; build options may not.
    if let Some(command) = matches.subcommand_name()
        && cli.build.any()
    {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                build::misplaced_options(command),
            )
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
    let shell = Shell {
        directory: cli.global.directory.clone(),
        quiet: cli.global.quiet,
        bars,
    };
    // A panic on this thread (a bug) ends with a message and exit code 1, like any other failure.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &shell)));
    let Ok(result) = ran else {
        eprintln!("vbuild: internal error (please report it); see the panic message above");
        return ExitCode::from(1);
    };
    match result {
        Ok(said) => {
            said.print();
            ExitCode::from(said.code)
        }
        Err(err) => {
            print_error(&err);
            ExitCode::from(err.code())
        }
    }
}

/// Runs the command `cli` names and returns what it has to say.
pub fn run(cli: &Cli, shell: &Shell) -> Result<Said, Error> {
    let invocation = Invocation {
        profile: cli.global.profile.clone(),
        flags: cli.global.set.clone(),
        environment: std::env::vars().collect(),
        ignore_profile_variable: false,
    };
    // The commands that do not need a course that loads.
    match &cli.command {
        Some(Command::Init { dir, force, dry }) => {
            return init::command(shell, dir, *force, dry.dry_run);
        }
        Some(Command::Watch(args)) => {
            return watch::command(shell, &cli.global.file, args, &invocation, None);
        }
        Some(Command::Serve { port, open, build }) => {
            return serve::command(shell, &cli.global.file, build, &invocation, *port, *open);
        }
        _ => {}
    }
    let project = Project::load(&cli.global.file, &invocation)?;
    match &cli.command {
        None => build::command(shell, &cli.build, &project),
        Some(Command::Build(args)) => build::command(shell, args, &project),
        Some(Command::Targets) => look::targets(&project),
        Some(Command::Explain { targets }) => look::explain(&project, targets),
        Some(Command::Graph { format, targets }) => look::graph(&project, *format, targets),
        Some(Command::Config) => config::command(&project),
        Some(Command::Runs) => look::runs(&project),
        Some(Command::Report { id, json }) => look::report(&project, id.as_deref(), *json),
        Some(Command::Gc {
            max_size,
            older_than,
            dry,
        }) => gc::command(
            shell,
            &project,
            &cli.global.file,
            &invocation,
            gc::policy(*max_size, *older_than),
            dry.dry_run,
        ),
        Some(Command::Cache {
            command: CacheCommand::Verify { repair, dry },
        }) => verify::command(shell, &project, *repair && !dry.dry_run),
        Some(Command::Clean { dry }) => clean::command(shell, &project, dry.dry_run),
        Some(Command::Doctor) => Ok(doctor::command(&project)),
        Some(Command::Init { .. } | Command::Watch(_) | Command::Serve { .. }) => {
            unreachable!("init, watch and serve run before a project is loaded")
        }
    }
}

/// An error as one readable message (and its hint), redacted and cut to a readable length.
pub fn error_text(err: &Error) -> String {
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

/// A small course in a temporary folder, loaded, and a quiet shell, for the commands' tests.
#[cfg(test)]
pub(crate) mod fixture {
    use super::Shell;
    use crate::project::{Invocation, Project};

    /// Two one-slide chapters spoken by espeak-ng at 320x180 and 1 fps: the smallest course that builds.
    pub const LECTURE: &str =
        "# Tides\n\n## Moon\n\nThe moon pulls the sea.\n\n## Sun\n\nThe sun pulls too.\n";

    /// Writes the course with `settings` added to its Videofile and loads it.
    pub fn course(settings: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lecture.md"), LECTURE).unwrap();
        std::fs::write(
            dir.path().join("Videofile"),
            format!(
                "[course]\nsources = [\"lecture.md\"]\n[video]\nresolution = \"320x180\"\nfps = 1\n\
                 [speech]\nprovider = \"espeak\"\n{settings}"
            ),
        )
        .unwrap();
        let project = load(dir.path(), &[]);
        (dir, project)
    }

    /// Loads the course in `dir` with `flags` (`--set` values) and no environment.
    pub fn load(dir: &std::path::Path, flags: &[&str]) -> Project {
        Project::load(&dir.join("Videofile"), &invocation(flags)).unwrap()
    }

    /// An invocation with `flags` (`--set` values) and no environment or profile.
    pub fn invocation(flags: &[&str]) -> Invocation {
        Invocation {
            profile: None,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            environment: Default::default(),
            ignore_profile_variable: true,
        }
    }

    /// A shell that shows paths as they are and draws no bars.
    pub fn shell(quiet: bool) -> Shell {
        Shell {
            directory: None,
            quiet,
            bars: indicatif::MultiProgress::with_draw_target(
                indicatif::ProgressDrawTarget::hidden(),
            ),
        }
    }
}
