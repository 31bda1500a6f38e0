//! `vbuild clean [-n]`: removes the files builds wrote to the output folder; the cache stays, so the next
//! build puts them back without running anything.

use super::{Said, Shell};
use crate::error::Error;
use crate::project::Project;

/// Cleans the output folder of `project` (or, with `dry_run`, lists what that would remove).
pub(super) fn command(shell: &Shell, project: &Project, dry_run: bool) -> Result<Said, Error> {
    let removed = project.clean(dry_run)?;
    let folder = shell.path(&project.videofile.output_dir());
    let mut out = String::new();
    if dry_run {
        for path in &removed {
            out.push_str(&format!("would remove {}\n", shell.path(path)));
        }
        out.push_str(&format!(
            "vbuild: clean would remove {} files from {folder}\n",
            removed.len()
        ));
    } else {
        out.push_str(&format!(
            "vbuild: removed {} files from {folder}\n",
            removed.len()
        ));
    }
    Ok(Said::ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::build::{self, tests::args};
    use crate::cli::fixture::{course, shell};

    #[test]
    fn clean_lists_then_removes_only_what_builds_wrote_and_the_cache_restores_it() {
        let (dir, project) = course("");
        build::command(&shell(false), &args(&[]), &project).unwrap();
        let out = dir.path().join("out");
        let mine = out.join("notes.txt");
        std::fs::write(&mine, "mine").unwrap();
        let listed = command(&shell(false), &project, true).unwrap();
        assert!(listed.out.contains(&format!(
            "would remove {}\n",
            out.join("tides.mp4").display()
        )));
        assert!(!listed.out.contains("notes.txt"), "{}", listed.out);
        assert!(out.join("tides.mp4").is_file());
        let removed = command(&shell(false), &project, false).unwrap();
        let count = listed.out.lines().count() - 1;
        assert_eq!(
            removed.out,
            format!("vbuild: removed {count} files from {}\n", out.display())
        );
        assert!(!out.join("tides.mp4").exists() && mine.is_file());
        let restored = build::command(&shell(false), &args(&[]), &project).unwrap();
        assert!(
            restored.out.starts_with("vbuild: 0 run, "),
            "{}",
            restored.out
        );
        assert!(out.join("tides.mp4").is_file());
    }
}
