//! `vbuild init`: a Videofile and a sample lecture that build offline, to start a course from.

use std::path::{Path, PathBuf};

use crate::project::Error;
use crate::videofile::ConfigError;

const FILES: &[(&str, &str)] = &[
    ("Videofile", include_str!("../assets/init/Videofile")),
    ("lecture.md", include_str!("../assets/init/lecture.md")),
];

/// Writes the sample project into `dir` (created if missing); refuses to overwrite any file. With `dry_run`,
/// writes nothing. Returns the files written (or that would be).
pub fn scaffold(dir: &Path, dry_run: bool) -> Result<Vec<PathBuf>, Error> {
    for (name, _) in FILES {
        let path = dir.join(name);
        if path.exists() {
            return Err(Error::Config(ConfigError::Layer {
                path,
                message: "already exists; vbuild init does not overwrite files".into(),
            }));
        }
    }
    let paths: Vec<PathBuf> = FILES.iter().map(|(name, _)| dir.join(name)).collect();
    if dry_run {
        return Ok(paths);
    }
    std::fs::create_dir_all(dir).map_err(Error::write(dir))?;
    for (path, (_, text)) in paths.iter().zip(FILES) {
        std::fs::write(path, text).map_err(Error::write(path))?;
    }
    Ok(paths)
}
