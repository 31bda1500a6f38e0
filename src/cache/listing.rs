//! The blobs a build has seen in `cas/`: one listing of the shard folders (a directory read says each name's
//! file type) instead of one `stat` per output of every cached node. It only ever answers "present": a blob
//! it does not list (one stored since, or a shard folder it could not read) is looked up on disk. Blobs are
//! removed only under the build lock (gc, verify) or by the build itself (a corrupt blob, which it forgets
//! here), so the listing stays true for the build that read it.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// The regular files found under `cas/` when the build first asked.
#[derive(Debug, Default)]
pub(super) struct Listing {
    files: HashSet<Box<str>>,
}

impl Listing {
    /// Lists the regular files in the shard folders under `cas` (a folder or a link to one).
    pub(super) fn read(cas: &Path) -> Listing {
        let mut files = HashSet::new();
        let shards = fs::read_dir(cas).into_iter().flatten().flatten();
        for shard in shards.filter(|s| s.file_type().is_ok_and(|t| t.is_dir())) {
            let blobs = fs::read_dir(shard.path()).into_iter().flatten().flatten();
            for blob in blobs.filter(|b| b.file_type().is_ok_and(|t| t.is_file())) {
                if let Some(name) = blob.file_name().to_str() {
                    files.insert(name.into());
                }
            }
        }
        Listing { files }
    }

    /// The blob called `name` was a regular file when the listing was read.
    pub(super) fn has(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// Forgets a blob that was removed.
    pub(super) fn forget(&mut self, name: &str) {
        self.files.remove(name);
    }
}
