//! Why vbuild stopped: one variant per failure a command can end with, each with its message (what and
//! where), a hint (what to do) and its exit code, shown once at the command line's edge (as `just` does).
//!
//! Exit codes: 0 done; 1 a build or command failed; 2 a configuration or command-line problem found before
//! any work (the Videofile, a target, a missing program); 130 interrupted.

use std::path::{Path, PathBuf};

use crate::cache::StoreError;
use crate::config::ConfigError;
use crate::graph::target::TargetError;
use crate::media::MediaError;
use crate::outputs::OutputError;
use crate::providers::ProviderError;
use crate::steps::StepError;

/// Why a command could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A target on the command line names nothing in this course.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The local cache could not be opened, read or written.
    #[error(transparent)]
    Cache(#[from] StoreError),
    /// A program or plugin the build needs is missing or broken.
    #[error(transparent)]
    Tools(#[from] StepError),
    /// Writing the outputs to the output folder failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A file the command line asked for (a metrics file, `vbuild init`'s files) could not be written.
    #[error("cannot write {what} {path}: {source}")]
    Write {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// `vbuild watch` or `serve` cannot watch the project folder (too many inotify watches, a folder that
    /// went away).
    #[error("cannot watch {}: {source}", folder.display())]
    Watch {
        folder: PathBuf,
        source: notify::Error,
    },
    /// `vbuild serve` cannot listen on its port.
    #[error("cannot serve on {address}: {message}")]
    Serve { address: String, message: String },
    /// `vbuild init` would overwrite a file of the author's.
    #[error("{path} already exists; vbuild init does not overwrite files")]
    WouldOverwrite { path: PathBuf },
}

impl Error {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Target(_) | Error::WouldOverwrite { .. } => 2,
            Error::Watch { .. } | Error::Serve { .. } => 2,
            Error::Tools(StepError::Provider(
                ProviderError::Missing { .. }
                | ProviderError::Spawn { .. }
                | ProviderError::NotAVoice { .. },
            )) => 2,
            Error::Tools(StepError::Media(MediaError::Setup(_))) => 2,
            Error::Cache(StoreError::Foreign { .. }) => 2,
            Error::Output(OutputError::NotAFolder { .. }) => 2,
            Error::Cache(_) | Error::Tools(_) | Error::Output(_) | Error::Write { .. } => 1,
        }
    }

    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config(err) => err.hint(),
            Error::Target(err) => err.hint.clone(),
            Error::Tools(StepError::Provider(ProviderError::Spawn { program, .. })) => {
                Some(install_hint(program))
            }
            Error::Cache(StoreError::Foreign { link, .. }) => Some(format!(
                "link {} to an empty folder (vbuild marks it as its own), or move what vbuild did not make out of it",
                link.display()
            )),
            Error::Output(OutputError::NotAFolder { path, .. }) => Some(format!(
                "remove {} (vbuild makes the folder), or set [course] output to another folder",
                path.display()
            )),
            Error::Serve { .. } => Some(
                "another program has that port: choose another with --port N (0: any free one)"
                    .into(),
            ),
            Error::WouldOverwrite { .. } => {
                Some("vbuild init --force writes over it, or choose another folder".into())
            }
            _ => None,
        }
    }

    /// Wraps an I/O error writing `what` (e.g. "the metrics file") at `path`.
    pub fn write<'a>(
        what: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> Error + 'a {
        move |source| Error::Write {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What installs `program` on Debian.
fn install_hint(program: &str) -> String {
    match program {
        "espeak-ng" => "install it: apt-get install espeak-ng".into(),
        _ => format!("{program} is installed by the README's set-up command (./.ci/install-deps)"),
    }
}
