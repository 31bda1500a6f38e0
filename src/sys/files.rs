//! Files an author names (the Videofile, `.env`, lectures, pictures, the pronunciation file, the prompt
//! template, a voice file) are read only when they are regular files, and never past the size their kind
//! may have: `/dev/zero`, a named pipe or a folder in their place is an error that says what was found, not a
//! build that hangs or fills memory.
//!
//! A file is opened without blocking (a named pipe opened to read would wait for a writer forever) and
//! checked on the open handle, so a file swapped for something else between a look and the read is caught.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

/// The largest Videofile, `.env` or pronunciation file read.
pub const SETTINGS_BYTES: u64 = 4 << 20;
/// The largest prompt template read.
pub const PROMPT_BYTES: u64 = 1 << 20;
/// The largest Markdown source read.
pub const SOURCE_BYTES: u64 = 64 << 20;
/// The largest picture file read (what it decodes to is bounded by the picture checks).
pub const PICTURE_BYTES: u64 = 64 << 20;
/// The largest file of the cache's own read (an index, an entry, a report): a link planted there to a
/// device or a huge file is read as damage, not followed forever.
pub const CACHE_BYTES: u64 = 256 << 20;
/// The largest voice model file read.
pub const VOICE_BYTES: u64 = 2 << 30;

/// Why a named file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Nothing is there.
    #[error("there is no such file")]
    Missing,
    /// Something that is not a regular file is there.
    #[error("it is {0}, not a regular file")]
    NotAFile(&'static str),
    /// The file is larger than its kind may be.
    #[error("it is {} large; at most {} is read", crate::sys::size::human(*size), crate::sys::size::human(*limit))]
    TooLarge { size: u64, limit: u64 },
    /// The file is not UTF-8 text; where the first byte that is not.
    #[error(
        "it is not UTF-8 text: line {line}, column {column} holds the byte 0x{byte:02X}{}; save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        if *byte >= 0xA0 { format!(" ({:?} in Latin-1)", char::from(*byte)) } else { String::new() }
    )]
    NotUtf8 {
        line: usize,
        column: usize,
        byte: u8,
    },
    #[error("{0}")]
    Io(io::Error),
}

impl From<FileError> for io::Error {
    fn from(err: FileError) -> io::Error {
        match err {
            FileError::Io(err) => err,
            FileError::Missing => io::Error::new(io::ErrorKind::NotFound, "there is no such file"),
            other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// `path` with its `.` and `..` folded away, without touching the file system (`./lectures/../img/d.png` is
/// `img/d.png`).
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The file beside `path` that holds its content in `language`: `lecture.fr.md` of `lecture.md`,
/// `pronounce.fr.toml` of `pronounce.toml`.
pub fn in_language(path: &Path, language: &str) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{language}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{language}"),
    };
    path.with_file_name(name)
}

/// Opens the regular file at `path` (links are followed) of at most `limit` bytes.
pub fn open(path: &Path, limit: u64) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| match err.kind() {
            io::ErrorKind::NotFound => FileError::Missing,
            _ if err.raw_os_error() == Some(libc::ENXIO) => FileError::NotAFile("a socket"),
            _ => FileError::Io(err),
        })?;
    let meta = file.metadata().map_err(FileError::Io)?;
    let kind = meta.file_type();
    let not_a_file = if kind.is_dir() {
        Some("a folder")
    } else if kind.is_fifo() {
        Some("a named pipe")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        None
    };
    if let Some(what) = not_a_file {
        return Err(FileError::NotAFile(what));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(file)
}

/// The bytes of the regular file at `path`, of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = open(path, limit)?;
    let mut bytes = Vec::new();
    // A file that grows while it is read is cut at the limit, and then refused.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// The text of the regular file at `path`, of at most `limit` bytes, without a byte order mark.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    text_of(read(path, limit)?)
}

/// `bytes` as UTF-8 text without a leading byte order mark (editors on Windows write one).
pub fn text_of(mut bytes: Vec<u8>) -> Result<String, FileError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let at = err.utf8_error().valid_up_to();
        let before = &bytes[..at];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        FileError::NotUtf8 {
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            column: String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1,
            byte: bytes[at],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_loses_its_byte_order_mark_and_latin_1_is_named_where_it_is() {
        assert_eq!(text_of(b"\xEF\xBB\xBF# Title".to_vec()).unwrap(), "# Title");
        let err = text_of(b"# Title\n\nCaf\xE9 au lait".to_vec()).unwrap_err();
        assert!(matches!(
            err,
            FileError::NotUtf8 {
                line: 3,
                column: 4,
                byte: 0xE9
            }
        ));
        assert!(
            err.to_string().contains("('\u{e9}' in Latin-1)")
                || err.to_string().contains("('é' in Latin-1)"),
            "{err}"
        );
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "hello").unwrap();
        assert_eq!(read(&file, 5).unwrap(), b"hello");
        assert!(matches!(
            read(&file, 4),
            Err(FileError::TooLarge { size: 5, limit: 4 })
        ));
        assert!(matches!(
            read(&dir.path().join("b"), 5),
            Err(FileError::Missing)
        ));
        assert!(matches!(
            read(dir.path(), 5),
            Err(FileError::NotAFile("a folder"))
        ));
        assert!(matches!(
            read(Path::new("/dev/zero"), 5),
            Err(FileError::NotAFile("a device"))
        ));
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // Opened without a writer, it does not block.
        assert!(matches!(
            read(&fifo, 5),
            Err(FileError::NotAFile("a named pipe"))
        ));
        // A link to a regular file is read.
        std::os::unix::fs::symlink(&file, dir.path().join("link")).unwrap();
        assert_eq!(read(&dir.path().join("link"), 5).unwrap(), b"hello");
    }
}
