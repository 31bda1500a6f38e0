//! `vbuild init`: a Videofile and a sample lecture that build offline, to start a course from.

use std::path::{Path, PathBuf};

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
