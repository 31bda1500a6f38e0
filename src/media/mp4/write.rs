//! Writing an MP4 file of one H.264 and one AAC track whose samples are copied from other MP4 files: what a
//! joined chapter or course is. The `moov` comes first (a player starts before the end), times are zero
//! (the same samples give the same bytes), and each track plays from its first sample to its last (no
//! priming to skip: see [`crate::media::join`]).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::read::{Sample, Track};
use crate::media::MediaError;
use crate::media::audio::AUDIO_RATE;

/// The movie time scale: the audio sample rate, which every supported frame rate divides.
const MOVIE_SCALE: u32 = AUDIO_RATE;

/// A track to write: how it is encoded (taken from a source track) and its samples, held compactly (a
/// six-hour course has a million AAC frames): four bytes of size per sample, durations (in the movie time
/// scale) as runs, and the sync samples only where some are not.
struct TrackOut {
    like: Track,
    sizes: Vec<u32>,
    /// Runs of samples of one duration: (count, duration).
    durations: Vec<(u32, u32)>,
    /// Every sample so far is a sync sample (as every AAC frame is).
    every_sync: bool,
    /// Otherwise, the numbers (from 1) of the sync samples.
    syncs: Vec<u32>,
}

impl TrackOut {
    /// A track encoded like `like` (its samples are not kept), with no samples yet.
    fn new(mut like: Track) -> TrackOut {
        like.samples = Vec::new();
        TrackOut {
            like,
            sizes: Vec::new(),
            durations: Vec::new(),
            every_sync: true,
            syncs: Vec::new(),
        }
    }

    /// The samples so far.
    fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Their duration, in the movie time scale.
    fn duration(&self) -> u64 {
        (self.durations.iter())
            .map(|&(count, duration)| u64::from(count) * u64::from(duration))
            .sum()
    }

    fn push(&mut self, size: u32, duration: u32, sync: bool) {
        self.sizes.push(size);
        let number = self.sizes.len() as u32;
        match (sync, self.every_sync) {
            (true, true) => {}
            (true, false) => self.syncs.push(number),
            (false, true) => {
                self.every_sync = false;
                self.syncs = (1..number).collect();
            }
            (false, false) => {}
        }
        match self.durations.last_mut() {
            Some((count, last)) if *last == duration => *count += 1,
            _ => self.durations.push((1, duration)),
        }
    }
}

/// A run of one track's samples that lie one after another in a source file, written as one chunk.
struct Chunk {
    /// 0 for the video track, 1 for the sound track.
    pub track: usize,
    pub samples: Range<usize>,
    pub source: usize,
    /// Where the first sample's bytes are in the source.
    pub offset: u64,
    pub bytes: u64,
}

/// An MP4 file to write: its source files, its video and sound tracks, and the order of their chunks.
pub struct Movie {
    sources: Vec<PathBuf>,
    tracks: [TrackOut; 2],
    chunks: Vec<Chunk>,
}

/// The video track, then the sound track.
pub const VIDEO: usize = 0;
pub const SOUND: usize = 1;

impl Movie {
    /// A movie with a video track encoded like `video` and a sound track like `sound` (each sample appended
    /// must be encoded the same way), with no samples yet.
    pub fn new(video: Track, sound: Track) -> Movie {
        Movie {
            sources: Vec::new(),
            tracks: [TrackOut::new(video), TrackOut::new(sound)],
            chunks: Vec::new(),
        }
    }

    /// True when `other` is encoded as `track` is: its samples can follow the movie's in it.
    pub fn fits(&self, track: usize, other: &Track) -> bool {
        self.tracks[track].like.same_codec(other)
    }

    /// Adds the file at `path` as a source of samples; returns its number for [`Movie::append`].
    pub fn source(&mut self, path: &Path) -> usize {
        self.sources.push(path.to_path_buf());
        self.sources.len() - 1
    }

    /// The duration of `track` so far, in the movie time scale.
    pub fn duration(&self, track: usize) -> u64 {
        self.tracks[track].duration()
    }

