//! `vbuild cache verify [--repair] [-n]`: checks every blob and entry of the cache with
//! [`crate::cache::verify`], names what is damaged, and removes it when asked.

use super::{Said, Shell};
use crate::cache::verify;
use crate::error::Error;
use crate::project::Project;

/// Verifies the cache of `project`; exit code 1 when something is damaged and was not repaired.
pub(super) fn command(shell: &Shell, project: &Project, repair: bool) -> Result<Said, Error> {
    // Looked at as it is (a repair takes the build lock first): damaged folders are found, not fixed.
    let store = project.store(false)?;
    let _lock = if repair && store.root().is_dir() {
        Some(store.lock()?)
    } else {
        None
    };
    let found = verify::verify(store.root(), repair)?;
    if found.absent {
        return Ok(Said::ok(format!(
            "vbuild: cache verify: there is no cache at {} yet; nothing to check\n",
            shell.path(store.root())
        )));
    }
    let mut out = String::new();
    for stranger in &found.strangers {
        out.push_str(&format!(
            "not vbuild's: {}: left in place (remove it yourself if it is not needed)\n",
            shell.path(stranger)
        ));
    }
    for problem in &found.problems {
        out.push_str(&format!(
            "damaged: {}: {}\n",
            shell.path(&problem.path),
            problem.what
        ));
    }
    let what = match (found.problems.len(), repair) {
        (0, _) => "the cache is sound".to_string(),
        (n, true) => format!("{n} problems, removed; the next build runs what they held"),
        (n, false) => format!(
            "{n} problems; `vbuild cache verify --repair` removes them (the next build runs what they held)"
        ),
    };
    out.push_str(&format!(
        "vbuild: cache verify: {} entries and {} blobs checked; {what}\n",
        found.entries, found.blobs
    ));
    Ok(Said {
        out,
        err: String::new(),
        code: u8::from(!found.problems.is_empty() && !repair),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::build::{self, tests::args};
    use crate::cli::fixture::{course, shell};

    #[test]
    fn verify_finds_a_damaged_blob_and_repairs_it_only_when_asked() {
        let (dir, project) = course("");
        let none = command(&shell(false), &project, false).unwrap();
        assert!(none.out.contains("there is no cache at"), "{}", none.out);
        build::command(&shell(false), &args(&["script:1"]), &project).unwrap();
        let sound = command(&shell(false), &project, false).unwrap();
        assert_eq!(sound.code, 0);
        assert!(sound.out.ends_with("the cache is sound\n"), "{}", sound.out);
        let blob = walkdir::WalkDir::new(dir.path().join(".vbuild/cas"))
            .into_iter()
            .filter_map(Result::ok)
            .find(|e| e.file_type().is_file())
            .unwrap()
            .into_path();
        std::fs::write(&blob, "damaged").unwrap();
        let found = command(&shell(false), &project, false).unwrap();
        assert_eq!(found.code, 1);
        assert!(
            found.out.contains(&format!("damaged: {}", blob.display())),
            "{}",
            found.out
        );
        assert!(blob.exists());
        let repaired = command(&shell(false), &project, true).unwrap();
        assert_eq!(repaired.code, 0);
        assert!(
            repaired.out.contains(" problems, removed;"),
            "{}",
            repaired.out
        );
        assert!(!blob.exists());
    }
}
