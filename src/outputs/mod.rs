//! The output folder: final artifacts copied out of the cache under readable names.
//!
//! Files are copied (not hard-linked) so that editing an output can never corrupt the cache; a file already
//! holding the right bytes is left alone, so a no-op build writes nothing. The list of written files records
//! each one's content hash and stamp (size, modification time, inode): while its stamp holds, a file is known
//! to hold those bytes without being read, as ninja trusts its log. Outputs are replaced only by newer
//! good ones: a failed build leaves the previous outputs in place, and only a good build of the whole course
//! removes the files of chapters that no longer exist. vbuild removes only files it wrote (listed in
//! `.vbuild/outputs.json`), and of those only the ones that are, after resolving links, regular files inside
//! the output folder with the names vbuild gives its outputs.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::{Store, StoreError};
use crate::config::Videofile;
use crate::engine::Outcome;
use crate::graph::node::{Address, ChapterId, Edition, NodeKind, SlideId};
use crate::lecture::{ChapterSource, slug};
use crate::sys::digest::Digest;
use crate::sys::fs::write_atomic;
use crate::sys::stamp::Stamp;

/// Writing to the output folder failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("output {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// Reading the blob to copy, or the list of written files, failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a video from its layout failed.
    #[error("output {path}: {source}")]
    Video {
        path: PathBuf,
        source: crate::steps::StepError,
    },
    /// A folder vbuild makes in the output folder is a link (or a file): it is never written through.
    #[error(
        "{path} is {what}; vbuild makes this folder itself and writes there only when it is a real folder"
    )]
    NotAFolder { path: PathBuf, what: String },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The folders vbuild makes inside the output folder.
const SUBFOLDERS: [&str; 3] = ["chapters", "scripts", SLIDES];

/// Checks that the folders vbuild makes inside the output folder are real folders or not there yet (call
/// before any work): a link there is refused, never written through (its target is someone else's).
pub fn check_folders(videofile: &Videofile) -> Result<(), OutputError> {
    for edition in editions(videofile) {
        let dir = edition_dir(videofile, edition);
        if !edition.is_source() {
            own_folder(&dir)?;
        }
        for sub in SUBFOLDERS {
            own_folder(&dir.join(sub))?;
        }
    }
    Ok(())
}

