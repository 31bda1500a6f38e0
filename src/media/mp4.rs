//! Finishing touches to the MP4 files mp4mux writes, edited in place in the `moov` box (same sizes, so no
//! offset moves):
//! - reproducible files: mp4mux stamps the wall-clock time into the movie, track and media headers; these
//!   are set to zero so the same inputs always give the same bytes;
//! - audio in sync: an AAC encoder starts its stream with priming samples (voaacenc: 1600 at 24 kHz), which a
//!   player plays unless the audio track's edit list skips them; mp4mux writes an edit list that does not.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;

use super::MediaError;

/// Zeroes the creation and modification times in the `moov` box of the MP4 file at `path`, in place.
pub fn clear_timestamps(path: &Path) -> Result<(), MediaError> {
    edit_moov(path, |moov| {
        clear_in(moov);
        Ok(())
    })
}

/// Makes the sound track of the MP4 file at `path` play `length` samples after skipping the encoder's first
/// `priming` samples (both at `rate` Hz), by its edit list.
pub fn skip_audio_priming(
    path: &Path,
    priming: u64,
    length: u64,
    rate: u32,
) -> Result<(), MediaError> {
    edit_moov(path, |moov| set_audio_edit(moov, priming, length, rate))
}

/// Reads the `moov` box of the MP4 file at `path`, lets `edit` change its body (not its size) and writes it
/// back.
fn edit_moov(
    path: &Path,
    edit: impl FnOnce(&mut [u8]) -> Result<(), MediaError>,
) -> Result<(), MediaError> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let length = file.metadata()?.len();
    let mut offset = 0u64;
    while offset + 8 <= length {
        file.seek(SeekFrom::Start(offset))?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8])?;
        let (size, header_len) = match u32::from_be_bytes(header[..4].try_into().expect("4 bytes"))
        {
            0 => (length - offset, 8),
            1 => {
                file.read_exact(&mut header[8..16])?;
                (
                    u64::from_be_bytes(header[8..16].try_into().expect("8 bytes")),
                    16,
                )
            }
            size => (u64::from(size), 8),
        };
        if size < header_len {
            break;
        }
        if &header[4..8] == b"moov" {
            let mut body = vec![0u8; (size - header_len) as usize];
            file.read_exact(&mut body)?;
            edit(&mut body)?;
            file.seek(SeekFrom::Start(offset + header_len))?;
            file.write_all(&body)?;
            return Ok(());
        }
        offset += size;
    }
    Err(MediaError::Mp4(format!("{}: no moov box", path.display())))
}

/// The boxes directly inside `container`: each one's type and the range of its body.
fn children(container: &[u8]) -> Vec<([u8; 4], Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= container.len() {
        let size = u32::from_be_bytes(container[at..at + 4].try_into().expect("4 bytes")) as usize;
        if size < 8 || at + size > container.len() {
            break;
        }
        let kind: [u8; 4] = container[at + 4..at + 8].try_into().expect("4 bytes");
        out.push((kind, at + 8..at + size));
        at += size;
    }
    out
}

/// The body of the first box of type `kind` inside `container`.
fn child(container: &[u8], kind: &[u8; 4]) -> Option<Range<usize>> {
    children(container)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, range)| range)
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

/// The time scale of an `mvhd` or `mdhd` body (after the two times, 32- or 64-bit by version).
fn timescale(header: &[u8]) -> Option<u64> {
    let at = if *header.first()? == 1 { 20 } else { 12 };
    let bytes = header.get(at..at + 4)?;
    Some(u64::from(u32::from_be_bytes(bytes.try_into().ok()?)))
}

