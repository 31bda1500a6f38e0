//! `vbuild init`: a Videofile and a sample lecture that build offline, to start a course from.

use std::path::{Path, PathBuf};

use crate::project::Error;
use crate::store::io_error;
use crate::videofile::ConfigError;

const FILES: &[(&str, &str)] = &[
    ("Videofile", include_str!("../assets/init/Videofile")),
    ("lecture.md", include_str!("../assets/init/lecture.md")),
];

/// Writes the sample project into `dir` (created if missing); refuses to overwrite any file.
pub fn scaffold(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    for (name, _) in FILES {
        let path = dir.join(name);
        if path.exists() {
            return Err(Error::Config(ConfigError::Layer {
                path,
                message: "already exists; vbuild init does not overwrite files".into(),
            }));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::Store(io_error(dir)(e)))?;
    let mut written = Vec::new();
    for (name, text) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::Store(io_error(&path)(e)))?;
        written.push(path);
    }
    Ok(written)
}
