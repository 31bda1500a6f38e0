//! The output folder: final artifacts copied out of the cache under readable names.
//!
//! Files are copied (not hard-linked) so that editing an output can never corrupt the cache; a file already
//! holding the right bytes is left alone, so a no-op build writes nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::engine::Outcome;
use crate::lecture::{ChapterSource, slug};
use crate::store::{Store, StoreError, hash_file, io_error, write_atomic};
use crate::videofile::Videofile;

/// Copies blob `hash` to `dest` unless `dest` already holds it; the copy lands atomically.
fn place(store: &Store, hash: &str, dest: &Path) -> Result<(), StoreError> {
    if dest.is_file() && hash_file(dest)? == hash {
        return Ok(());
    }
    let source = store.verified_blob(hash)?;
    let parent = dest.parent().expect("outputs have a parent folder");
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let partial = parent.join(format!(
        ".{}.partial",
        dest.file_name()
            .expect("outputs have a name")
            .to_string_lossy()
    ));
    fs::copy(&source, &partial).map_err(io_error(&partial))?;
    // The cache's blobs are read-only; the user's copy is an ordinary file.
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o644)).map_err(io_error(&partial))?;
    fs::rename(&partial, dest).map_err(io_error(dest))
}

/// The course files' path without extension: `OUTPUT/<course-title-slug>`.
pub fn course_base(videofile: &Videofile) -> PathBuf {
    videofile.output_dir().join(slug(&videofile.course.title))
}

/// Writes the finished outputs of `outcome` to the output folder; returns the paths written or kept.
/// With `prune` (a build of the whole course), files earlier builds wrote that this one did not are removed.
pub fn materialise(
    videofile: &Videofile,
    chapters: &[ChapterSource],
    outcome: &Outcome,
    store: &Store,
    prune: bool,
) -> Result<Vec<PathBuf>, StoreError> {
    let out = videofile.output_dir();
    let plan = &outcome.plan;
    let mut wanted: Vec<(String, PathBuf)> = Vec::new();
    let subtitle_files =
        |base: &Path, entry: &crate::store::ActionEntry, wanted: &mut Vec<(String, PathBuf)>| {
            for format in &videofile.video.subtitles {
                let ext = format.extension();
                wanted.push((entry.output(ext).to_string(), base.with_extension(ext)));
            }
        };
    for (chapter, nodes) in chapters.iter().zip(&plan.chapters) {
        if let Some(entry) = outcome.entry(nodes.script) {
            wanted.push((
                entry.output("script").to_string(),
                out.join("scripts").join(format!("{}.json", chapter.id)),
            ));
        }
        let base = out.join("chapters").join(&chapter.id);
        if let Some(entry) = outcome.entry(nodes.video) {
            wanted.push((entry.output("mp4").to_string(), base.with_extension("mp4")));
        }
        if let Some(entry) = outcome.entry(nodes.subtitles) {
            subtitle_files(&base, entry, &mut wanted);
        }
    }
    let base = course_base(videofile);
    if let Some(entry) = outcome.entry(plan.course_video) {
        wanted.push((entry.output("mp4").to_string(), base.with_extension("mp4")));
    }
    if let Some(entry) = outcome.entry(plan.course_subtitles) {
        subtitle_files(&base, entry, &mut wanted);
        wanted.push((
            entry.output("chapters").to_string(),
            base.with_extension("chapters.vtt"),
        ));
    }
    for (hash, dest) in &wanted {
        place(store, hash, dest)?;
    }
    let written: Vec<PathBuf> = wanted.into_iter().map(|(_, dest)| dest).collect();
    if prune {
        remove_outputs(videofile, store, &written)?;
    } else {
        let mut kept = previous_outputs(videofile, store);
        kept.retain(|p| !written.contains(p));
        kept.extend(written.iter().cloned());
        save_outputs(videofile, store, &kept)?;
    }
    Ok(written)
}

/// Removes every output file the last build wrote (and the folders that leaves empty); the cache stays.
pub fn clean(videofile: &Videofile, store: &Store) -> Result<usize, StoreError> {
    remove_outputs(videofile, store, &[])
}

/// The list of files the last build wrote to the output folder, relative to the project folder.
fn manifest_path(store: &Store) -> PathBuf {
    store.root().join("outputs.json")
}

/// Removes the files the previous build wrote that are not in `keep` (a chapter renamed or removed), then
/// records `keep` as what this build wrote. Only files vbuild itself wrote are ever removed, wherever the
/// output folder is.
fn remove_outputs(
    videofile: &Videofile,
    store: &Store,
    keep: &[PathBuf],
) -> Result<usize, StoreError> {
    let mut removed = 0;
    for stale in previous_outputs(videofile, store)
        .into_iter()
        .filter(|p| !keep.contains(p))
    {
        if stale.is_file() {
            log::info!("removing {}", stale.display());
            fs::remove_file(&stale).map_err(io_error(&stale))?;
            removed += 1;
        }
        // Folders vbuild made and emptied go too; a folder that still holds anything stays.
        let out = videofile.output_dir();
        let mut folder = stale.parent();
        while let Some(dir) = folder.filter(|d| d.starts_with(&out)) {
            if fs::remove_dir(dir).is_err() {
                break;
            }
            folder = dir.parent();
        }
    }
    save_outputs(videofile, store, keep)?;
    Ok(removed)
}

/// The files earlier builds wrote, from the manifest.
fn previous_outputs(videofile: &Videofile, store: &Store) -> Vec<PathBuf> {
    let relative: Vec<PathBuf> = fs::read(manifest_path(store))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    relative
        .iter()
        .map(|p| videofile.project_dir.join(p))
        .collect()
}

/// Records `written` as the files builds have written.
fn save_outputs(
    videofile: &Videofile,
    store: &Store,
    written: &[PathBuf],
) -> Result<(), StoreError> {
    let project = &videofile.project_dir;
    let relative: Vec<&Path> = written
        .iter()
        .map(|p| p.strip_prefix(project).unwrap_or(p))
        .collect();
    let json = serde_json::to_vec_pretty(&relative).expect("paths serialise");
    write_atomic(&manifest_path(store), &json)
}
