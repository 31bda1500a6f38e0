//! Writing an MP4 file of one H.264 and one AAC track whose samples are copied from other MP4 files: what a
//! joined chapter or course is. The `moov` comes first (a player starts before the end), times are zero
//! (the same samples give the same bytes), and each track plays from its first sample to its last (no
//! priming to skip: see [`crate::media::join`]).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::read::{self, Sample, Track};
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

    /// What its `btrt` box says: the largest sample (bytes), the most bits in any second, and the bits
    /// per second over the whole track.
    fn bitrates(&self) -> [u32; 3] {
        let seconds = self.duration() as f64 / f64::from(MOVIE_SCALE);
        let bits: u64 = self.sizes.iter().map(|&size| u64::from(size) * 8).sum();
        let starts = (self.durations.iter())
            .flat_map(|&(count, duration)| std::iter::repeat_n(u64::from(duration), count as usize))
            .scan(0u64, |at, duration| {
                let start = *at;
                *at += duration;
                Some(start)
            });
        // The bits of the samples that start within a second of each sample's start.
        let starts: Vec<u64> = starts.collect();
        let (mut most, mut window, mut first) = (0u64, 0u64, 0usize);
        for (index, &start) in starts.iter().enumerate() {
            window += u64::from(self.sizes[index]) * 8;
            while starts[first] + u64::from(MOVIE_SCALE) <= start {
                window -= u64::from(self.sizes[first]) * 8;
                first += 1;
            }
            most = most.max(window);
        }
        let average = if seconds > 0.0 {
            bits as f64 / seconds
        } else {
            0.0
        };
        [
            self.sizes.iter().copied().max().unwrap_or(0),
            u32::try_from(most).unwrap_or(u32::MAX),
            average.round() as u32,
        ]
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
    /// Where each chapter starts (in the movie time scale), and its title.
    chapters: Vec<(u64, String)>,
}

