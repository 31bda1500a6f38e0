//! MP4 files: reading the boxes and sample tables of the files GStreamer writes ([`read`]), writing the
//! joined chapter and course files ([`write`]), and making the files mp4mux writes reproducible.

pub mod read;
pub mod write;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use self::read::{children, moov_of};
use super::MediaError;

/// Zeroes the creation and modification times in the `moov` box of the MP4 file at `path` (as mp4mux wrote
/// it), in place.
pub fn clear_timestamps(path: &Path) -> Result<(), MediaError> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let (at, mut moov) = moov_of(&mut file, path)?;
    clear_in(&mut moov);
    file.seek(SeekFrom::Start(at))?;
    file.write_all(&moov)?;
    Ok(())
}

/// Walks the boxes in `container`, zeroing header times and descending into tracks and media.
fn clear_in(container: &mut [u8]) {
    for (kind, range) in children(container) {
        let body = &mut container[range];
        match &kind {
            b"trak" | b"mdia" => clear_in(body),
            b"mvhd" | b"tkhd" | b"mdhd" if !body.is_empty() => {
                // A full box: version, 3 flag bytes, then creation and modification time (64-bit in version 1).
                let times = if body[0] == 1 { 4..20 } else { 4..12 };
                if body.len() >= times.end {
                    body[times].fill(0);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_box(kind: &[u8; 4], version: u8, len: usize) -> Vec<u8> {
        let mut b = ((8 + len) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        let mut body = vec![0xAB; len];
        body[0] = version;
        b.extend(body);
        b
    }

    fn container(kind: &[u8; 4], children: &[Vec<u8>]) -> Vec<u8> {
        let inner: Vec<u8> = children.concat();
        let mut b = ((8 + inner.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend(inner);
        b
    }

    #[test]
    fn times_in_movie_track_and_media_headers_are_zeroed() {
        let mdhd = full_box(b"mdhd", 1, 32);
        let moov = container(
            b"moov",
            &[
                full_box(b"mvhd", 0, 100),
                container(
                    b"trak",
                    &[full_box(b"tkhd", 0, 84), container(b"mdia", &[mdhd])],
                ),
            ],
        );
        let file = [container(b"ftyp", &[vec![1, 2, 3, 4]]), moov].concat();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mp4");
        std::fs::write(&path, &file).unwrap();
        clear_timestamps(&path).unwrap();
        let patched = std::fs::read(&path).unwrap();
        assert_eq!(patched.len(), file.len());
        let changed: Vec<usize> = (0..file.len()).filter(|&i| file[i] != patched[i]).collect();
        // mvhd v0: 8 bytes, tkhd v0: 8 bytes, mdhd v1: 16 bytes.
        assert_eq!(changed.len(), 8 + 8 + 16);
        assert!(changed.iter().all(|&i| patched[i] == 0));
    }
}
