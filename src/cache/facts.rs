//! The facts an action entry states beside its outputs (a narration's samples and sentence times, a clip's
//! frames, a chapter's length), declared per node kind and checked whenever an entry is read: each by its
//! type and range, and against the blobs where they say what a blob holds (a narration's samples are what its
//! WAV's size says). No hash covers an entry's facts, and later nodes take them on trust (a chapter's length,
//! every subtitle's time), so an entry whose facts do not hold is damaged: a miss, never a wrong video.

use serde_json::Value;

use crate::cache::Damage;
use crate::graph::node::NodeKind;
use crate::media::audio::AUDIO_RATE;
use crate::sys::small_map::SmallMap;

/// What a fact is.
#[derive(Debug, Clone, Copy)]
enum Fact {
    /// A whole number from 0 to `max`.
    Count { max: u64 },
    /// A number of seconds from 0 to `max`.
    Seconds { max: f64 },
    /// `true` or `false`.
    Flag,
    /// Text of at most `max` characters.
    Text { max: usize },
    /// A list of at most `max` `[start, end]` sample spans, in order.
    Spans { max: usize },
}

/// A fact a kind's entries state: its name, what it is, and whether a later node reads it (then every entry
/// must state it).
struct Declared {
    name: &'static str,
    fact: Fact,
    read: bool,
}

const fn fact(name: &'static str, fact: Fact, read: bool) -> Declared {
    Declared { name, fact, read }
}

/// The longest a slide's narration, a chapter or a course may be: 100 hours.
const MAX_SECONDS: f64 = 360_000.0;
/// As many samples.
const MAX_SAMPLES: u64 = MAX_SECONDS as u64 * AUDIO_RATE as u64;
/// The most slides a chapter, sentences a slide or cues a chapter may have.
const MAX_ITEMS: u64 = 1_000_000;

/// The facts a kind's entries state.
fn declared(kind: NodeKind) -> &'static [Declared] {
    use Fact::*;
    const SCRIPT: &[Declared] = &[fact("slides", Count { max: MAX_ITEMS }, false)];
    const AUDIO: &[Declared] = &[
        fact("samples", Count { max: MAX_SAMPLES }, true),
        fact(
            "sentences",
            Spans {
                max: MAX_ITEMS as usize,
            },
            false,
        ),
    ];
    const IMAGE: &[Declared] = &[
        fact("missing_glyphs", Text { max: 100_000 }, false),
        fact("overflow", Flag, false),
    ];
    const CLIP: &[Declared] = &[
        fact("seconds", Seconds { max: MAX_SECONDS }, false),
        fact("frames", Count { max: MAX_SAMPLES }, false),
    ];
    const CHAPTER_VIDEO: &[Declared] = &[
        fact("samples", Count { max: MAX_SAMPLES }, false),
        fact("seconds", Seconds { max: MAX_SECONDS }, true),
    ];
    const CHAPTER_SUBTITLES: &[Declared] = &[
        fact("seconds", Seconds { max: MAX_SECONDS }, true),
        fact("cues", Count { max: MAX_ITEMS }, false),
    ];
    const COURSE_VIDEO: &[Declared] = &[fact("seconds", Seconds { max: MAX_SECONDS }, false)];
    const TRANSLATION: &[Declared] = &[fact("title", Text { max: 100_000 }, true)];
    match kind {
        NodeKind::Translation | NodeKind::CourseTitle => TRANSLATION,
        NodeKind::Chapter | NodeKind::Picture | NodeKind::CourseSubtitles => &[],
        NodeKind::Script => SCRIPT,
        NodeKind::Audio => AUDIO,
        NodeKind::Image => IMAGE,
        NodeKind::Clip => CLIP,
        NodeKind::ChapterVideo => CHAPTER_VIDEO,
        NodeKind::ChapterSubtitles => CHAPTER_SUBTITLES,
        NodeKind::CourseVideo => COURSE_VIDEO,
    }
}

/// The bytes a WAV file of vbuild's (mono, 16-bit, 44-byte header) holds before its samples.
const WAV_HEADER: u64 = 44;

