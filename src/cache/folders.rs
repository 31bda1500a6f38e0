//! The cache's own folders and the names vbuild makes in them: what gc, verify and the build may remove or
//! write there, and nothing else.
//!
//! `.vbuild/` and its folders may be links to folders elsewhere (a cache moved to a bigger disk). Before
//! anything is written to or removed from a linked folder, it must be proven the cache's own: it carries the
//! mark vbuild leaves in a folder it adopted ([`MARK`]), or it is empty, or everything in it has a name vbuild
//! gives there (a cache moved by hand). A folder holding anything else (a user's documents, `/`) is refused
//! with an error naming the link and what was found, so no build writes there and no gc removes from it.

use std::fs;
use std::path::{Path, PathBuf};

use super::StoreError;
use crate::sys::digest::Digest;

/// The file that marks a folder reached through a link as one of the cache's own.
pub const MARK: &str = ".vbuild-cache";

/// What the mark says, for a person who finds it.
const MARK_TEXT: &str =
    "This folder is part of a vbuild cache (.vbuild/). vbuild writes and removes files here.\n";

/// One of the cache's folders, by what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// `.vbuild/` itself.
    Root,
    /// `cas/`: two-digit shard folders of blobs named by their digest.
    Blobs,
    /// `actions/`: two-digit shard folders of `KEY.json` entries.
    Entries,
    /// `tmp/`: scratch, emptied by every build.
    Scratch,
    /// `builds/`: build reports.
    Reports,
}

/// The files and folders vbuild makes directly in `.vbuild/`.
const ROOT_NAMES: [&str; 12] = [
    "cas",
    "actions",
    "tmp",
    "builds",
    "lock",
    "index",
    "seal",
    "nodes.json",
    "outputs.json",
    "stats.json",
    "tools.json",
    MARK,
];

impl Folder {
    /// The cache folders under `.vbuild/`, by their names there.
    pub const UNDER_ROOT: [(&str, Folder); 4] = [
        ("cas", Folder::Blobs),
        ("actions", Folder::Entries),
        ("tmp", Folder::Scratch),
        ("builds", Folder::Reports),
    ];

    /// True when vbuild gives the name `name` to something directly in this folder.
    pub fn holds(self, name: &str) -> bool {
        if name == MARK || is_scratch_name(name) {
            return true;
        }
        match self {
            Folder::Root => ROOT_NAMES.contains(&name),
            Folder::Blobs | Folder::Entries => is_shard(name),
            Folder::Scratch => name.starts_with("node-"),
            Folder::Reports => name
                .strip_suffix(".json")
                .is_some_and(|id| id == "latest" || is_report_id(id)),
        }
    }
}