    /// Appends `samples` of source `source` to `track` ([`VIDEO`] or [`SOUND`]), the `i`th lasting
    /// `duration(i)` in the movie time scale: one chunk per run of samples that lie one after another in the
    /// source.
    pub fn append(
        &mut self,
        track: usize,
        source: usize,
        samples: &[Sample],
        duration: impl Fn(usize) -> u32,
    ) {
        for (i, sample) in samples.iter().enumerate() {
            let at = self.tracks[track].len();
            match self.chunks.last_mut() {
                Some(chunk)
                    if chunk.track == track
                        && chunk.source == source
                        && chunk.samples.end == at
                        && chunk.offset + chunk.bytes == sample.offset =>
                {
                    chunk.samples.end += 1;
                    chunk.bytes += u64::from(sample.size);
                }
                _ => self.chunks.push(Chunk {
                    track,
                    samples: at..at + 1,
                    source,
                    offset: sample.offset,
                    bytes: u64::from(sample.size),
                }),
            }
            self.tracks[track].push(sample.size, duration(i), sample.sync);
        }
    }

    /// Writes the file to `out`.
    pub fn write(&self, out: &Path) -> Result<(), MediaError> {
        let total: u64 = self.chunks.iter().map(|c| c.bytes).sum();
        let wide = total > u64::from(u32::MAX) / 2;
        let ftyp = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
        let offsets = |moov_len: u64| -> Vec<u64> {
            let mut at = ftyp.len() as u64 + moov_len + if wide { 16 } else { 8 };
            (self.chunks.iter())
                .map(|chunk| {
                    let offset = at;
                    at += chunk.bytes;
                    offset
                })
                .collect()
        };
        // The moov's size does not depend on the offsets it holds: lay it out with zeros, then for real.
        let sized = self.moov(&vec![0; self.chunks.len()]).len() as u64;
        let moov = self.moov(&offsets(sized));

        let mut writer = BufWriter::new(File::create(out)?);
        writer.write_all(&ftyp)?;
        writer.write_all(&moov)?;
        if wide {
            writer.write_all(&1u32.to_be_bytes())?;
            writer.write_all(b"mdat")?;
            writer.write_all(&(total + 16).to_be_bytes())?;
        } else {
            writer.write_all(&((total + 8) as u32).to_be_bytes())?;
            writer.write_all(b"mdat")?;
        }
        // One source open at a time: a course has thousands.
        let mut open: Option<(usize, File)> = None;
        for chunk in &self.chunks {
            let file = match &mut open {
                Some((source, file)) if *source == chunk.source => file,
                slot => {
                    &mut slot
                        .insert((chunk.source, File::open(&self.sources[chunk.source])?))
                        .1
                }
            };
            file.seek(SeekFrom::Start(chunk.offset))?;
            if std::io::copy(&mut file.take(chunk.bytes), &mut writer)? != chunk.bytes {
                return Err(MediaError::Mp4(format!(
                    "{}: a sample runs past the end of the file",
                    self.sources[chunk.source].display()
                )));
            }
        }
        writer.flush()?;
        Ok(())
    }

    fn moov(&self, chunk_offsets: &[u64]) -> Vec<u8> {
        let duration = self
            .tracks
            .iter()
            .map(TrackOut::duration)
            .max()
            .unwrap_or(0);
        let mut mvhd = Vec::new();
        mvhd.extend_from_slice(&[0; 16]);
        mvhd.extend_from_slice(&MOVIE_SCALE.to_be_bytes());
        mvhd.extend_from_slice(&duration.to_be_bytes());
        mvhd.extend_from_slice(&words(&[0x10000]));
        mvhd.extend_from_slice(&[0x01, 0x00, 0, 0]);
        mvhd.extend_from_slice(&[0; 8]);
        mvhd.extend_from_slice(&words(&MATRIX));
        mvhd.extend_from_slice(&[0; 24]);
        mvhd.extend_from_slice(&(self.tracks.len() as u32 + 1).to_be_bytes());
        let mut body = full(b"mvhd", 1, 0, &mvhd);
        for (index, track) in self.tracks.iter().enumerate() {
            let chunks: Vec<(u64, usize)> = self
                .chunks
                .iter()
                .zip(chunk_offsets)
                .filter(|(c, _)| c.track == index)
                .map(|(c, offset)| (*offset, c.samples.len()))
                .collect();
            body.extend_from_slice(&trak(index as u32 + 1, track, &chunks));
        }
        boxed(b"moov", &body)
    }
}

/// A box of type `kind` around `body`.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box (version and flags) of type `kind`.
fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut head = flags.to_be_bytes();
    head[0] = version;
    boxed(kind, &[&head[..], body].concat())
}

/// The unity matrix of the movie and track headers.
const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// A table box: its entry count, then its entries.
fn table(kind: &[u8; 4], entries: &[Vec<u32>]) -> Vec<u8> {
    let mut body = (entries.len() as u32).to_be_bytes().to_vec();
    for entry in entries {
        body.extend_from_slice(&words(entry));
    }
    full(kind, 0, 0, &body)
}