/// Whether `dir` is a real folder (true), or not there (false); an error for a link or a file in its place.
fn own_folder(dir: &Path) -> Result<bool, OutputError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(true),
        Ok(meta) => {
            let what = if meta.is_symlink() {
                let target = fs::read_link(dir).unwrap_or_default();
                format!("a link to {}", target.display())
            } else {
                "a file".to_string()
            };
            Err(OutputError::NotAFolder {
                path: dir.to_path_buf(),
                what,
            })
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(OutputError::Io {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Makes the folder `dest` is written to: the output folder `out` (a link to a folder is the author's
/// choice) or one of the folders vbuild makes in it, which must be a real folder ([`own_folder`]).
fn make_parent(out: &Path, dest: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(out).map_err(io_error(out))?;
    let parent = dest.parent().expect("outputs have a parent folder");
    // Each folder from the output folder down (`slides`, then `slides/01-intro`).
    let inside = parent.strip_prefix(out).unwrap_or(Path::new(""));
    let mut folder = out.to_path_buf();
    for part in inside.components() {
        folder.push(part);
        if own_folder(&folder)? {
            continue;
        }
        match fs::create_dir(&folder) {
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                own_folder(&folder).map(drop)?
            }
            made => made.map_err(io_error(&folder))?,
        }
    }
    Ok(())
}

/// A file a build wrote, as the list of written files records it: its content and its stamp then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Written {
    path: PathBuf,
    hash: Digest,
    stamp: Stamp,
}

/// An entry of the list: a written file, or (lists older than stamps) only its path.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Listed {
    Written(Written),
    Path(PathBuf),
}

impl Listed {
    fn path(&self) -> &Path {
        match self {
            Listed::Written(w) => &w.path,
            Listed::Path(p) => p,
        }
    }
}

/// Writes `file` from its node's output `hash` (a copy of the blob, or the video its layout describes)
/// unless it already holds it (known by its recorded stamp, else, for a copy, by its hash); the file lands
/// atomically, and one that fails half-way (a full disk) leaves nothing behind. Returns what was written (or
/// found).
fn place(
    store: &Store,
    out: &Path,
    hash: &Digest,
    file: &OutputFile,
    known: Option<&Written>,
) -> Result<Written, OutputError> {
    let dest = file.path.as_path();
    let stamp = Stamp::of(dest).filter(|_| fs::symlink_metadata(dest).is_ok_and(|m| m.is_file()));
    let holds = match (stamp, known) {
        (Some(now), Some(known)) if known.hash == *hash && known.stamp == now => true,
        (Some(_), _) if !file.is_laid_out() => {
            Digest::of_file(dest).map_err(StoreError::from)? == *hash
        }
        _ => false,
    };
    if holds && let Some(stamp) = stamp {
        return Ok(Written {
            path: dest.to_path_buf(),
            hash: hash.clone(),
            stamp,
        });
    }
    make_parent(out, dest)?;
    let parent = dest.parent().expect("outputs have a parent folder");
    let partial = parent.join(format!(
        ".{}.partial",
        dest.file_name()
            .expect("outputs have a name")
            .to_string_lossy()
    ));
    let written = if file.is_laid_out() {
        crate::steps::write_video(store, file.kind, hash, &partial).map_err(|source| {
            OutputError::Video {
                path: dest.to_path_buf(),
                source,
            }
        })
    } else {
        store
            .verified_blob(hash)
            .map_err(OutputError::from)
            .and_then(|source| fs::copy(&source, &partial).map_err(io_error(&partial)))
            .map(drop)
    };
    let copied = written
        // The cache's blobs are read-only; the user's copy is an ordinary file.
        .and_then(|()| {
            fs::set_permissions(&partial, fs::Permissions::from_mode(0o644))
                .map_err(io_error(&partial))
        })
        .and_then(|()| fs::rename(&partial, dest).map_err(io_error(dest)));
    if copied.is_err() {
        let _ = fs::remove_file(&partial);
    }
    copied?;
    let stamp = Stamp::of(dest).ok_or_else(|| OutputError::Io {
        path: dest.to_path_buf(),
        source: io::Error::new(io::ErrorKind::NotFound, "gone right after it was written"),
    })?;
    Ok(Written {
        path: dest.to_path_buf(),
        hash: hash.clone(),
        stamp,
    })
}

/// The course files' path without extension: `OUTPUT/<course-title-slug>`.
pub fn course_base(videofile: &Videofile) -> PathBuf {
    edition_base(videofile, Edition::SOURCE)
}

/// An edition's course files' path without extension: `OUTPUT/<course-title-slug>` for the sources'
/// language, `OUTPUT/<language>/<course-title-slug>` for a translation's.
pub fn edition_base(videofile: &Videofile, edition: Edition) -> PathBuf {
    edition_dir(videofile, edition).join(slug(&videofile.course.title))
}

/// The folder an edition's outputs go to: the output folder for the sources' language, a folder named
/// after its language inside it for a translation.
pub fn edition_dir(videofile: &Videofile, edition: Edition) -> PathBuf {
    let out = videofile.output_dir();
    match edition {
        Edition::SOURCE => out,
        Edition(n) => out.join(&videofile.course.languages[n]),
    }
}

/// The course's editions, the sources' language first.
fn editions(videofile: &Videofile) -> impl Iterator<Item = Edition> {
    Edition::all(videofile.course.languages.len())
}

/// A file a full build writes to the output folder, and the node output it is a copy of.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub path: PathBuf,
    pub kind: NodeKind,
    pub at: Address,
    /// The node's output it is: `srt`, `script`, ..., or a video's `layout` (the file is written from it).
    pub output: &'static str,
}

impl OutputFile {
    /// True when the file is a video written from the layout its node made, not a copy of a blob.
    fn is_laid_out(&self) -> bool {
        self.output == "layout"
    }
}