/// True for a build report's id: its start time and process, `20261203T062652Z-30888`.
pub fn is_report_id(id: &str) -> bool {
    let Some((time, process)) = id.split_once("Z-") else {
        return false;
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let (date, clock) = time.split_once('T').unwrap_or_default();
    date.len() == 8 && clock.len() == 6 && digits(date) && digits(clock) && digits(process)
}

/// True for a shard folder's name: two lowercase hex digits.
pub fn is_shard(name: &str) -> bool {
    name.len() == 2
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True for the name of a file an atomic write of vbuild's left behind (a killed build): `.tmpXXXXXX`.
pub fn is_scratch_name(name: &str) -> bool {
    name.strip_prefix(".tmp")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The blob digest a file called `name` in shard folder `shard` of `cas/` holds, if vbuild gave it that name.
pub fn blob_name(shard: &str, name: &str) -> Option<Digest> {
    Digest::parse(name).ok().filter(|d| d.shard() == shard)
}

/// The key of the entry a file called `name` in shard folder `shard` of `actions/` holds, if vbuild gave it
/// that name.
pub fn entry_name(shard: &str, name: &str) -> Option<Digest> {
    let key = name.strip_suffix(".json")?;
    Digest::parse(key).ok().filter(|d| d.shard() == shard)
}

/// Checks that the cache at `root` and its folders are the cache's own wherever they are links (see the
/// module's comment). With `adopt`, a linked folder proven the cache's gets the mark, so a later check is a
/// look at one file.
pub fn check(root: &Path, adopt: bool) -> Result<(), StoreError> {
    check_folder(root, Folder::Root, adopt)?;
    for (name, folder) in Folder::UNDER_ROOT {
        check_folder(&root.join(name), folder, adopt)?;
    }
    Ok(())
}

fn check_folder(path: &Path, folder: Folder, adopt: bool) -> Result<(), StoreError> {
    let linked = fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
    if !linked || !fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        // A real folder inside the cache is its own; anything else in a folder's place is replaced.
        return Ok(());
    }
    let mark = path.join(MARK);
    if fs::symlink_metadata(&mark).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    let mut strangers: Vec<String> = Vec::new();
    for item in fs::read_dir(path).map_err(super::io_error(path))? {
        let name = item.map_err(super::io_error(path))?.file_name();
        let name = name.to_string_lossy();
        if !folder.holds(&name) {
            strangers.push(name.into_owned());
        }
    }
    strangers.sort();
    if let Some(first) = strangers.first() {
        return Err(StoreError::Foreign {
            link: path.to_path_buf(),
            target: fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            found: first.clone(),
            more: strangers.len() - 1,
        });
    }
    if adopt {
        fs::write(&mark, MARK_TEXT).map_err(super::io_error(&mark))?;
    }
    Ok(())
}

/// The items of a two-level shelf (`cas/` or `actions/`) by their shard folders, and what vbuild did not
/// name there. `named` tells the digest a file's name stands for in a shard ([`blob_name`], [`entry_name`]).
/// A shard "folder" that is not a real folder is listed empty: a link is never followed.
pub fn shelf(root: &Path, named: fn(&str, &str) -> Option<Digest>) -> Shelf {
    let mut shelf = Shelf::default();
    let Ok(read) = fs::read_dir(root) else {
        return shelf;
    };
    for item in read.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let path = item.path();
        if name == MARK {
            continue;
        }
        if !is_shard(&name) {
            shelf.strangers.push(path);
            continue;
        }
        let is_dir = item.file_type().is_ok_and(|t| t.is_dir());
        let mut items: Vec<ShelfItem> = Vec::new();
        for file in (fs::read_dir(&path).into_iter().flatten().flatten()).filter(|_| is_dir) {
            let file_name = file.file_name().to_string_lossy().into_owned();
            let key = match named(&name, &file_name) {
                Some(digest) => Some(digest),
                None if is_scratch_name(&file_name) => None,
                None => {
                    shelf.strangers.push(file.path());
                    continue;
                }
            };
            items.push(ShelfItem {
                path: file.path(),
                key,
                is_file: file.file_type().is_ok_and(|t| t.is_file()),
            });
        }
        items.sort_by(|a, b| a.path.cmp(&b.path));
        shelf.shards.push(Shard {
            path,
            is_dir,
            items,
        });
    }
    shelf.shards.sort_by(|a, b| a.path.cmp(&b.path));
    shelf.strangers.sort();
    shelf
}

/// `cas/` or `actions/`, listed.
#[derive(Debug, Default)]
pub struct Shelf {
    /// What has a shard folder's name.
    pub shards: Vec<Shard>,
    /// What has a name vbuild does not give there (but the mark), in the shelf or in its shards.
    pub strangers: Vec<PathBuf>,
}

/// A shard folder of `cas/` or `actions/` (or something else under a shard's name).
#[derive(Debug)]
pub struct Shard {
    pub path: PathBuf,
    /// A real folder (not a link, not a file).
    pub is_dir: bool,
    /// What it holds that vbuild named.
    pub items: Vec<ShelfItem>,
}

/// Something vbuild named in a shard folder.
#[derive(Debug)]
pub struct ShelfItem {
    pub path: PathBuf,
    /// The blob or entry its name stands for; `None` for what an atomic write left ([`is_scratch_name`]).
    pub key: Option<Digest>,
    /// A regular file (not a link, not a folder).
    pub is_file: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_linked_folder_is_taken_only_when_empty_marked_or_the_caches_own() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".vbuild");
        fs::create_dir(&root).unwrap();
        // A moved cache: shard folders only. It is adopted and marked.
        let moved = dir.path().join("moved");
        fs::create_dir_all(moved.join("ab")).unwrap();
        symlink(&moved, root.join("cas")).unwrap();
        // A user's folder: refused, naming what it holds.
        let documents = dir.path().join("documents");
        fs::create_dir_all(documents.join("docs")).unwrap();
        symlink(&documents, root.join("actions")).unwrap();
        let refused = check(&root, true).unwrap_err();
        assert!(
            matches!(&refused, StoreError::Foreign { found, .. } if found == "docs"),
            "{refused}"
        );
        assert!(moved.join(MARK).is_file());
        assert_eq!(fs::read_dir(&documents).unwrap().count(), 1);
        // A dry run's check marks nothing.
        fs::remove_file(root.join("actions")).unwrap();
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        symlink(&empty, root.join("actions")).unwrap();
        check(&root, false).unwrap();
        assert!(!empty.join(MARK).exists());
        check(&root, true).unwrap();
        assert!(empty.join(MARK).is_file());
        // Once marked, whatever it holds is the cache's.
        fs::write(moved.join("notes.txt"), "x").unwrap();
        check(&root, true).unwrap();
    }

    #[test]
    fn names_vbuild_gives() {
        let digest = Digest::of(b"x");
        let (shard, name) = (digest.shard(), digest.as_str());
        assert_eq!(blob_name(shard, name), Some(digest.clone()));
        assert_eq!(blob_name("00", name).filter(|_| shard != "00"), None);
        assert_eq!(blob_name(shard, "a.txt"), None);
        assert!(entry_name(shard, &format!("{name}.json")).is_some());
        assert!(entry_name(shard, name).is_none());
        assert!(
            is_scratch_name(".tmpA1b2C3") && !is_scratch_name(".tmp") && !is_scratch_name("tmp1")
        );
        assert!(Folder::Root.holds("index") && !Folder::Root.holds("bin"));
        assert!(
            Folder::Blobs.holds("0f") && !Folder::Blobs.holds("docs") && !Folder::Blobs.holds("0F")
        );
        assert!(Folder::Reports.holds("20261203T062652Z-30888.json"));
        assert!(Folder::Reports.holds("latest.json") && !Folder::Reports.holds("budget.json"));
        assert!(Folder::Scratch.holds("node-a1B2c3") && !Folder::Scratch.holds("thesis.md"));
    }
}
