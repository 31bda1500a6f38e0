//! The action cache's index (`.vbuild/index`): every action entry as one line, so that a build reads one
//! file instead of one per node (as ninja reads one log). A line is the entry's key, its file's stamp (size,
//! modification time, inode) and the entry as compact JSON, which is parsed only when the entry is looked
//! up. It is a cache of the entry files, never the truth: a line is used only while its entry file's stamp
//! is what the line recorded (a changed or damaged file is read again), and a missing or torn index only
//! costs reading the files, which refills it. Lines are appended (a later line for the same key wins); a
//! build that finds twice as many lines as entries writes it anew (atomically).

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{ActionEntry, write_atomic};
use crate::digest::Digest;
use crate::stamp::Stamp;

/// Where a line's entry is and the stamp its file had.
#[derive(Debug, Clone)]
struct Line {
    stamp: Stamp,
    /// The entry's JSON in [`Index::text`].
    json: Range<usize>,
}

/// The index, loaded.
#[derive(Debug, Default)]
pub(super) struct Index {
    path: PathBuf,
    /// The file's text as it was read.
    text: Vec<u8>,
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
        let mut index = Index {
            text: fs::read(&path).unwrap_or_default(),
            path,
            writable,
            ..Index::default()
        };
        let mut start = 0;
        while start < index.text.len() {
            let end = (index.text[start..].iter().position(|&b| b == b'\n'))
                .map_or(index.text.len(), |at| start + at);
            if end > start {
                index.written += 1;
                index.note(start..end);
            }
            start = end + 1;
        }
        if writable && index.written > 2 * index.lines.len() + 64 {
            index.rewrite();
        }
        index
    }

    /// Files the line at `range` of the text under its key, if its head (key and stamp) reads.
    fn note(&mut self, range: Range<usize>) {
        let line = &self.text[range.clone()];
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
        let json_len = fields.next().map_or(0, <[u8]>::len);
        let json = range.end - json_len..range.end;
        self.lines.insert(key, Line { stamp, json });
    }

    /// The entry of `key` as its file (`file`) holds it now, if the index knows it.
    pub(super) fn get(&self, key: &Digest, file: &Path) -> Option<ActionEntry> {
        let line = self.lines.get(key)?;
        if Stamp::of(file) != Some(line.stamp) {
            return None;
        }
        let entry: ActionEntry = serde_json::from_slice(&self.text[line.json.clone()]).ok()?;
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
        let mut line = format!(
            "{} {} {} {} ",
            entry.key, stamp.size, stamp.modified_ns, stamp.inode
        )
        .into_bytes();
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
        for line in self.lines.values_mut() {
            let start = text.len();
            let head_start = self.text[..line.json.start - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |at| at + 1);
            text.extend(&self.text[head_start..line.json.end]);
            line.json = start + (line.json.start - head_start)..text.len();
            text.push(b'\n');
        }
        match write_atomic(&self.path, &text) {
            Ok(()) => self.written = self.lines.len(),
            Err(err) => log::debug!("index {}: {err}", self.path.display()),
        }
        self.text = text;
    }
}

/// Forgets the index under `root` (after entries were removed: gc, repairs); the next build refills it.
pub fn forget(root: &Path) -> std::io::Result<()> {
    match fs::remove_file(root.join("index")) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}
