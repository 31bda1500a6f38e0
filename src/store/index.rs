//! The action cache's index (`.vbuild/index`): every action entry as one line of compact JSON, with the
//! stamp of its file under `actions/`, so that a build reads one file instead of one per node (as ninja
//! reads one log). It is a cache of the entry files, never the truth: a line is used only while its entry
//! file's stamp is what the line recorded (a changed or damaged file is read again), and a missing or torn
//! index only costs reading the files, which refills it. Lines are appended (a later line for the same key
//! wins); a build that finds twice as many lines as entries writes it anew (atomically).

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ActionEntry, write_atomic};
use crate::digest::Digest;
use crate::stamp::Stamp;

/// One line: an entry (without the signature, which stays in its file) and its file's stamp.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    stamp: Stamp,
    entry: ActionEntry,
}

/// The index, loaded.
#[derive(Debug, Default)]
pub(super) struct Index {
    path: PathBuf,
    lines: HashMap<Digest, Line>,
    /// Lines in the file (superseded ones too).
    written: usize,
    /// Appending is allowed (not in a dry run).
    writable: bool,
}

impl Index {
    /// Reads the index under `root`; lines that do not parse (a torn last line) are skipped.
    pub(super) fn load(root: &Path, writable: bool) -> Index {
        let path = root.join("index");
        let text = fs::read(&path).unwrap_or_default();
        let mut lines = HashMap::new();
        let mut written = 0;
        for raw in text.split(|&b| b == b'\n') {
            if raw.is_empty() {
                continue;
            }
            written += 1;
            if let Ok(line) = serde_json::from_slice::<Line>(raw) {
                lines.insert(line.entry.key.clone(), line);
            }
        }
        let mut index = Index {
            path,
            lines,
            written,
            writable,
        };
        if writable && index.written > 2 * index.lines.len() + 64 {
            index.rewrite();
        }
        index
    }

    /// The entry of `key` as its file (`file`) holds it now, if the index knows it.
    pub(super) fn get(&self, key: &Digest, file: &Path) -> Option<ActionEntry> {
        let line = self.lines.get(key)?;
        (Stamp::of(file) == Some(line.stamp)).then(|| line.entry.clone())
    }

    /// Notes the entry whose file `file` was just read or written.
    pub(super) fn add(&mut self, entry: &ActionEntry, file: &Path) {
        let Some(stamp) = Stamp::of(file) else {
            return;
        };
        let line = Line {
            stamp,
            entry: ActionEntry {
                signature: Vec::new(),
                ..entry.clone()
            },
        };
        if self.writable {
            let mut json = serde_json::to_vec(&line).expect("index lines serialise");
            json.push(b'\n');
            // One write of a whole line: a crash leaves at worst a torn last line, which is skipped.
            let appended = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .and_then(|mut file| file.write_all(&json));
            match appended {
                Ok(()) => self.written += 1,
                Err(err) => log::debug!("index {}: {err}", self.path.display()),
            }
        }
        self.lines.insert(entry.key.clone(), line);
    }

    /// Writes the index anew with one line per entry.
    fn rewrite(&mut self) {
        let mut json = Vec::new();
        for line in self.lines.values() {
            json.extend(serde_json::to_vec(line).expect("index lines serialise"));
            json.push(b'\n');
        }
        match write_atomic(&self.path, &json) {
            Ok(()) => self.written = self.lines.len(),
            Err(err) => log::debug!("index {}: {err}", self.path.display()),
        }
    }
}

/// Forgets the index under `root` (after entries were removed: gc, repairs); the next build refills it.
pub fn forget(root: &Path) -> std::io::Result<()> {
    match fs::remove_file(root.join("index")) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}
