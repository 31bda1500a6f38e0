//! `vbuild gc [--max-size SIZE | --older-than DAYS] [-n]`: removes the cache entries no build needs, by
//! [`crate::cache::gc`]'s policy, and says what it removed and kept.

use std::path::Path;
use std::time::Duration;

use super::{Said, Shell};
use crate::cache::gc::{self, Policy};
use crate::error::Error;
use crate::project::{Invocation, Project};
use crate::record::history;
use crate::record::last_keys::LastKeys;
use crate::sys::size;

/// The policy the options ask for: a size, an age, or (neither) every entry no build needs.
pub(super) fn policy(max_size: Option<u64>, older_than: Option<Duration>) -> Policy {
    match (max_size, older_than) {
        (Some(bytes), _) => Policy::MaxSize { bytes },
        (None, Some(age)) => Policy::OlderThan { age },
        (None, None) => Policy::Unused,
    }
}

/// Collects the cache of the course `project` (loaded from `file` with `invocation`) by `policy`.
pub(super) fn command(
    shell: &Shell,
    project: &Project,
    file: &Path,
    invocation: &Invocation,
    policy: Policy,
    dry_run: bool,
) -> Result<Said, Error> {
    let cache_dir = project.videofile.cache_dir();
    // What a full build needs now, with the default profile and with the one asked for.
    let mut live = project.needed_keys()?;
    let default = Invocation {
        profile: None,
        ignore_profile_variable: true,
        ..invocation.clone()
    };
    live.extend(Project::load(file, &default)?.needed_keys()?);
    let store = project.store(!dry_run)?;
    let _lock = if dry_run { None } else { Some(store.lock()?) };
    let reports = history::reports(&cache_dir);
    // What the last build used stays too, whatever it was built with.
    live.extend(LastKeys::load(&cache_dir).keys());
    let keep = project.videofile.cache.reports;
    let summary = gc::collect(&store, &reports, &live, policy, keep, dry_run)?;
    for stranger in &summary.strangers {
        log::warn!(
            "left {}: vbuild did not make it (remove it yourself if it is not needed)",
            shell.path(stranger)
        );
    }
    let mut out = String::new();
    let verb = if dry_run {
        for node in &summary.removed_nodes {
            out.push_str(&format!("would remove the cache entry of {node}\n"));
        }
        for path in &summary.removed_files {
            out.push_str(&format!("would remove {}\n", shell.path(path)));
        }
        "would remove"
    } else {
        "removed"
    };
    out.push_str(&format!(
        "vbuild: gc {verb} {} entries, {} files ({}) and {} build reports; kept {} entries ({})\n",
        summary.entries_removed,
        summary.blobs_removed,
        size::human(summary.bytes_freed),
        summary.reports_removed,
        summary.entries_kept,
        size::human(summary.bytes_kept)
    ));
    Ok(Said::ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::build::{self, tests::args};
    use crate::cli::fixture::{course, invocation, load, shell};

    #[test]
    fn gc_keeps_what_the_course_needs_and_removes_an_edited_slides_old_work() {
        let (dir, project) = course("");
        let file = dir.path().join("Videofile");
        build::command(&shell(false), &args(&[]), &project).unwrap();
        let gc = |project: &Project, dry_run| {
            command(
                &shell(false),
                project,
                &file,
                &invocation(&[]),
                Policy::Unused,
                dry_run,
            )
            .unwrap()
        };
        let nothing = gc(&project, false);
        assert!(
            nothing
                .out
                .starts_with("vbuild: gc removed 0 entries, 0 files (0 B)"),
            "{}",
            nothing.out
        );
        let lecture = dir.path().join("lecture.md");
        let text = std::fs::read_to_string(&lecture).unwrap();
        std::fs::write(
            &lecture,
            text.replace("The sun pulls too.", "The sun pulls less."),
        )
        .unwrap();
        let edited = load(dir.path(), &[]);
        // The last build's work is kept until a build no longer uses it.
        let kept = gc(&edited, true);
        assert!(
            kept.out.starts_with("vbuild: gc would remove 0 entries"),
            "{}",
            kept.out
        );
        build::command(&shell(false), &args(&[]), &edited).unwrap();
        let listed = gc(&edited, true);
        assert!(
            listed
                .out
                .contains("would remove the cache entry of audio:02-sun/01\n"),
            "{}",
            listed.out
        );
        assert!(!listed.out.contains("01-moon"), "{}", listed.out);
        assert!(
            listed.out.contains("vbuild: gc would remove "),
            "{}",
            listed.out
        );
        let removed = gc(&edited, false);
        let would = listed
            .out
            .lines()
            .last()
            .unwrap()
            .replace("would remove", "removed");
        assert_eq!(removed.out.lines().last().unwrap(), would);
        let again = gc(&edited, true);
        assert!(
            again.out.starts_with("vbuild: gc would remove 0 entries"),
            "{}",
            again.out
        );
    }
}