/// The track `id`: `track`'s samples in `chunks` (offset, sample count), playing from its first sample.
fn trak(id: u32, track: &TrackOut, chunks: &[(u64, usize)]) -> Vec<u8> {
    let sound = &track.like.handler == b"soun";
    let duration = track.duration();

    let mut tkhd = Vec::new();
    tkhd.extend_from_slice(&[0; 16]);
    tkhd.extend_from_slice(&id.to_be_bytes());
    tkhd.extend_from_slice(&[0; 4]);
    tkhd.extend_from_slice(&duration.to_be_bytes());
    tkhd.extend_from_slice(&[0; 12]);
    tkhd.extend_from_slice(if sound { &[0x01, 0x00] } else { &[0, 0] });
    tkhd.extend_from_slice(&[0, 0]);
    tkhd.extend_from_slice(&words(&MATRIX));
    tkhd.extend_from_slice(if sound { &[0; 8] } else { &track.like.size });
    let tkhd = full(b"tkhd", 1, 3, &tkhd);

    let mut elst = 1u32.to_be_bytes().to_vec();
    elst.extend_from_slice(&duration.to_be_bytes());
    elst.extend_from_slice(&0u64.to_be_bytes());
    elst.extend_from_slice(&words(&[0x10000]));
    let edts = boxed(b"edts", &full(b"elst", 1, 0, &elst));

    let mut mdhd = Vec::new();
    mdhd.extend_from_slice(&[0; 16]);
    mdhd.extend_from_slice(&MOVIE_SCALE.to_be_bytes());
    mdhd.extend_from_slice(&duration.to_be_bytes());
    mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]);
    let mdhd = full(b"mdhd", 1, 0, &mdhd);
    let (handler, name): (&[u8; 4], &[u8]) = if sound {
        (b"soun", b"SoundHandler\0")
    } else {
        (b"vide", b"VideoHandler\0")
    };
    let hdlr = full(
        b"hdlr",
        0,
        0,
        &[&[0; 4][..], handler, &[0; 12], name].concat(),
    );
    let media_header = if sound {
        full(b"smhd", 0, 0, &[0; 4])
    } else {
        full(b"vmhd", 0, 1, &[0; 8])
    };
    let dinf = boxed(
        b"dinf",
        &full(
            b"dref",
            0,
            0,
            &[&1u32.to_be_bytes()[..], &full(b"url ", 0, 1, &[])].concat(),
        ),
    );

    let durations: Vec<Vec<u32>> = (track.durations.iter())
        .map(|&(count, duration)| vec![count, duration])
        .collect();
    let mut per_chunk: Vec<Vec<u32>> = Vec::new();
    for (index, (_, count)) in chunks.iter().enumerate() {
        if per_chunk.last().is_none_or(|run| run[1] != *count as u32) {
            per_chunk.push(vec![index as u32 + 1, *count as u32, 1]);
        }
    }
    let mut stsz = words(&[0, track.sizes.len() as u32]);
    stsz.reserve(4 * track.sizes.len());
    for size in &track.sizes {
        stsz.extend_from_slice(&size.to_be_bytes());
    }
    let offsets = if chunks
        .iter()
        .any(|(offset, _)| *offset > u64::from(u32::MAX))
    {
        let mut co64 = (chunks.len() as u32).to_be_bytes().to_vec();
        for (offset, _) in chunks {
            co64.extend_from_slice(&offset.to_be_bytes());
        }
        full(b"co64", 0, 0, &co64)
    } else {
        let offsets: Vec<Vec<u32>> = chunks.iter().map(|(o, _)| vec![*o as u32]).collect();
        table(b"stco", &offsets)
    };
    let mut stbl = track.like.stsd.clone();
    stbl.extend_from_slice(&table(b"stts", &durations));
    if !track.every_sync {
        let mut stss = (track.syncs.len() as u32).to_be_bytes().to_vec();
        stss.extend(words(&track.syncs));
        stbl.extend_from_slice(&full(b"stss", 0, 0, &stss));
    }
    stbl.extend_from_slice(&table(b"stsc", &per_chunk));
    stbl.extend_from_slice(&full(b"stsz", 0, 0, &stsz));
    stbl.extend_from_slice(&offsets);
    let minf = boxed(
        b"minf",
        &[media_header, dinf, boxed(b"stbl", &stbl)].concat(),
    );
    let mdia = boxed(b"mdia", &[mdhd, hdlr, minf].concat());
    boxed(b"trak", &[tkhd, edts, mdia].concat())
}
