//! A file's stamp: its size, modification time and inode, as ninja and n2 record them. While a file's stamp
//! is what it was, its content is taken to be what it was, without reading it.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What a file's metadata says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since 1970.
    pub modified_ns: i64,
    pub inode: u64,
}

impl Stamp {
    /// The stamp of the file at `path` (links followed); `None` if there is none.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            size: meta.len(),
            modified_ns: meta
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.mtime_nsec()),
            inode: meta.ino(),
        })
    }
}
