//! Files written whole or not at all, and removed whatever they are: the file-system operations every layer
//! shares (the cache, the output folder, the build record, the probes' memory).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// An I/O error and the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct PathError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Wraps an I/O error with the path it happened on.
pub fn path_error(path: &Path) -> impl FnOnce(io::Error) -> PathError + '_ {
    move |source| PathError {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes whatever is at `path` (a file, a link or a folder), never following a link.
pub fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

/// Writes `bytes` to `dest` through a temporary file in the same folder and a rename.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), PathError> {
    write_atomic_with(dest, |file| file.write_all(bytes))
}

/// Writes what `write` writes to `dest` through a temporary file in the same folder and a rename: `dest` is
/// the old file or the whole new one, never a part.
pub fn write_atomic_with(
    dest: &Path,
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), PathError> {
    let parent = dest.parent().expect("destinations have a parent");
    fs::create_dir_all(parent).map_err(path_error(parent))?;
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(path_error(parent))?;
    write(&mut file).map_err(path_error(dest))?;
    file.persist(dest).map_err(|e| PathError {
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a/b.txt");
        write_atomic(&dest, b"first").unwrap();
        let failed = write_atomic_with(&dest, |file| {
            file.write_all(b"half")?;
            Err(io::Error::other("the disk filled"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&dest).unwrap(), b"first");
        assert_eq!(fs::read_dir(dest.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn remove_any_takes_a_link_and_leaves_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("kept"), b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        remove_any(&link).unwrap();
        assert!(!link.exists() && target.join("kept").exists());
        remove_any(&target).unwrap();
        assert!(!target.exists());
        remove_any(&target).unwrap();
    }
}
