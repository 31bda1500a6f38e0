//! Reading MP4 files: the boxes of the `moov`, and each track's samples (where their bytes are, how long
//! they last, which are key frames) from its sample tables.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use crate::media::MediaError;

/// One sample of a track: where its bytes are in its file, how many, how long it lasts, and whether it is
/// a sync (key) frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub offset: u64,
    pub size: u32,
    /// In the track's time scale.
    pub duration: u32,
    pub sync: bool,
}

/// A track of an MP4 file.
#[derive(Debug)]
pub struct Track {
    /// `vide` or `soun`.
    pub handler: [u8; 4],
    pub timescale: u32,
    /// The sample description box, whole (header included).
    pub stsd: Vec<u8>,
    /// The track header's width and height (16.16 fixed point), for video.
    pub size: [u8; 8],
    pub samples: Vec<Sample>,
}

impl Track {
    /// True when `other` is encoded the same way (the same codec configuration and time scale), so their
    /// samples can follow each other in one track. The bitrate figures each encode measures (`btrt`) do not
    /// count.
    pub fn same_codec(&self, other: &Track) -> bool {
        self.timescale == other.timescale
            && without_bitrates(&self.stsd) == without_bitrates(&other.stsd)
    }
}

/// A sample description without its bitrate box's figures.
fn without_bitrates(stsd: &[u8]) -> Vec<u8> {
    let mut bytes = stsd.to_vec();
    if let Some(figures) = bitrate_figures(stsd) {
        bytes[figures].fill(0);
    }
    bytes
}

/// Where the figures of the bitrate box (`btrt`: buffer size, maximum and average bitrate, 32 bits each) are
/// in the sample description `stsd`, if it has one.
pub(super) fn bitrate_figures(stsd: &[u8]) -> Option<Range<usize>> {
    let btrt = [0, 0, 0, 0x14, b'b', b't', b'r', b't'];
    let at = stsd.windows(btrt.len()).position(|w| w == btrt)?;
    Some(at + 8..at + 20)
}

/// The body of the `moov` box of the MP4 file at `path`.
pub fn read_moov(path: &Path) -> Result<Vec<u8>, MediaError> {
    Ok(moov_of(&mut File::open(path)?, path)?.1)
}

/// Where the body of `file`'s `moov` box starts, and the body.
pub(super) fn moov_of(file: &mut File, path: &Path) -> Result<(u64, Vec<u8>), MediaError> {
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
        if size < header_len || offset + size > length {
            break;
        }
        if &header[4..8] == b"moov" {
            let mut body = vec![0u8; (size - header_len) as usize];
            file.read_exact(&mut body)?;
            return Ok((offset + header_len, body));
        }
        offset += size;
    }
    Err(MediaError::Mp4(format!("{}: no moov box", path.display())))
}

/// The boxes directly inside `container`: each one's type and the range of its body.
pub fn children(container: &[u8]) -> Vec<([u8; 4], Range<usize>)> {
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
pub fn child(container: &[u8], kind: &[u8; 4]) -> Option<Range<usize>> {
    children(container)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, range)| range)
}

fn malformed(path: &Path, what: &str) -> MediaError {
    MediaError::Mp4(format!("{}: {what}", path.display()))
}

/// The tracks of the MP4 file at `path`, in file order.
pub fn tracks(path: &Path) -> Result<Vec<Track>, MediaError> {
    let moov = read_moov(path)?;
    children(&moov)
        .into_iter()
        .filter(|(kind, _)| kind == b"trak")
        .map(|(_, range)| {
            read_track(&moov[range]).ok_or_else(|| malformed(path, "a track vbuild cannot read"))
        })
        .collect()
}