/// Sets the one edit of the sound track: from `priming` samples in, for `length` samples.
fn set_audio_edit(moov: &mut [u8], priming: u64, length: u64, rate: u32) -> Result<(), MediaError> {
    let malformed = |what: &str| MediaError::Mp4(format!("the muxer wrote {what}"));
    let movie_scale = child(moov, b"mvhd")
        .and_then(|r| timescale(&moov[r]))
        .ok_or_else(|| malformed("no movie header"))?;
    for (kind, trak) in children(moov) {
        if &kind != b"trak" {
            continue;
        }
        let trak = &mut moov[trak];
        let Some(mdia) = child(trak, b"mdia") else {
            continue;
        };
        let media = &trak[mdia.clone()];
        let sound = child(media, b"hdlr")
            .is_some_and(|h| media.get(h.start + 8..h.start + 12) == Some(b"soun"));
        if !sound {
            continue;
        }
        let media_scale = child(media, b"mdhd")
            .and_then(|r| timescale(&media[r]))
            .ok_or_else(|| malformed("a sound track without a media header"))?;
        let elst = child(trak, b"edts")
            .and_then(|edts| {
                child(&trak[edts.clone()], b"elst")
                    .map(|e| edts.start + e.start..edts.start + e.end)
            })
            .ok_or_else(|| malformed("a sound track without an edit list"))?;
        let list = &mut trak[elst];
        let count = list
            .get(4..8)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")));
        if count != Some(1) {
            return Err(malformed(
                "a sound track edit list without exactly one edit",
            ));
        }
        let duration = length * movie_scale / u64::from(rate);
        let start = priming * media_scale / u64::from(rate);
        let written = if list[0] == 1 {
            list.get_mut(8..24).map(|entry| {
                entry[..8].copy_from_slice(&duration.to_be_bytes());
                entry[8..].copy_from_slice(&start.to_be_bytes());
            })
        } else {
            let (Ok(duration), Ok(start)) = (u32::try_from(duration), u32::try_from(start)) else {
                return Err(malformed("a 32-bit edit list too short for the audio"));
            };
            list.get_mut(8..16).map(|entry| {
                entry[..4].copy_from_slice(&duration.to_be_bytes());
                entry[4..].copy_from_slice(&start.to_be_bytes());
            })
        };
        return written.ok_or_else(|| malformed("a truncated edit list"));
    }
    Err(malformed("no sound track"))
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

    /// A version 0 full box of `kind` whose body is `fields` after the version and flags.
    fn v0(kind: &[u8; 4], fields: &[u8]) -> Vec<u8> {
        let mut b = ((12 + fields.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(fields);
        b
    }

    fn header_with_timescale(kind: &[u8; 4], scale: u32) -> Vec<u8> {
        let mut fields = vec![0u8; 8];
        fields.extend_from_slice(&scale.to_be_bytes());
        fields.extend_from_slice(&[0; 8]);
        v0(kind, &fields)
    }

    fn track(handler: &[u8; 4], scale: u32) -> Vec<u8> {
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(handler);
        hdlr.extend_from_slice(&[0; 12]);
        let elst = v0(
            b"elst",
            &[0, 0, 0, 1, 0, 0, 0x7E, 0x90, 0, 0, 0, 0, 0, 1, 0, 0],
        );
        container(
            b"trak",
            &[
                container(b"edts", &[elst]),
                container(
                    b"mdia",
                    &[header_with_timescale(b"mdhd", scale), v0(b"hdlr", &hdlr)],
                ),
            ],
        )
    }

    #[test]
    fn the_sound_tracks_edit_skips_the_priming_and_ends_with_the_audio() {
        let mut moov = [
            header_with_timescale(b"mvhd", 1000),
            track(b"vide", 10_000),
            track(b"soun", 48_000),
        ]
        .concat();
        let video_before = track(b"vide", 10_000);
        set_audio_edit(&mut moov, 1600, 48_000, 24_000).unwrap();
        let mvhd_len = header_with_timescale(b"mvhd", 1000).len();
        assert_eq!(
            &moov[mvhd_len..mvhd_len + video_before.len()],
            &video_before[..]
        );
        let elst = moov.len() - track(b"soun", 48_000).len() + 8 + 8;
        let entry = &moov[elst + 8 + 8..elst + 8 + 16];
        // Two seconds at the movie's 1000 per second; 1600 samples at 24 kHz are 3200 at the track's 48 kHz.
        assert_eq!(u32::from_be_bytes(entry[..4].try_into().unwrap()), 2000);
        assert_eq!(u32::from_be_bytes(entry[4..].try_into().unwrap()), 3200);

        let mut silent = [header_with_timescale(b"mvhd", 1000), track(b"vide", 10_000)].concat();
        assert!(set_audio_edit(&mut silent, 1600, 48_000, 24_000).is_err());
    }
}