/// Checks the facts `meta` of an entry of `kind`: each declared one by its type and range, those a later
/// node reads present, and what they say of the blobs against `blob_size` (the size of an output's blob,
/// when it is known). Facts no kind declares are left alone (nothing reads them).
pub fn check(
    kind: NodeKind,
    meta: &SmallMap<Value>,
    blob_size: &dyn Fn(&str) -> Option<u64>,
) -> Result<(), Damage> {
    for declared in declared(kind) {
        match meta.get(declared.name) {
            Some(value) => {
                check_value(declared.fact, value).map_err(|why| bad(declared.name, value, &why))?
            }
            None if declared.read => {
                return Err(Damage::Fact {
                    name: declared.name.into(),
                    why: "it is missing".into(),
                });
            }
            None => {}
        }
    }
    let count = |name: &str| meta.get(name).and_then(Value::as_u64);
    let seconds = |name: &str| meta.get(name).and_then(Value::as_f64);
    match kind {
        NodeKind::Audio => {
            let samples = count("samples").unwrap_or_default();
            if let Some(size) = blob_size("speech")
                && size != WAV_HEADER + 2 * samples
            {
                return Err(Damage::Fact {
                    name: "samples".into(),
                    why: format!("{samples} samples, but its speech holds {size} bytes"),
                });
            }
            if let Some(Value::Array(spans)) = meta.get("sentences")
                && let Some(last) = spans.last().and_then(|s| s.get(1)).and_then(Value::as_u64)
                && last > samples
            {
                return Err(Damage::Fact {
                    name: "sentences".into(),
                    why: format!("a sentence ends at sample {last}, past the {samples} there are"),
                });
            }
        }
        NodeKind::ChapterVideo => {
            if let (Some(samples), Some(length)) = (count("samples"), seconds("seconds"))
                && (samples as f64 / f64::from(AUDIO_RATE) - length).abs() > 1e-6
            {
                return Err(Damage::Fact {
                    name: "seconds".into(),
                    why: format!("{length} s, but its {samples} samples last another length"),
                });
            }
        }
        NodeKind::Clip => {
            if let (Some(frames), Some(length)) = (count("frames"), seconds("seconds")) {
                let fps = frames as f64 / length;
                let whole = fps.round();
                if frames > 0 && (!(1.0..=60.0).contains(&whole) || (fps - whole).abs() > 1e-6) {
                    return Err(Damage::Fact {
                        name: "seconds".into(),
                        why: format!("{frames} frames in {length} s is no frame rate vbuild makes"),
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn bad(name: &str, value: &Value, why: &str) -> Damage {
    let shown = crate::sys::shown::value(&value.to_string()).into_owned();
    Damage::Fact {
        name: name.into(),
        why: format!("{shown}: {why}"),
    }
}

/// Checks one fact's value against what it is.
fn check_value(fact: Fact, value: &Value) -> Result<(), String> {
    match fact {
        Fact::Count { max } => match value.as_u64() {
            Some(n) if n <= max => Ok(()),
            Some(_) => Err(format!("expected at most {max}")),
            None => Err("expected a whole number of 0 or more".into()),
        },
        Fact::Seconds { max } => match value.as_f64() {
            Some(s) if (0.0..=max).contains(&s) => Ok(()),
            _ => Err(format!("expected seconds from 0 to {max}")),
        },
        Fact::Flag => value
            .is_boolean()
            .then_some(())
            .ok_or_else(|| "expected true or false".into()),
        Fact::Text { max } => match value.as_str() {
            Some(text) if text.chars().count() <= max => Ok(()),
            _ => Err(format!("expected text of at most {max} characters")),
        },
        Fact::Spans { max } => {
            let Some(spans) = value.as_array().filter(|s| s.len() <= max) else {
                return Err(format!(
                    "expected a list of at most {max} [start, end] spans"
                ));
            };
            let mut previous_end = 0;
            for span in spans {
                let pair = span.as_array().filter(|p| p.len() == 2);
                let ends = pair.and_then(|p| Some((p[0].as_u64()?, p[1].as_u64()?)));
                match ends {
                    Some((start, end)) if previous_end <= start && start <= end => {
                        previous_end = end
                    }
                    _ => return Err(format!("{span} is not a span after the one before it")),
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(facts: Value) -> SmallMap<Value> {
        serde_json::from_value(facts).unwrap()
    }

    #[test]
    fn facts_are_checked_by_type_range_and_against_the_blobs() {
        let wav = |samples: u64| move |name: &str| (name == "speech").then_some(44 + 2 * samples);
        let audio = |facts: Value, size: u64| check(NodeKind::Audio, &meta(facts), &wav(size));
        assert_eq!(
            audio(
                json!({"samples": 100, "sentences": [[0, 40], [60, 100]]}),
                100
            ),
            Ok(())
        );
        // The 471 s course: samples edited in one entry.
        assert!(matches!(
            audio(json!({"samples": 9_000_000}), 100),
            Err(Damage::Fact { .. })
        ));
        for bad in [
            json!("100"),
            json!(-1),
            json!(1e300),
            json!(100.5),
            json!(null),
        ] {
            assert!(audio(json!({ "samples": bad }), 100).is_err(), "{bad}");
        }
        assert!(
            audio(json!({}), 100).is_err(),
            "a fact a later node reads is missing"
        );
        assert!(
            audio(
                json!({"samples": 100, "sentences": [[60, 100], [0, 40]]}),
                100
            )
            .is_err()
        );
        assert!(audio(json!({"samples": 100, "sentences": [[0, 400]]}), 100).is_err());
        assert!(audio(json!({"samples": 100, "sentences": "0.043"}), 100).is_err());
        // Facts nobody reads are left alone.
        assert_eq!(audio(json!({"samples": 100, "comment": "x"}), 100), Ok(()));

        let none = |_: &str| None;
        let chapter = |facts: Value| check(NodeKind::ChapterVideo, &meta(facts), &none);
        assert_eq!(chapter(json!({"samples": 48_000, "seconds": 2.0})), Ok(()));
        assert!(chapter(json!({"samples": 48_000, "seconds": 9.0})).is_err());
        assert!(chapter(json!({"seconds": "21"})).is_err());
        assert!(chapter(json!({"seconds": 1e300})).is_err());
        let clip = |facts: Value| check(NodeKind::Clip, &meta(facts), &none);
        assert_eq!(clip(json!({"frames": 30, "seconds": 3.0})), Ok(()));
        assert!(clip(json!({"frames": 30, "seconds": 7.0})).is_err());
        let image = |facts: Value| check(NodeKind::Image, &meta(facts), &none);
        assert_eq!(
            image(json!({"overflow": true, "missing_glyphs": "☃"})),
            Ok(())
        );
        assert!(image(json!({"overflow": "yes"})).is_err());
    }
}