/// The one track with `handler` (`vide`, `soun`) of the MP4 file at `path`.
pub fn track(path: &Path, handler: &[u8; 4]) -> Result<Track, MediaError> {
    let mut found: Vec<Track> = tracks(path)?
        .into_iter()
        .filter(|t| &t.handler == handler)
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(malformed(
            path,
            &format!("{n} {} tracks, not one", String::from_utf8_lossy(handler)),
        )),
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// A `trak` body read into a [`Track`]; `None` where it is malformed or uses what vbuild does not write
/// (composition offsets).
fn read_track(trak: &[u8]) -> Option<Track> {
    let tkhd = &trak[child(trak, b"tkhd")?];
    let size: [u8; 8] = tkhd.get(tkhd.len() - 8..)?.try_into().ok()?;
    let mdia = &trak[child(trak, b"mdia")?];
    let mdhd = &mdia[child(mdia, b"mdhd")?];
    let timescale = be32(mdhd, if mdhd[0] == 1 { 20 } else { 12 })?;
    let hdlr = &mdia[child(mdia, b"hdlr")?];
    let handler: [u8; 4] = hdlr.get(8..12)?.try_into().ok()?;
    let minf = &mdia[child(mdia, b"minf")?];
    let stbl = &minf[child(minf, b"stbl")?];
    if child(stbl, b"ctts").is_some() {
        return None;
    }
    // The sample description box whole, header included.
    let stsd_body = child(stbl, b"stsd")?;
    let stsd = stbl.get(stsd_body.start - 8..stsd_body.end)?.to_vec();

    let stsz = &stbl[child(stbl, b"stsz")?];
    let (fixed, count) = (be32(stsz, 4)?, be32(stsz, 8)? as usize);
    let sizes: Vec<u32> = if fixed != 0 {
        vec![fixed; count]
    } else {
        (0..count)
            .map(|i| be32(stsz, 12 + 4 * i))
            .collect::<Option<_>>()?
    };
    let offsets: Vec<u64> = match (child(stbl, b"stco"), child(stbl, b"co64")) {
        (Some(r), _) => {
            let b = &stbl[r];
            (0..be32(b, 4)? as usize)
                .map(|i| be32(b, 8 + 4 * i).map(u64::from))
                .collect::<Option<_>>()?
        }
        (None, Some(r)) => {
            let b = &stbl[r];
            (0..be32(b, 4)? as usize)
                .map(|i| be64(b, 8 + 8 * i))
                .collect::<Option<_>>()?
        }
        (None, None) => return None,
    };
    let stsc = &stbl[child(stbl, b"stsc")?];
    let runs: Vec<(u32, u32)> = (0..be32(stsc, 4)? as usize)
        .map(|i| Some((be32(stsc, 8 + 12 * i)?, be32(stsc, 12 + 12 * i)?)))
        .collect::<Option<_>>()?;
    let stts = &stbl[child(stbl, b"stts")?];
    let mut durations = Vec::with_capacity(count);
    for i in 0..be32(stts, 4)? as usize {
        let (n, delta) = (be32(stts, 8 + 8 * i)?, be32(stts, 12 + 8 * i)?);
        durations.extend(std::iter::repeat_n(delta, n as usize));
    }
    let syncs: Option<Vec<u32>> = child(stbl, b"stss").map(|r| {
        let b = &stbl[r];
        (0..be32(b, 4).unwrap_or(0) as usize)
            .filter_map(|i| be32(b, 8 + 4 * i))
            .collect()
    });

    // Samples by chunk: run i covers chunks from its first chunk to the next run's.
    let mut samples = Vec::with_capacity(count);
    for (chunk, &chunk_offset) in offsets.iter().enumerate() {
        let chunk_number = chunk as u32 + 1;
        let per_chunk = runs
            .iter()
            .take_while(|(first, _)| *first <= chunk_number)
            .last()?
            .1;
        let mut at = chunk_offset;
        for _ in 0..per_chunk {
            let index = samples.len();
            let size = *sizes.get(index)?;
            samples.push(Sample {
                offset: at,
                size,
                duration: *durations.get(index)?,
                sync: syncs
                    .as_ref()
                    .is_none_or(|s| s.binary_search(&(index as u32 + 1)).is_ok()),
            });
            at += u64::from(size);
        }
    }
    if samples.len() != count {
        return None;
    }
    Some(Track {
        handler,
        timescale,
        stsd,
        size,
        samples,
    })
}
