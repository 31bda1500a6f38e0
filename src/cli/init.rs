//! `vbuild init`: a Videofile and a sample lecture that build offline, to start a course from.

use std::path::{Path, PathBuf};

use super::{Said, Shell};
use crate::error::Error;
use crate::providers::piper;
use crate::providers::probes::Probes;

const VIDEOFILE: &str = include_str!("../../assets/init/Videofile");
const LECTURE: &str = include_str!("../../assets/init/lecture.md");

/// The `[speech]` section: piper when it is installed, else espeak-ng.
fn speech_section(piper_installed: bool) -> &'static str {
    if piper_installed {
        "[speech]\nprovider = \"piper\"           # a natural voice, offline (installed by .ci/install-deps)\n"
    } else {
        "[speech]\nprovider = \"espeak\"          # espeak-ng, offline (install piper for a natural voice)\nvoice = \"en-us\"\n"
    }
}

/// Writes the sample project into `dir` (created if missing); refuses to overwrite a file unless `force`. The
/// Videofile speaks with piper if it is installed. With `dry_run`, writes nothing. Returns the files written
/// (or that would be).
pub fn scaffold(dir: &Path, dry_run: bool, force: bool) -> Result<Vec<PathBuf>, Error> {
    let piper_variable = std::env::var(piper::VARIABLE).ok();
    let piper_installed =
        piper::find(None, piper_variable.as_deref(), None, &mut Probes::none()).is_ok();
    let videofile = VIDEOFILE.replace("{speech}", speech_section(piper_installed));
    let files = [("Videofile", videofile.as_str()), ("lecture.md", LECTURE)];
    for (name, _) in &files {
        let path = dir.join(name);
        if path.exists() && !force {
            return Err(Error::WouldOverwrite { path });
        }
    }
    let paths: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    if dry_run {
        return Ok(paths);
    }
    std::fs::create_dir_all(dir).map_err(Error::write("the folder", dir))?;
    for (path, (_, text)) in paths.iter().zip(files) {
        std::fs::write(path, text).map_err(Error::write("the file", path))?;
    }
    Ok(paths)
}

/// `vbuild init [DIR] [--force] [-n]`: writes the sample course and says how to build it.
pub(super) fn command(
    shell: &Shell,
    dir: &Path,
    force: bool,
    dry_run: bool,
) -> Result<Said, Error> {
    let written = scaffold(dir, dry_run, force)?;
    let verb = if dry_run { "would write" } else { "wrote" };
    let mut out = String::new();
    for path in written {
        out.push_str(&format!("vbuild: {verb} {}\n", shell.path(&path)));
    }
    if !dry_run {
        out.push_str(&match shell.path(dir) {
            here if here.is_empty() => format!(
                "vbuild: a course is ready in this folder ({}); build it with `vbuild`\n",
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            ),
            folder => {
                format!(
                    "vbuild: a course is ready in {folder}; build it with `vbuild -C {folder}`\n"
                )
            }
        });
    }
    Ok(Said::ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::fixture::shell;

    #[test]
    fn init_says_what_it_would_write_writes_nothing_with_n_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let course = dir.path().join("course");
        let dry = command(&shell(false), &course, false, true).unwrap();
        assert_eq!(
            dry.out,
            format!(
                "vbuild: would write {0}/Videofile\nvbuild: would write {0}/lecture.md\n",
                course.display()
            )
        );
        assert!(!course.exists());
        let written = command(&shell(false), &course, false, false).unwrap();
        assert!(written.out.ends_with(&format!(
            "a course is ready in {0}; build it with `vbuild -C {0}`\n",
            course.display()
        )));
        std::fs::write(course.join("lecture.md"), "# Mine\n").unwrap();
        let refused = command(&shell(false), &course, false, false).unwrap_err();
        assert!(matches!(refused, Error::WouldOverwrite { .. }), "{refused}");
        assert_eq!(
            std::fs::read_to_string(course.join("lecture.md")).unwrap(),
            "# Mine\n"
        );
    }
}