/// Every file a full build of the course writes, in order, edition by edition: each chapter's script, video
/// and subtitles, then the course's video, subtitles and chapter marks.
pub fn layout(videofile: &Videofile, chapters: &[ChapterSource]) -> Vec<OutputFile> {
    let subtitles: Vec<&'static str> = videofile
        .video
        .subtitles
        .iter()
        .map(|format| format.extension())
        .collect();
    let mut files = Vec::new();
    let mut add = |path: PathBuf, kind, at, output| {
        files.push(OutputFile {
            path,
            kind,
            at,
            output,
        })
    };
    for edition in editions(videofile) {
        let out = edition_dir(videofile, edition);
        for (index, chapter) in chapters.iter().enumerate() {
            let at = Address::Chapter(ChapterId { edition, index });
            let scripts = out.join("scripts");
            add(
                scripts.join(format!("{}.json", chapter.id)),
                NodeKind::Script,
                at,
                "script",
            );
            let base = out.join("chapters").join(&chapter.id);
            add(
                base.with_extension("mp4"),
                NodeKind::ChapterVideo,
                at,
                "layout",
            );
            for ext in &subtitles {
                add(
                    base.with_extension(ext),
                    NodeKind::ChapterSubtitles,
                    at,
                    ext,
                );
            }
        }
        let base = edition_base(videofile, edition);
        let course = Address::Course(edition);
        add(
            base.with_extension("mp4"),
            NodeKind::CourseVideo,
            course,
            "layout",
        );
        for ext in &subtitles {
            add(
                base.with_extension(ext),
                NodeKind::CourseSubtitles,
                course,
                ext,
            );
        }
        add(
            base.with_extension("chapters.vtt"),
            NodeKind::CourseSubtitles,
            course,
            "chapters",
        );
    }
    files
}

/// The slide pictures of the chapters whose slides `outcome` knows: `OUTPUT/slides/CHAPTER/NN.png` (under
/// the language's folder for a translation).
pub fn slide_files(
    videofile: &Videofile,
    chapters: &[ChapterSource],
    outcome: &Outcome,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for edition in editions(videofile) {
        let slides = edition_dir(videofile, edition).join(SLIDES);
        for (index, chapter) in chapters.iter().enumerate() {
            let id = ChapterId { edition, index };
            for slide in 0..outcome.plan.slide_count(id) {
                files.push(OutputFile {
                    path: slide_path(&slides.join(&chapter.id), slide),
                    kind: NodeKind::Image,
                    at: Address::Slide(SlideId { chapter: id, slide }),
                    output: "slide",
                });
            }
        }
    }
    files
}

/// The folder of the output folder that holds the slide pictures, a folder per chapter.
pub const SLIDES: &str = "slides";

/// The picture of slide `slide` (from 0) in a chapter's folder of slide pictures: `01.png`, `02.png`, ...
pub fn slide_path(folder: &Path, slide: usize) -> PathBuf {
    folder.join(format!("{:02}.png", slide + 1))
}

/// The output files by their paths, to find the one a command line names.
pub struct FilesByPath<'a> {
    project_dir: &'a Path,
    by_path: HashMap<PathBuf, &'a OutputFile>,
}

impl<'a> FilesByPath<'a> {
    /// Indexes `files`, the output files of the course in `project_dir`.
    pub fn new(files: &'a [OutputFile], project_dir: &'a Path) -> FilesByPath<'a> {
        let by_path = files.iter().map(|f| (lexical(&f.path), f)).collect();
        FilesByPath {
            project_dir,
            by_path,
        }
    }

    /// The output file at `path` (as a command line names it, relative to the project folder or absolute).
    pub fn get(&self, path: &str) -> Option<&'a OutputFile> {
        self.by_path
            .get(&lexical(&self.project_dir.join(path)))
            .copied()
    }
}