/// How many source files [`Movie::write`] keeps open.
const OPEN_SOURCES: usize = 4;

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
            chapters: Vec::new(),
        }
    }

    /// The QuickTime chapter track, which Apple's players read (others read the `chpl` list): one text
    /// sample per chapter, lasting until the next, and the samples' bytes. None for fewer than two chapters.
    fn chapter_track(&self) -> Option<(TrackOut, Vec<u8>)> {
        if self.chapters.len() < 2 {
            return None;
        }
        let mut track = TrackOut::new(Track {
            handler: *b"text",
            timescale: MOVIE_SCALE,
            stsd: text_description(),
            size: [0; 8],
            samples: Vec::new(),
        });
        let end = self.duration(VIDEO);
        let mut bytes = Vec::new();
        for (index, (start, title)) in self.chapters.iter().enumerate() {
            let next = self.chapters.get(index + 1).map_or(end, |(next, _)| *next);
            let text = cut_to(title, u16::MAX as usize);
            let at = bytes.len();
            bytes.extend_from_slice(&(text.len() as u16).to_be_bytes());
            bytes.extend_from_slice(text);
            // The text is UTF-8.
            bytes.extend_from_slice(&[0, 0, 0, 12, b'e', b'n', b'c', b'd', 0, 0, 1, 0]);
            let duration = u32::try_from(next.saturating_sub(*start)).unwrap_or(u32::MAX);
            track.push((bytes.len() - at) as u32, duration, true);
        }
        Some((track, bytes))
    }

    /// Marks a chapter called `title` starting where the video track ends now.
    pub fn mark_chapter(&mut self, title: &str) {
        self.chapters
            .push((self.duration(VIDEO), title.to_string()));
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
        let mut writer = BufWriter::new(File::create(out)?);
        let chapters = self.chapter_track();
        writer.write_all(&self.head(chapters.as_ref()))?;
        // A few sources open at a time (a course has thousands): the chunks alternate between a clip and
        // its chapter's audio, and each would otherwise open its file again.
        let mut open: Vec<(usize, File)> = Vec::with_capacity(OPEN_SOURCES);
        for chunk in &self.chunks {
            let at = match open.iter().position(|(source, _)| *source == chunk.source) {
                Some(at) => at,
                None => {
                    if open.len() == OPEN_SOURCES {
                        open.remove(0);
                    }
                    open.push((chunk.source, File::open(&self.sources[chunk.source])?));
                    open.len() - 1
                }
            };
            let file = &mut open[at].1;
            file.seek(SeekFrom::Start(chunk.offset))?;
            if std::io::copy(&mut file.take(chunk.bytes), &mut writer)? != chunk.bytes {
                return Err(MediaError::Mp4(format!(
                    "{}: a sample runs past the end of the file",
                    self.sources[chunk.source].display()
                )));
            }
        }
        if let Some((_, titles)) = &chapters {
            writer.write_all(titles)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Everything before the samples: the `ftyp`, the `moov` and the `mdat` box's header. Past 2 GiB of
    /// samples the `mdat` size and the chunk offsets are 64-bit: the layout is fixed before any offset is
    /// known, so the offsets are written from the start of the samples and moved once the head's length is.
    /// The chapter track `chapters` (as [`Movie::chapter_track`] makes it) has its samples after the media's.
    fn head(&self, chapters: Option<&(TrackOut, Vec<u8>)>) -> Vec<u8> {
        let titles = chapters.map_or(0, |(_, titles)| titles.len() as u64);
        let total: u64 = self.chunks.iter().map(|c| c.bytes).sum::<u64>() + titles;
        let wide = total > u64::from(u32::MAX) / 2;
        let mut head = Boxes::default();
        head.boxed(b"ftyp", |b| b.put(b"isom\0\0\x02\0isomiso2avc1mp41"));
        let tables = self.moov(&mut head, wide, chapters.map(|(track, _)| track));
        let samples_start = head.len() as u64 + if wide { 16 } else { 8 };
        for table in tables {
            head.shift_offsets(table, wide, samples_start);
        }
        if wide {
            head.u32(1);
            head.put(b"mdat");
            head.u64(total + 16);
        } else {
            head.u32((total + 8) as u32);
            head.put(b"mdat");
        }
        head.bytes
    }

    /// Writes the `moov`, with the chapter track `chapter_track` if there is one; returns where each track's
    /// chunk offsets are (from the start of the samples).
    fn moov(
        &self,
        out: &mut Boxes,
        wide: bool,
        chapter_track: Option<&TrackOut>,
    ) -> Vec<OffsetTable> {
        let duration = self
            .tracks
            .iter()
            .map(TrackOut::duration)
            .max()
            .unwrap_or(0);
        let mut tables = Vec::new();
        let track_count = self.tracks.len() as u32 + u32::from(chapter_track.is_some());
        // The chapter track follows the video and sound tracks, its samples the media's.
        let chapters_id = chapter_track.map(|_| track_count);
        out.boxed(b"moov", |b| {
            b.full(b"mvhd", 1, 0, |b| {
                b.put(&[0; 16]);
                b.u32(MOVIE_SCALE);
                b.u64(duration);
                b.u32(0x10000);
                b.put(&[0x01, 0x00, 0, 0]);
                b.put(&[0; 8]);
                b.u32s(MATRIX);
                b.put(&[0; 24]);
                b.u32(track_count + 1);
            });
            for (index, track) in self.tracks.iter().enumerate() {
                let mut at = 0;
                let mut chunks = Vec::new();
                for chunk in &self.chunks {
                    if chunk.track == index {
                        chunks.push((at, chunk.samples.len() as u32));
                    }
                    at += chunk.bytes;
                }
                let chapters = chapters_id.filter(|_| index == VIDEO);
                tables.push(trak(b, index as u32 + 1, track, &chunks, wide, chapters));
            }
            if let (Some(id), Some(track)) = (chapters_id, chapter_track) {
                let media: u64 = self.chunks.iter().map(|c| c.bytes).sum();
                let chunk = [(media, track.len() as u32)];
                tables.push(trak(b, id, track, &chunk, wide, None));
            }
            if self.chapters.len() > 1 {
                b.boxed(b"udta", |b| chapter_list(b, &self.chapters));
            }
        });
        tables
    }
}

/// Where a track's chunk offset entries are in the head, and how many there are.
struct OffsetTable {
    at: usize,
    count: usize,
}

/// Boxes written into one buffer, each box's size filled in when it closes: a `moov` of a million samples
/// is laid out once, in place, instead of each level being copied into the next.
#[derive(Default)]
struct Boxes {
    bytes: Vec<u8>,
}

impl Boxes {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// A box of type `kind` around what `body` writes.
    fn boxed(&mut self, kind: &[u8; 4], body: impl FnOnce(&mut Boxes)) {
        let at = self.bytes.len();
        self.u32(0);
        self.put(kind);
        body(self);
        let size = u32::try_from(self.bytes.len() - at).expect("a box of the moov under 4 GiB");
        self.bytes[at..at + 4].copy_from_slice(&size.to_be_bytes());
    }

    /// A full box (version and flags) of type `kind` around what `body` writes.
    fn full(&mut self, kind: &[u8; 4], version: u8, flags: u32, body: impl FnOnce(&mut Boxes)) {
        let mut head = flags.to_be_bytes();
        head[0] = version;
        self.boxed(kind, |b| {
            b.put(&head);
            body(b);
        });
    }

    /// A table box: its entry count, then its entries of `N` words each.
    fn table<const N: usize>(&mut self, kind: &[u8; 4], entries: &[[u32; N]]) {
        self.full(kind, 0, 0, |b| {
            b.u32(entries.len() as u32);
            for entry in entries {
                b.u32s(*entry);
            }
        });
    }

    fn put(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    fn u32(&mut self, value: u32) {
        self.put(&value.to_be_bytes());
    }

    fn u32s(&mut self, values: impl IntoIterator<Item = u32>) {
        for value in values {
            self.u32(value);
        }
    }

    fn u64(&mut self, value: u64) {
        self.put(&value.to_be_bytes());
    }

    /// Adds `by` to each chunk offset of `table` (64-bit ones when `wide`).
    fn shift_offsets(&mut self, table: OffsetTable, wide: bool, by: u64) {
        let width = if wide { 8 } else { 4 };
        for entry in self.bytes[table.at..table.at + width * table.count].chunks_exact_mut(width) {
            if wide {
                let offset = u64::from_be_bytes(entry.try_into().expect("8 bytes")) + by;
                entry.copy_from_slice(&offset.to_be_bytes());
            } else {
                let offset = u32::from_be_bytes(entry.try_into().expect("4 bytes")) as u64 + by;
                let offset = u32::try_from(offset).expect("offsets under 4 GiB unless wide");
                entry.copy_from_slice(&offset.to_be_bytes());
            }
        }
    }
}

/// The sample description `stsd` with its bitrate box (if it has one) saying `bitrates`: a copied
/// description holds the figures its encoder guessed (x264's bitrate setting, unused at a constant
/// quantizer), not the track's.
fn with_bitrates(stsd: &[u8], bitrates: &[u32; 3]) -> Vec<u8> {
    let mut bytes = stsd.to_vec();
    if let Some(figures) = read::bitrate_figures(stsd) {
        for (field, value) in bytes[figures].chunks_exact_mut(4).zip(bitrates) {
            field.copy_from_slice(&value.to_be_bytes());
        }
    }
    bytes
}

/// Writes the chapter list `chapters` (start in the movie time scale, title) as a Nero `chpl` box, which
/// ffmpeg (and so mpv, VLC and ffprobe) reads: starts in units of 100 ns, rounded up so that a player that
/// seeks to a chapter lands on its first frame, not the previous chapter's last; titles cut to 255 bytes
/// at a character boundary; at most 255 chapters.
fn chapter_list(out: &mut Boxes, chapters: &[(u64, String)]) {
    out.full(b"chpl", 1, 0, |b| {
        b.u32(0);
        let count = chapters.len().min(255);
        b.put(&[count as u8]);
        for (start, title) in &chapters[..count] {
            b.u64((start * 10_000_000).div_ceil(u64::from(MOVIE_SCALE)));
            let title = cut_to(title, 255);
            b.put(&[title.len() as u8]);
            b.put(title);
        }
    });
}

/// The bytes of `title`, cut to at most `most` at a character boundary.
fn cut_to(title: &str, most: usize) -> &[u8] {
    let mut end = title.len().min(most);
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    &title.as_bytes()[..end]
}

/// The sample description of a QuickTime text track (the chapter track): one `text` entry with no style,
/// font or box of its own (a player shows chapter titles in its own way).
fn text_description() -> Vec<u8> {
    let mut stsd = Boxes::default();
    stsd.full(b"stsd", 0, 0, |b| {
        b.u32(1);
        b.boxed(b"text", |b| {
            b.put(&[0; 6]);
            b.put(&1u16.to_be_bytes()); // data reference 1
            b.u32(0); // display flags
            b.u32(1); // justification: centred
            b.put(&[0; 6]); // background colour
            b.put(&[0; 8]); // default text box
            b.put(&[0; 8]); // reserved
            b.put(&[0; 4]); // font number and face
            b.put(&[0; 3]); // reserved
            b.put(&[0; 6]); // foreground colour
            b.put(&[0]); // font name: none
        });
    });
    stsd.bytes
}

/// The unity matrix of the movie and track headers.
const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

/// Writes the track `id`: `track`'s samples in `chunks` (offset from the start of the samples, sample
/// count), playing from its first sample, with a reference to the chapter track `chapters` if given;
/// returns where its chunk offsets are.
fn trak(
    out: &mut Boxes,
    id: u32,
    track: &TrackOut,
    chunks: &[(u64, u32)],
    wide: bool,
    chapters: Option<u32>,
) -> OffsetTable {
    let sound = &track.like.handler == b"soun";
    let text = &track.like.handler == b"text";
    let duration = track.duration();
    let mut offsets = OffsetTable {
        at: 0,
        count: chunks.len(),
    };
    out.boxed(b"trak", |b| {
        // A chapter track is not played: it is not enabled, and is found from the video track's reference.
        b.full(b"tkhd", 1, if text { 0 } else { 3 }, |b| {
            b.put(&[0; 16]);
            b.u32(id);
            b.put(&[0; 4]);
            b.u64(duration);
            b.put(&[0; 12]);
            b.put(if sound { &[0x01, 0x00] } else { &[0, 0] });
            b.put(&[0, 0]);
            b.u32s(MATRIX);
            b.put(if sound { &[0; 8] } else { &track.like.size });
        });
        if let Some(chapters) = chapters {
            b.boxed(b"tref", |b| b.boxed(b"chap", |b| b.u32(chapters)));
        }
        b.boxed(b"mdia", |b| {
            b.full(b"mdhd", 1, 0, |b| {
                b.put(&[0; 16]);
                b.u32(MOVIE_SCALE);
                b.u64(duration);
                b.put(&[0x55, 0xc4, 0, 0]);
            });
            let (handler, name): (&[u8; 4], &[u8]) = if sound {
                (b"soun", b"SoundHandler\0")
            } else if text {
                (b"text", b"Chapters\0")
            } else {
                (b"vide", b"VideoHandler\0")
            };
            b.full(b"hdlr", 0, 0, |b| {
                b.put(&[0; 4]);
                b.put(handler);
                b.put(&[0; 12]);
                b.put(name);
            });
            b.boxed(b"minf", |b| {
                if sound {
                    b.full(b"smhd", 0, 0, |b| b.put(&[0; 4]));
                } else if text {
                    // QuickTime's base media header: graphics mode copy, grey op colour, no balance;
                    // then the text media's matrix.
                    b.boxed(b"gmhd", |b| {
                        b.full(b"gmin", 0, 0, |b| {
                            b.put(&0x40u16.to_be_bytes());
                            b.put(&[0x80, 0, 0x80, 0, 0x80, 0]);
                            b.put(&[0; 4]);
                        });
                        b.boxed(b"text", |b| b.u32s(MATRIX));
                    });
                } else {
                    b.full(b"vmhd", 0, 1, |b| b.put(&[0; 8]));
                }
                b.boxed(b"dinf", |b| {
                    b.full(b"dref", 0, 0, |b| {
                        b.u32(1);
                        b.full(b"url ", 0, 1, |_| {});
                    });
                });
                b.boxed(b"stbl", |b| {
                    b.put(&with_bitrates(&track.like.stsd, &track.bitrates()));
                    let durations: Vec<[u32; 2]> = (track.durations.iter())
                        .map(|&(count, duration)| [count, duration])
                        .collect();
                    b.table(b"stts", &durations);
                    if !track.every_sync {
                        b.full(b"stss", 0, 0, |b| {
                            b.u32(track.syncs.len() as u32);
                            b.u32s(track.syncs.iter().copied());
                        });
                    }
                    // Runs of chunks of one sample count: (first chunk, samples per chunk, description 1).
                    let mut per_chunk: Vec<[u32; 3]> = Vec::new();
                    for (index, &(_, count)) in chunks.iter().enumerate() {
                        if per_chunk.last().is_none_or(|run| run[1] != count) {
                            per_chunk.push([index as u32 + 1, count, 1]);
                        }
                    }
                    b.table(b"stsc", &per_chunk);
                    b.full(b"stsz", 0, 0, |b| {
                        b.u32(0);
                        b.u32(track.sizes.len() as u32);
                        b.u32s(track.sizes.iter().copied());
                    });
                    b.full(if wide { b"co64" } else { b"stco" }, 0, 0, |b| {
                        b.u32(chunks.len() as u32);
                        offsets.at = b.len();
                        for &(offset, _) in chunks {
                            if wide {
                                b.u64(offset);
                            } else {
                                b.u32(offset as u32);
                            }
                        }
                    });
                });
            });
        });
    });
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::read;

    /// A track of `handler` with a sample description of no entries (what a copy needs of it).
    fn like(handler: &[u8; 4], timescale: u32) -> Track {
        Track {
            handler: *handler,
            timescale,
            stsd: {
                let mut stsd = Boxes::default();
                stsd.full(b"stsd", 0, 0, |b| b.u32(0));
                stsd.bytes
            },
            size: [0; 8],
            samples: Vec::new(),
        }
    }

    fn sample(offset: u64, size: u32) -> Sample {
        Sample {
            offset,
            size,
            duration: 1024,
            sync: true,
        }
    }

    /// The samples of `movie` as its head says they are, read back with the reader.
    fn read_back(movie: &Movie) -> (u64, Vec<read::Track>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("head.mp4");
        let head = movie.head(None);
        std::fs::write(&path, &head).unwrap();
        (head.len() as u64, read::tracks(&path).unwrap())
    }

    #[test]
    fn chunk_offsets_point_past_the_head_to_each_chunk_also_beyond_4_gib() {
        for sample_size in [1_000, 1_500_000_000] {
            let mut movie = Movie::new(like(b"vide", 10), like(b"soun", AUDIO_RATE));
            // Three sources, each with one video and two sound samples: six chunks.
            for _ in 0..3 {
                let source = movie.source(Path::new("clip.mp4"));
                movie.append(VIDEO, source, &[sample(48, sample_size)], |_| 4800);
                let sound = [sample(10, 7), sample(17, 9)];
                movie.append(SOUND, source, &sound, |_| 1024);
            }
            let (head_len, tracks) = read_back(&movie);
            let mut at = head_len;
            let mut expected = Vec::new();
            for _ in 0..3 {
                expected.push((0, at, sample_size));
                at += u64::from(sample_size);
                expected.extend([(1, at, 7), (1, at + 7, 9)]);
                at += 16;
            }
            let mut found: Vec<(usize, u64, u32)> = (tracks.iter().enumerate())
                .flat_map(|(t, track)| track.samples.iter().map(move |s| (t, s.offset, s.size)))
                .collect();
            found.sort_by_key(|&(_, offset, _)| offset);
            assert_eq!(found, expected, "samples of {sample_size} bytes");
        }
    }

    #[test]
    fn chapters_are_listed_rounded_up_and_carried_by_a_text_track_the_video_refers_to() {
        let mut movie = Movie::new(like(b"vide", AUDIO_RATE), like(b"soun", AUDIO_RATE));
        let source = movie.source(Path::new("clip.mp4"));
        movie.mark_chapter("One");
        // 489,490 samples: the second chapter starts at 20.3954166... s.
        movie.append(VIDEO, source, &[sample(0, 10)], |_| 489_490);
        movie.mark_chapter("Twö");
        movie.append(VIDEO, source, &[sample(10, 10)], |_| 24_000);
        let chapters = movie.chapter_track();
        let head = movie.head(chapters.as_ref());
        let chpl = head.windows(4).position(|w| w == b"chpl").unwrap() + 4;
        // Version and flags, 4 reserved bytes, a count, then (start in 100 ns, title length, title).
        assert_eq!(head[chpl + 8], 2);
        let second = chpl + 9 + 8 + 1 + 3;
        let start = u64::from_be_bytes(head[second..second + 8].try_into().unwrap());
        assert_eq!(start, 203_954_167, "489490 / 24000 s in 100 ns, rounded up");
        assert_eq!(&head[second + 9..second + 9 + 4], "Twö".as_bytes());
        // The chapter track: the video track refers to track 3, a text track of one sample per chapter
        // whose bytes follow the media's in the mdat.
        let chap = head.windows(4).position(|w| w == b"chap").unwrap() + 4;
        assert_eq!(
            u32::from_be_bytes(head[chap..chap + 4].try_into().unwrap()),
            3
        );
        let tracks = {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("head.mp4");
            let (_, titles) = chapters.unwrap();
            let mut file = head.clone();
            file.extend(vec![0; 20]);
            file.extend(&titles);
            std::fs::write(&path, &file).unwrap();
            (read::tracks(&path).unwrap(), file)
        };
        let (tracks, file) = tracks;
        let text = tracks.iter().find(|t| &t.handler == b"text").unwrap();
        let durations: Vec<u32> = text.samples.iter().map(|s| s.duration).collect();
        assert_eq!(durations, [489_490, 24_000]);
        let first = text.samples[0];
        let at = first.offset as usize;
        assert_eq!(&file[at..at + 5], b"\0\x03One");
    }
}
