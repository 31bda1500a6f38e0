//! Rebuild on save (`vbuild watch`, `vbuild serve`): the project folder is watched with notify (inotify,
//! FSEvents, ...; the crate cargo-watch, mdbook and rust-analyzer use), and a burst of saves becomes one
//! rebuild once the folder has been quiet for a moment. Only writes count: reading a source (as every build
//! does) is an event too, which must not wake the next build.
//!
//! What vbuild writes itself (its cache, the output folder) and hidden folders (`.git`) are not watched
//! sources: a build never wakes the next one.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher as _};

use super::args::BuildArgs;
use super::serve::{Review, Server};
use super::{Said, Shell, build, error_text};
use crate::config::{CACHE_FOLDER, project_dir_of};
use crate::error::Error;
use crate::graph::target::TargetError;
use crate::project::{Invocation, Project};
use crate::sys::interrupt;

/// How long the folder must be quiet after a save before the rebuild starts (editors write in bursts: a
/// temporary file, a rename, a second save).
pub const QUIET: Duration = Duration::from_millis(300);

/// The project folder, watched.
pub struct Watcher {
    /// Kept alive: dropping it stops the watching.
    _watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// The folder watched (absolute).
    folder: PathBuf,
    /// Folders whose changes are vbuild's own (the cache, the output folder).
    ignored: Vec<PathBuf>,
}

/// What ended a wait.
#[derive(Debug, PartialEq, Eq)]
pub enum Woken {
    /// These files changed (project-relative or absolute, as the watcher names them).
    Changed(Vec<PathBuf>),
    /// Ctrl-C.
    Interrupted,
    /// Nothing changed before the deadline.
    Quiet,
}

impl Watcher {
    /// Watches `folder` and everything in it but `ignored` and hidden folders.
    pub fn new(folder: &Path, ignored: Vec<PathBuf>) -> Result<Watcher, Error> {
        let failed = |source| Error::Watch {
            folder: folder.to_path_buf(),
            source,
        };
        let (sender, events) = channel();
        let mut watcher = notify::recommended_watcher(sender).map_err(failed)?;
        watcher
            .watch(folder, RecursiveMode::Recursive)
            .map_err(failed)?;
        // Events name absolute paths: the ignored folders are compared as such.
        let ignored = ignored
            .into_iter()
            .map(|path| std::path::absolute(&path).unwrap_or(path))
            .collect();
        Ok(Watcher {
            _watcher: watcher,
            events,
            folder: std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf()),
            ignored,
        })
    }

    /// Waits until a source changes (one debounced burst of saves) or Ctrl-C is pressed.
    pub fn wait(&self) -> Woken {
        self.wait_until(None)
    }

    /// [`Watcher::wait`], giving up at `deadline`.
    fn wait_until(&self, deadline: Option<Instant>) -> Woken {
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut last_change = Instant::now();
        loop {
            if interrupt::requested() {
                return Woken::Interrupted;
            }
            if !changed.is_empty() && last_change.elapsed() >= QUIET {
                changed.sort();
                changed.dedup();
                return Woken::Changed(changed);
            }
            if changed.is_empty() && deadline.is_some_and(|d| Instant::now() > d) {
                return Woken::Quiet;
            }
            match self.events.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok(event)) if writes(&event.kind) => {
                    let before = changed.len();
                    changed.extend(event.paths.into_iter().filter(|p| self.is_source(p)));
                    if changed.len() > before {
                        last_change = Instant::now();
                    }
                }
                Ok(Ok(_)) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Err(err)) => log::warn!("watching: {err}"),
                Err(RecvTimeoutError::Disconnected) => return Woken::Interrupted,
            }
        }
    }

    /// True when a change of `path` may change the course: not vbuild's own files, not a hidden file or
    /// folder, not an editor's scratch file (`x.md~`, `.x.md.swp`, `#x.md#`).
    fn is_source(&self, path: &Path) -> bool {
        if self.ignored.iter().any(|folder| path.starts_with(folder)) {
            return false;
        }
        let inside = path.strip_prefix(&self.folder).unwrap_or(path);
        let hidden = inside.components().any(|part| {
            let name = part.as_os_str().to_string_lossy();
            name.starts_with('.') && name != "." && name != ".."
        });
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let scratch = name.ends_with('~') || name.starts_with('#') || name.ends_with(".swp");
        !hidden && !scratch
    }
}