/// `path` without its `.` components.
fn lexical(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Writes the finished outputs of `outcome` to the output folder; returns the paths written or kept.
/// With `prune` (a good build of the whole course), files earlier builds wrote that this one did not are
/// removed; otherwise they stay, and are still listed as vbuild's.
pub fn materialise(
    videofile: &Videofile,
    chapters: &[ChapterSource],
    outcome: &Outcome,
    store: &Store,
    prune: bool,
    slides: bool,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut files = layout(videofile, chapters);
    if slides {
        files.extend(slide_files(videofile, chapters, outcome));
    }
    let wanted: Vec<(Digest, OutputFile)> = files
        .into_iter()
        .filter_map(|file| {
            let entry = outcome.entry_of(file.kind, file.at)?;
            Some((entry.output(file.output).clone(), file))
        })
        .collect();
    let out = videofile.output_dir();
    // Another output folder's files (a profile's, `out/draft`) are listed as they are, never pruned here.
    let (previous, elsewhere): (Vec<Listed>, Vec<Listed>) = previous_outputs(videofile, store)
        .into_iter()
        // Slide pictures are pruned only by builds that write them.
        .partition(|listed| {
            belongs_here(videofile, listed.path())
                && (slides || !is_slide(videofile, listed.path()))
        });
    let known: HashMap<&Path, &Written> = previous
        .iter()
        .filter_map(|listed| match listed {
            Listed::Written(w) => Some((w.path.as_path(), w)),
            Listed::Path(_) => None,
        })
        .collect();
    let mut written: Vec<Written> = Vec::new();
    let mut failure = None;
    for (hash, file) in wanted {
        let known = known.get(file.path.as_path()).copied();
        match place(store, &out, &hash, &file, known) {
            Ok(file) => written.push(file),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    let now: HashSet<&Path> = written.iter().map(|w| w.path.as_path()).collect();
    let mut listed: Vec<Listed> = Vec::new();
    if prune && failure.is_none() {
        for stale in previous.iter().filter(|p| !now.contains(p.path())) {
            remove_output(videofile, stale.path())?;
        }
    } else {
        // What this build wrote joins the list, so a later clean or prune knows it is vbuild's.
        listed.extend(previous.iter().filter(|p| !now.contains(p.path())).cloned());
    }
    listed.extend(written.iter().cloned().map(Listed::Written));
    // A build that changed nothing in the output folder leaves the list as it was.
    let unchanged = listed.len() == previous.len()
        && listed.iter().zip(&previous).all(|(a, b)| match (a, b) {
            (Listed::Written(a), Listed::Written(b)) => a == b,
            _ => false,
        });
    if !unchanged {
        listed.extend(elsewhere);
        save_outputs(videofile, store, &listed)?;
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(written.into_iter().map(|w| w.path).collect()),
    }
}

/// Removes every output file builds wrote (and the folders that leaves empty); the cache stays. With
/// `dry_run`, removes nothing. Returns the files removed (or that would be).
pub fn clean(
    videofile: &Videofile,
    store: &Store,
    dry_run: bool,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut removed = Vec::new();
    let mut left = Vec::new();
    for listed in previous_outputs(videofile, store) {
        let path = listed.path().to_path_buf();
        if !belongs_here(videofile, &path) {
            left.push(listed); // another profile's output folder: its own clean removes it
            continue;
        }
        if fs::symlink_metadata(&path).is_err() {
            continue; // gone already
        }
        if !is_removable(videofile, &path) {
            left.push(listed);
        } else if dry_run || remove_output(videofile, &path)? {
            removed.push(path);
        }
    }
    if !dry_run {
        save_outputs(videofile, store, &left)?;
    }
    Ok(removed)
}

/// The list of files builds wrote to the output folder, relative to the project folder.
fn manifest_path(store: &Store) -> PathBuf {
    store.root().join("outputs.json")
}

/// True when `path` is one vbuild may remove: after resolving links, a regular file inside the output folder
/// whose place and name are those vbuild gives its outputs.
fn is_removable(videofile: &Videofile, path: &Path) -> bool {
    let Ok(out) = videofile.output_dir().canonicalize() else {
        return false;
    };
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    let Ok(parent) = parent.canonicalize() else {
        return false;
    };
    let in_place = parent
        .strip_prefix(&out)
        .is_ok_and(|inside| is_output_folder(videofile, inside));
    let named = Path::new(name)
        .extension()
        .is_some_and(|e| ["mp4", "srt", "vtt", "json", "png"].iter().any(|x| e == *x));
    let regular = fs::symlink_metadata(parent.join(name)).is_ok_and(|m| m.is_file());
    in_place && named && regular
}

/// True for the folders, relative to the output folder, where vbuild writes its outputs: the folder itself,
/// `chapters`, `scripts` and a chapter's folder of slide pictures, and the same in a translation's folder.
fn is_output_folder(videofile: &Videofile, folder: &Path) -> bool {
    let translated = videofile.course.languages[1..]
        .iter()
        .find_map(|language| folder.strip_prefix(language).ok());
    let mut parts = translated.unwrap_or(folder).components();
    match (parts.next(), parts.next(), parts.next()) {
        (None, ..) => true,
        (Some(Component::Normal(name)), None, _) => name == "chapters" || name == "scripts",
        (Some(Component::Normal(name)), Some(Component::Normal(_)), None) => name == SLIDES,
        _ => false,
    }
}

/// True when `path` is a slide picture of the output folder (of any edition).
fn is_slide(videofile: &Videofile, path: &Path) -> bool {
    editions(videofile)
        .any(|edition| path.starts_with(edition_dir(videofile, edition).join(SLIDES)))
}

/// True when `path`, as listed, is an output of the output folder (not of a profile's folder inside it).
fn belongs_here(videofile: &Videofile, path: &Path) -> bool {
    let out = videofile.output_dir();
    path.parent()
        .and_then(|parent| parent.strip_prefix(&out).ok())
        .is_some_and(|inside| is_output_folder(videofile, inside))
}

/// Removes one output file vbuild wrote, if it may (see [`is_removable`]), and the folders of the output
/// folder that leaves empty; returns whether it removed the file.
fn remove_output(videofile: &Videofile, path: &Path) -> Result<bool, OutputError> {
    if !is_removable(videofile, path) {
        if fs::symlink_metadata(path).is_ok() {
            log::warn!(
                "leaving {}: it is not an output file inside {}",
                path.display(),
                videofile.output_dir().display()
            );
        }
        return Ok(false);
    }
    log::info!("removing {}", path.display());
    fs::remove_file(path).map_err(io_error(path))?;
    // Folders vbuild made and emptied go too; a folder that still holds anything stays.
    let out = videofile.output_dir();
    let mut folder = path.parent();
    while let Some(dir) = folder.filter(|d| d.starts_with(&out)) {
        if fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
    Ok(true)
}

/// The files earlier builds wrote, from the manifest (absolute paths): only relative paths that stay inside
/// the project.
fn previous_outputs(videofile: &Videofile, store: &Store) -> Vec<Listed> {
    let listed: Vec<Listed> =
        crate::sys::files::read(&manifest_path(store), crate::sys::files::CACHE_BYTES)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
    let inside = |p: &Path| {
        p.components().all(|c| matches!(c, Component::Normal(_))) && p.components().next().is_some()
    };
    listed
        .into_iter()
        .filter(|l| inside(l.path()))
        .map(|l| match l {
            Listed::Written(w) => Listed::Written(Written {
                path: videofile.project_dir.join(&w.path),
                ..w
            }),
            Listed::Path(p) => Listed::Path(videofile.project_dir.join(p)),
        })
        .collect()
}

/// Records `listed` as the files builds have written (paths relative to the project folder).
fn save_outputs(
    videofile: &Videofile,
    store: &Store,
    listed: &[Listed],
) -> Result<(), OutputError> {
    let project = &videofile.project_dir;
    let relative = |p: &Path| p.strip_prefix(project).unwrap_or(p).to_path_buf();
    let json: Vec<serde_json::Value> = listed
        .iter()
        .map(|l| match l {
            Listed::Written(w) => serde_json::to_value(Written {
                path: relative(&w.path),
                ..w.clone()
            })
            .expect("entries serialise"),
            Listed::Path(p) => serde_json::to_value(relative(p)).expect("paths serialise"),
        })
        .collect();
    let json = serde_json::to_vec_pretty(&json).expect("entries serialise");
    Ok(write_atomic(&manifest_path(store), &json).map_err(StoreError::from)?)
}
