//! The action cache's index (`.vbuild/index`): every action entry as one line, so that a build reads one
//! file instead of one per node (as ninja reads one log). A line is the entry's key, its file's stamp (size,
//! modification time, inode) and the entry as compact JSON, which is parsed only when the entry is looked
//! up. It is a cache of the entry files, never the truth: a line is used only while its entry file's stamp
//! is what the line recorded (a changed or damaged file is read again), and a missing or torn index only
//! costs reading the files, which refills it. Lines are appended (a later line for the same key wins); a
//! build that finds twice as many lines as entries writes it anew (atomically).
//!
//! A build looks each key up once and then holds the entry itself, so a look-up hands the line over: the
//! index read is not held a second time beside the entries taken from it.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::ActionEntry;
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic;
use crate::sys::stamp::Stamp;

/// A line's entry, not parsed yet, and the stamp its file had.
#[derive(Debug)]
struct Line {
    stamp: Stamp,
    json: Box<[u8]>,
}

/// The index, loaded.
#[derive(Debug, Default)]
pub(super) struct Index {
    path: PathBuf,
    /// The lines read and not looked up yet, by key.
    lines: HashMap<Digest, Line>,
    /// Lines in the file (superseded ones too).
    written: usize,
    /// Appending is allowed (not in a dry run).
    writable: bool,
}

impl Index {
    /// Reads the index under `root`, a line at a time; lines that do not parse (a torn last line) are
    /// skipped.
    pub(super) fn load(root: &Path, writable: bool) -> Index {
        let path = root.join("index");
        let mut index = Index {
            path,
            writable,
            ..Index::default()
        };
        if let Ok(file) = crate::sys::files::open(&index.path, crate::sys::files::CACHE_BYTES) {
            let mut reader = BufReader::new(file);
            let mut text = Vec::new();
            while matches!(reader.read_until(b'\n', &mut text), Ok(read) if read > 0) {
                let line = text.strip_suffix(b"\n").unwrap_or(&text);
                if !line.is_empty() {
                    index.written += 1;
                    index.note(line);
                }
                text.clear();
            }
        }
        if writable && index.written > 2 * index.lines.len() + 64 {
            index.rewrite();
        }
        index
    }

    /// Files `line` under its key, if its head (key and stamp) reads.
    fn note(&mut self, line: &[u8]) {
        let mut fields = line.splitn(5, |&b| b == b' ');
        let mut next = || std::str::from_utf8(fields.next()?).ok();
        let head = (|| {
            let key = Digest::parse(next()?).ok()?;
            let stamp = Stamp {
                size: next()?.parse().ok()?,
                modified_ns: next()?.parse().ok()?,
                inode: next()?.parse().ok()?,
            };
            Some((key, stamp))
        })();
        let Some((key, stamp)) = head else {
            return;
        };
        let json = fields.next().unwrap_or_default().into();
        self.lines.insert(key, Line { stamp, json });
    }

    /// The entry of `key` as its file (`file`) holds it now, if the index knows it. The line is handed
    /// over: a second look-up of the key reads the entry's file.
    pub(super) fn take(&mut self, key: &Digest, file: &Path) -> Option<ActionEntry> {
        let line = self.lines.remove(key)?;
        if Stamp::of(file) != Some(line.stamp) {
            return None;
        }
        let entry: ActionEntry = serde_json::from_slice(&line.json).ok()?;
        (entry.key == *key).then_some(entry)
    }

    /// Appends a line for the entry whose file `file` was just read or written.
    pub(super) fn add(&mut self, entry: &ActionEntry, file: &Path) {
        let Some(stamp) = Stamp::of(file).filter(|_| self.writable) else {
            return;
        };
        let without_signature = ActionEntry {
            signature: Vec::new(),
            ..entry.clone()
        };
        let json = serde_json::to_vec(&without_signature).expect("entries serialise");
        let mut line = head(&entry.key, &stamp).into_bytes();
        line.extend(json);
        line.push(b'\n');
        // One write of a whole line: a crash leaves at worst a torn last line, which is skipped. The line is
        // for the next build: this one holds what it ran or read, and keeps in memory only what it loaded.
        let appended = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&line));
        match appended {
            Ok(()) => self.written += 1,
            Err(err) => log::debug!("index {}: {err}", self.path.display()),
        }
    }

    /// Writes the index anew with one line per entry.
    fn rewrite(&mut self) {
        let mut text = Vec::new();
        for (key, line) in &self.lines {
            text.extend(head(key, &line.stamp).as_bytes());
            text.extend(&line.json);
            text.push(b'\n');
        }
        match write_atomic(&self.path, &text) {
            Ok(()) => self.written = self.lines.len(),
            Err(err) => log::debug!("index {}: {err}", self.path.display()),
        }
    }
}

/// A line's head: the key and its entry file's stamp, each followed by a space.
fn head(key: &Digest, stamp: &Stamp) -> String {
    format!(
        "{key} {} {} {} ",
        stamp.size, stamp.modified_ns, stamp.inode
    )
}

/// Forgets the index under `root` (after entries were removed: gc, repairs); the next build refills it.
pub fn forget(root: &Path) -> std::io::Result<()> {
    match fs::remove_file(root.join("index")) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}