/// True for events that change a file (made, written, renamed, removed), not those that only read it.
fn writes(kind: &EventKind) -> bool {
    use notify::event::{MetadataKind, ModifyKind};
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Runs `build` once, then again after every saved change, until Ctrl-C; `build` says whether it finished
/// (false: it was interrupted). Returns the exit code: 0 when stopped while waiting, 130 when a build was
/// stopped part-way.
pub fn rebuild_on_save(watcher: &Watcher, mut build: impl FnMut() -> bool) -> u8 {
    if !build() {
        return interrupt::EXIT_CODE;
    }
    loop {
        match watcher.wait() {
            Woken::Interrupted | Woken::Quiet => {
                log::info!("stopped watching");
                return 0;
            }
            Woken::Changed(paths) => {
                let shown: Vec<String> = paths
                    .iter()
                    .take(3)
                    .map(|p| {
                        p.file_name()
                            .unwrap_or(p.as_os_str())
                            .to_string_lossy()
                            .into()
                    })
                    .collect();
                let more = paths.len().saturating_sub(3);
                log::info!(
                    "{} changed{}; building again",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
                if !build() {
                    return interrupt::EXIT_CODE;
                }
            }
        }
    }
}

/// `vbuild watch` (and `vbuild serve`, with its `server`): builds, then again after every save of a source or
/// the Videofile, until Ctrl-C; each build's summary is printed as it ends, and with a server, each build's
/// review is shown on its page.
pub(super) fn command(
    shell: &Shell,
    file: &Path,
    args: &BuildArgs,
    invocation: &Invocation,
    server: Option<&Server>,
) -> Result<Said, Error> {
    if args.dry_run || args.shard.is_some() {
        return Err(Error::Target(TargetError::new(
            if args.dry_run { "-n" } else { "--shard" },
            "watch and serve build on every save; -n and --shard go with a single `vbuild` build"
                .into(),
        )));
    }
    interrupt::install();
    let project_dir = project_dir_of(file);
    let mut loaded = Some(Project::load(file, invocation));
    // vbuild's own folders, as the Videofile names them now, never wake a build.
    let out = match &loaded {
        Some(Ok(project)) => project.videofile.output_dir(),
        _ => project_dir.join("out"),
    };
    let cache = project_dir.join(CACHE_FOLDER);
    let watcher = Watcher::new(&project_dir, vec![cache, out.clone()])?;
    let code = rebuild_on_save(&watcher, || {
        let project = loaded
            .take()
            .unwrap_or_else(|| Project::load(file, invocation));
        if let Some(server) = server {
            server.building();
        }
        let built = project.and_then(|project| {
            let (said, built) = build::build(shell, args, &project, server.is_some())?;
            said.print();
            if let (Some(server), Some(built)) = (server, &built) {
                let review = super::serve::review::review(&project, built);
                server.show(review, project.videofile.output_dir());
            }
            Ok(said.code)
        });
        match built {
            Ok(code) => code != interrupt::EXIT_CODE,
            Err(err) => {
                super::print_error(&err);
                if let Some(server) = server {
                    let errors = vec![error_text(&err)];
                    let review = Review {
                        errors,
                        ..Default::default()
                    };
                    server.show(review, out.clone());
                }
                true
            }
        }
    });
    Ok(Said {
        code,
        ..Said::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_source_wakes_the_watcher_and_vbuilds_own_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::absolute(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("out/chapters")).unwrap();
        std::fs::create_dir_all(root.join(".vbuild")).unwrap();
        let watcher = Watcher::new(&root, vec![root.join("out"), root.join(".vbuild")]).unwrap();
        std::fs::write(root.join("out/chapters/a.mp4"), "video").unwrap();
        std::fs::write(root.join(".vbuild/x"), "cache").unwrap();
        std::fs::write(root.join("lecture.md~"), "backup").unwrap();
        // Reading a source (as a build does) wakes nothing.
        std::fs::write(root.join("lecture.md"), "# First").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        assert!(matches!(
            watcher.wait_until(Some(deadline)),
            Woken::Changed(_)
        ));
        std::fs::read(root.join("lecture.md")).unwrap();
        let soon = Instant::now() + Duration::from_millis(500);
        assert_eq!(watcher.wait_until(Some(soon)), Woken::Quiet);
        std::fs::write(root.join("lecture.md"), "# Saved").unwrap();
        match watcher.wait_until(Some(deadline + Duration::from_secs(1))) {
            Woken::Changed(paths) => assert_eq!(paths, [root.join("lecture.md")]),
            other => panic!("{other:?}"),
        }
    }
}
