//! The seal of a build that found everything done: a digest of what every node key is made from (the
//! Videofile, the sources, their images, the tools and vbuild itself) and the stamps of
//! everything it relied on in the cache (the index, every entry file it used, the blob folders) and in the
//! output folder (every file it wrote). While both still hold, the next build would walk the same graph to
//! the same keys and find the same entries, blobs and files, so it tells "everything done" from the seal
//! alone, with one stat per file instead of a key per node. Anything else (an edited lecture, a new binary,
//! an entry or a blob touched, an output removed) breaks the seal and the build walks the graph, which seals
//! again only when it, too, found everything done. Dry runs, `-B` and builds of some targets always walk.
//!
//! A stamp (size, modification time, inode) can miss a change made within the file system's clock tick, so
//! a seal is written only when every file it stamps is older than [`SETTLED`] (as git treats "racy" entries).

use std::fmt::Debug;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::cache::{Store, StoreError, io_error};
use crate::record::report::Report;
use crate::steps::Context;
use crate::sys::digest::Digest;
use crate::sys::fs::{remove_any, write_atomic};
use crate::sys::secrets;
use crate::sys::stamp::Stamp;

/// How old every stamped file must be for a seal to be written.
const SETTLED: Duration = Duration::from_secs(1);

/// The seal file, in the cache folder.
const FILE: &str = "seal";

/// The digest of what the keys of a build's nodes are made from: its context (but the provider clients,
/// which hold keys and sign nothing) and the stamp of the running vbuild (a new build of it may make other
/// keys). Only builds of the whole course are sealed, so no targets enter it.
pub fn inputs(ctx: &Context) -> Digest {
    let mut hasher = blake3::Hasher::new();
    let mut add = |part: &[u8]| {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    };
    let debug = |value: &dyn Debug| format!("{value:?}");
    let vbuild = std::env::current_exe().ok().and_then(|exe| Stamp::of(&exe));
    add(debug(&vbuild).as_bytes());
    add(debug(ctx.videofile).as_bytes());
    add(debug(ctx.images).as_bytes());
    add(debug(ctx.tools).as_bytes());
    add(ctx.script_template.as_bytes());
    add(debug(ctx.titles).as_bytes());
    // A chapter's parse is a function of its Markdown and the settings above.
    for chapter in ctx.chapters {
        add(debug(&(chapter.number, &chapter.id, &chapter.language)).as_bytes());
        add(chapter.markdown.as_bytes());
        for (language, translated) in &chapter.translations {
            add(debug(&(language, &translated.file)).as_bytes());
            add(translated.markdown.as_bytes());
        }
    }
    Digest::from_hash(hasher.finalize())
}

/// The seal as written: the inputs' digest, the files relied on (as the build named them) with the digest
/// of their stamps, and the report of the build that wrote it (borrowed to write, owned when read).
#[derive(Serialize, Deserialize)]
struct Written<R> {
    inputs: Digest,
    stamps: Digest,
    files: Vec<PathBuf>,
    report: R,
}

/// The digest of the stamps of `files` (a missing file counts as such), if every one is older than
/// `settled_before` (when given).
fn stamps(files: &[PathBuf], settled_before: Option<SystemTime>) -> Option<Digest> {
    let mut hasher = blake3::Hasher::new();
    let settled_ns = settled_before.map(|time| {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as i64
    });
    for file in files {
        match Stamp::of(file) {
            Some(stamp) if settled_ns.is_some_and(|settled| stamp.modified_ns >= settled) => {
                return None;
            }
            Some(stamp) => {
                hasher.update(&[1]);
                hasher.update(&stamp.size.to_le_bytes());
                hasher.update(&stamp.modified_ns.to_le_bytes());
                hasher.update(&stamp.inode.to_le_bytes());
            }
            None => {
                hasher.update(&[0]);
            }
        }
    }
    Some(Digest::from_hash(hasher.finalize()))
}

/// The cache files a build that used the entries of `keys` relied on: the index, those entry files, and
/// the blob folders (a blob added or removed changes its folder's stamp).
fn cache_files(store: &Store, keys: &[&Digest]) -> Vec<PathBuf> {
    let root = store.root();
    let mut files = vec![root.join("index"), root.join("cas")];
    let mut shards: Vec<PathBuf> = fs::read_dir(root.join("cas"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|shard| shard.path())
        .collect();
    shards.sort();
    files.extend(shards);
    files.extend(keys.iter().map(|key| root.join(Store::action_file(key))));
    files
}

/// Seals the build that found everything done with the inputs of digest `inputs`, using the entries of
/// `keys` and leaving the files `outputs` in the output folder; its report was `report` (without its nodes,
/// as a no-op's is saved). A build that ran or lacked anything removes the seal instead ([`break_seal`]).
pub fn write(
    store: &Store,
    inputs: &Digest,
    keys: &[&Digest],
    outputs: &[PathBuf],
    report: &Report,
) -> Result<(), StoreError> {
    let mut files = cache_files(store, keys);
    files.extend(outputs.iter().cloned());
    let settled = SystemTime::now() - SETTLED;
    let Some(stamps) = stamps(&files, Some(settled)) else {
        log::debug!("not sealed: a file it relies on changed too recently");
        return break_seal(store);
    };
    let written = Written {
        inputs: inputs.clone(),
        stamps,
        files,
        report,
    };
    let json = serde_json::to_string(&written).expect("a seal serialises");
    Ok(write_atomic(
        &store.root().join(FILE),
        secrets::redact(&json).as_bytes(),
    )?)
}

/// Removes the seal (a build that ran, failed or was asked to run things again).
pub fn break_seal(store: &Store) -> Result<(), StoreError> {
    let path = store.root().join(FILE);
    remove_any(&path).map_err(io_error(&path))
}

/// The report of the sealed build if the seal holds for the inputs of digest `inputs`: what it found is
/// what a walk of the graph would find now.
pub fn holds(store: &Store, inputs: &Digest) -> Option<Report> {
    let bytes =
        crate::sys::files::read(&store.root().join(FILE), crate::sys::files::CACHE_BYTES).ok()?;
    let written: Written<Report> = serde_json::from_slice(&bytes).ok()?;
    if written.inputs != *inputs {
        log::debug!("the seal is broken: the course, its tools or vbuild changed");
        return None;
    }
    if stamps(&written.files, None)? != written.stamps {
        log::debug!("the seal is broken: a file in the cache or the output folder changed");
        return None;
    }
    Some(written.report)
}
