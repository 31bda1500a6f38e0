//! What each node kind does: its signature (what goes into its key) and its job (the work that makes its
//! outputs). Both are made by one function, [`prepare`], from the same values, so the key covers exactly
//! what the job uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use petgraph::graph::NodeIndex;
use serde_json::json;

use crate::cost::Usage;
use crate::digest::Digest;
use crate::lecture::{Chapter, ChapterSource, ImageFile, Images, slug};
use crate::markdown::Block;
use crate::media::subtitles::{self, Cue, TimedNarration};
use crate::media::{self, MediaError, audio, clip, join, layout, narration, slide};
use crate::plan::{NodeKind, Plan};
use crate::pronounce::Dictionary;
use crate::providers::llm::ScriptRequest;
use crate::providers::outline::{self, OutlineSettings, split_sentences};
use crate::providers::picture::{Painter, PictureRequest};
use crate::providers::piper::{Delivery, Piper};
use crate::providers::tts::{self, CloudVoice, SpeechRequest};
use crate::providers::{Clients, ProviderError, espeak, piper, voices};
use crate::script::{self, Script};
use crate::signature::Signature;
use crate::store::{ActionEntry, Store, StoreError, io_error};
use crate::videofile::{AUDIO_RATE, Api, Videofile};

/// A node's work failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The shard that builds a node did not publish it in time.
    #[error("shard {owner} did not publish it within {}", humantime::format_duration(*waited))]
    NotPublished {
        owner: String,
        waited: std::time::Duration,
    },
    /// The job panicked (a bug in vbuild); the build goes on as after any failure.
    #[error("internal error (please report it): {0}")]
    Panic(String),
    /// A cached chapter, script or cue list could not be read back.
    #[error("invalid {what}: {message}")]
    Invalid { what: &'static str, message: String },
}

/// Versions of the external programs whose output lands in the cache.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Empty when the build does not speak with espeak-ng, so it need not be installed.
    pub espeak: String,
    /// The voice that speaks each language of the course.
    pub speakers: BTreeMap<String, Speaker>,
    pub gstreamer: String,
}

/// Who speaks one language of the course.
#[derive(Debug, Clone)]
pub enum Speaker {
    /// An espeak-ng voice.
    Espeak(String),
    Piper(Piper),
    /// A cloud voice name (empty: the service's default for the language) and language code.
    Cloud {
        voice: String,
        language: String,
    },
}

impl Tools {
    /// Asks the installed programs for their versions and finds the voice of each of `languages` (the
    /// course's and its chapters'): a voice that does not exist, or piper without a voice for a language,
    /// is an error before any work (`piper_variable` is the `VBUILD_PIPER` variable, if set).
    pub fn detect(
        videofile: &Videofile,
        languages: &BTreeSet<String>,
        piper_variable: Option<&str>,
    ) -> Result<Tools, StepError> {
        media::init()?;
        let speech = &videofile.speech;
        let course = &videofile.course.language;
        let espeak = if speech.provider == "espeak" {
            espeak::version()?
        } else {
            String::new()
        };
        let mut speakers = BTreeMap::new();
        for language in languages {
            let named = voices::named(speech, course, language);
            let speaker = match speech.provider.as_str() {
                "espeak" => {
                    let voice = named.unwrap_or_else(|| voices::espeak_voice(language));
                    espeak::check_voice(&voice, language)?;
                    Speaker::Espeak(voice)
                }
                "piper" => {
                    let english = language.to_lowercase().split('-').next() == Some("en");
                    let model = named.map(|m| videofile.project_dir.join(m));
                    if model.is_none() && !english {
                        return Err(StepError::Provider(ProviderError::Missing {
                            program: "a piper voice".into(),
                            message: format!(
                                "nothing speaks {language}: name a voice file with [speech.voices] {language} = \"voices/x.onnx\" (the installed voice is English)"
                            ),
                        }));
                    }
                    Speaker::Piper(piper::find(
                        speech.piper.location.as_deref(),
                        piper_variable,
                        model.as_deref(),
                    )?)
                }
                provider => Speaker::Cloud {
                    // OpenAI's voices speak every language; Google's default voice is the language's own.
                    voice: named.unwrap_or_else(|| match videofile.providers.get(provider) {
                        Some(settings) if settings.api == Api::Google => String::new(),
                        _ => speech.voice.clone(),
                    }),
                    language: if language == course {
                        speech.language.clone()
                    } else {
                        language.clone()
                    },
                },
            };
            speakers.insert(language.clone(), speaker);
        }
        Ok(Tools {
            espeak,
            speakers,
            gstreamer: media::gstreamer_version(),
        })
    }
}

/// Everything a node's signature and job are made from, besides its inputs.
pub struct Context<'a> {
    pub videofile: &'a Videofile,
    pub chapters: &'a [ChapterSource],
    /// The local images the lecture shows.
    pub images: &'a Images,
    pub tools: &'a Tools,
    pub clients: &'a Clients,
    /// The script prompt template (the Videofile's file, or the built-in one).
    pub script_template: &'a str,
}

/// The finished nodes a node can read: their cache entries and the parsed scripts.
pub trait Finished {
    /// The entry of a finished node.
    fn entry(&self, node: NodeIndex) -> &ActionEntry;
    /// The script of a chapter whose script node has finished.
    fn script(&self, chapter: usize) -> &Script;
}

/// The work a node does, with everything it needs (input blobs by hash).
#[derive(Debug, Clone)]
pub enum Job {
    Chapter(Chapter),
    Script {
        chapter: Digest,
        /// What the outline writer starts its slide ids with.
        slide_ids: String,
        writer: Writer,
    },
    /// Narration, as it is said (the pronunciation dictionary applied): whole, and in sentences (as many
    /// as the written narration has, so the subtitles can follow them).
    Speech {
        spoken: String,
        sentences: Vec<String>,
        voice: Voice,
    },
    Picture {
        prompt: String,
        request: PictureRequest,
    },
    Slide {
        content: slide::SlideContent,
        style: slide::SlideStyle,
        /// The hash of a generated picture to compose with the text.
        picture: Option<Digest>,
        /// The local images the slide shows, by the path its blocks name, with their signed hashes.
        images: Vec<(String, ImageFile)>,
    },
    Clip {
        audio: Digest,
        image: Digest,
        fps: u32,
        /// The slide is held at least this many samples of audio.
        min_samples: usize,
    },
    Join {
        /// Each part's video and narration.
        parts: Vec<(Digest, Digest)>,
    },
    ChapterSubtitles {
        slides: Vec<TimedNarration>,
    },
    CourseSubtitles {
        chapters: Vec<ChapterCues>,
    },
}

/// Who writes a chapter's script.
#[derive(Debug, Clone)]
pub enum Writer {
    Outline(OutlineSettings),
    /// A language model; on failure, the outline writer when the Videofile asks for it.
    Model {
        request: ScriptRequest,
        fallback: Option<OutlineSettings>,
        /// The tokens the request is expected to use (for dry-run estimates).
        estimate: Usage,
    },
}

/// Who speaks the narration.
#[derive(Debug, Clone)]
pub enum Voice {
    Espeak { voice: String, rate: u32 },
    Piper { piper: Piper, delivery: Delivery },
    Cloud(SpeechRequest),
}

/// A finished chapter's subtitles, as the course subtitles read them.
#[derive(Debug, Clone)]
pub struct ChapterCues {
    /// Hash of the chapter's cue list (JSON).
    pub cues: Digest,
    /// The chapter video's length.
    pub seconds: f64,
    pub title: String,
}

/// A node ready to be looked up in the cache and, on a miss, run.
pub struct Prepared {
    pub signature: Signature,
    pub job: Job,
}

/// What a node is expected to ask of its provider before its inputs are known (dry runs): a cloud script's
/// tokens, from the chapter's Markdown.
pub fn estimate(plan: &Plan, node: NodeIndex, ctx: &Context) -> Usage {
    let n = plan.graph[node];
    match (n.kind, n.chapter) {
        (NodeKind::Script, Some(chapter)) if ctx.videofile.script.provider != "outline" => {
            script_estimate(ctx, chapter)
        }
        _ => Usage::default(),
    }
}

/// About four characters a token: the prompt holds the template and the chapter, the answer about as much as
/// the chapter.
fn script_estimate(ctx: &Context, chapter: usize) -> Usage {
    let chapter_chars = ctx.chapters[chapter].markdown.chars().count() as u64;
    Usage {
        input_tokens: (ctx.script_template.chars().count() as u64 + chapter_chars) / 4,
        output_tokens: chapter_chars / 4,
        requests: 1,
        ..Usage::default()
    }
}

/// Makes the signature and the job of `node` from its context and its finished inputs.
pub fn prepare(plan: &Plan, node: NodeIndex, ctx: &Context, done: &dyn Finished) -> Prepared {
    let vf = ctx.videofile;
    let n = plan.graph[node];
    let chapter = n.chapter.map(|c| &ctx.chapters[c]);
    let slide = match (n.chapter, n.slide) {
        (Some(c), Some(s)) => Some(&done.script(c).slides[s]),
        _ => None,
    };
    match n.kind {
        NodeKind::Chapter => {
            let source = chapter.expect("chapter nodes have a chapter");
            let mut signature = Signature::new("chapter", 3);
            signature
                .setting("split", vf.course.split)
                .input("markdown", &source.markdown);
            Prepared {
                signature,
                job: Job::Chapter(source.chapter.clone()),
            }
        }
        NodeKind::Script => {
            let index = n.chapter.expect("script nodes have a chapter");
            let chapter_blob = done
                .entry(plan.chapters[index].text)
                .output("chapter")
                .clone();
            let settings = OutlineSettings {
                max_slides: vf.script.max_slides as usize,
                max_bullets: vf.script.max_bullets as usize,
                words_per_slide: vf.script.words_per_slide as usize,
            };
            let mut signature = Signature::new("script", script::SCHEMA_VERSION);
            signature
                .setting("max slides", settings.max_slides)
                .setting("max bullets", settings.max_bullets);
            // The outline writer numbers its slides after the chapter, so its key signs the chapter number; a
            // model's script does not depend on where the chapter stands, so inserting a chapter re-bills
            // nothing (a fallback outline names its slides after the chapter's title instead).
            let (writer, slide_ids) = if vf.script.provider == "outline" {
                signature
                    .setting("writer", "outline")
                    .setting("writer version", outline::VERSION)
                    .setting("layout version", layout::VERSION)
                    .setting("words per slide", settings.words_per_slide)
                    .input("chapter number", index + 1)
                    .input("chapter", &chapter_blob);
                (Writer::Outline(settings), format!("{:02}", index + 1))
            } else {
                let fallback = vf.script.fallback_to_outline.then_some(settings);
                signature
                    .setting("writer", "openai-chat")
                    .setting("model", &vf.script.model)
                    .setting("prompt template", ctx.script_template)
                    .setting(
                        "fallback",
                        if fallback.is_some() {
                            "outline"
                        } else {
                            "none"
                        },
                    );
                let estimate = script_estimate(ctx, index);
                let request = ScriptRequest {
                    client: ctx.clients.get(&vf.script.provider),
                    model: vf.script.model.clone(),
                    template: ctx.script_template.to_string(),
                    course_title: vf.course.title.clone(),
                    max_slides: settings.max_slides,
                    max_bullets: settings.max_bullets,
                    max_attempts: vf.script.max_attempts,
                };
                let writer = Writer::Model {
                    request,
                    fallback,
                    estimate,
                };
                // A model reads the chapter as text: that text is what its script depends on.
                signature.input("chapter text", ctx.chapters[index].chapter.to_text());
                (writer, slug(&ctx.chapters[index].chapter.title))
            };
            Prepared {
                signature,
                job: Job::Script {
                    chapter: chapter_blob,
                    slide_ids,
                    writer,
                },
            }
        }
        NodeKind::Audio => {
            let text = slide
                .expect("audio nodes have a slide")
                .speaker_notes
                .clone();
            let mut signature = Signature::new("audio", 1);
            signature.setting("format", audio::FORMAT);
            let speech = &vf.speech;
            let language = &chapter.expect("audio nodes have a chapter").language;
            let speaker = ctx
                .tools
                .speakers
                .get(language)
                .expect("every language of the course has a speaker");
            let voice = match (speaker, vf.providers.get(&speech.provider)) {
                (Speaker::Piper(piper), _) => {
                    let delivery = speech.piper.delivery;
                    signature
                        .setting("provider", "piper")
                        .setting("engine", format!("piper-tts {}", piper.version))
                        .setting("voice", &piper.voice_hash)
                        .setting("speaker", delivery.speaker)
                        .setting("length scale", delivery.length_scale)
                        .setting("noise scale", delivery.noise_scale)
                        .setting("noise w scale", delivery.noise_w_scale)
                        .setting("peak", piper::PEAK)
                        .setting("timing", narration::TIMING);
                    Voice::Piper {
                        piper: piper.clone(),
                        delivery,
                    }
                }
                (Speaker::Espeak(voice), _) => {
                    signature
                        .setting("provider", "espeak")
                        .setting("engine", &ctx.tools.espeak)
                        .setting("voice", voice)
                        .setting("rate", speech.rate)
                        .setting("timing", narration::TIMING);
                    Voice::Espeak {
                        voice: voice.clone(),
                        rate: speech.rate,
                    }
                }
                (Speaker::Cloud { voice, language }, Some(settings)) => {
                    let cloud = match settings.api {
                        Api::Google => {
                            signature
                                .setting("provider", "google-tts")
                                .setting("voice", voice)
                                .setting("language", language);
                            CloudVoice::Google {
                                voice: voice.clone(),
                                language: language.clone(),
                            }
                        }
                        _ => {
                            signature
                                .setting("provider", "openai-speech")
                                .setting("model", &speech.model)
                                .setting("voice", voice);
                            CloudVoice::OpenAi {
                                model: speech.model.clone(),
                                voice: voice.clone(),
                            }
                        }
                    };
                    Voice::Cloud(SpeechRequest {
                        client: ctx.clients.get(&speech.provider),
                        voice: cloud,
                        max_chars: settings.max_chars,
                    })
                }
                (Speaker::Cloud { .. }, None) => unreachable!("cloud speakers have a provider"),
            };
            // The written narration and the dictionary entries that change it decide what is said; a
            // dictionary that changes nothing here leaves the key as it was.
            let dictionary = Dictionary::new(&speech.pronounce);
            let used = dictionary.used(&text);
            if !used.is_empty() {
                signature.setting("pronounce", used.join("; "));
            }
            signature.input("narration", &text);
            let sentences = split_sentences(&text)
                .iter()
                .map(|s| dictionary.apply(s))
                .collect();
            let spoken = dictionary.apply(&text);
            Prepared {
                signature,
                job: Job::Speech {
                    spoken,
                    sentences,
                    voice,
                },
            }
        }
        NodeKind::Picture => {
            let prompt = slide
                .expect("picture nodes have a slide")
                .visual_prompt
                .clone();
            let images = &vf.images;
            let api = vf
                .providers
                .get(&images.provider)
                .expect("picture nodes exist for cloud image providers")
                .api;
            let mut signature = Signature::new("picture", 1);
            let painter = if api == Api::Stability {
                signature
                    .setting("provider", "stability")
                    .setting("model", &images.model);
                Painter::Stability {
                    model: images.model.clone(),
                }
            } else {
                signature
                    .setting("provider", "openai-images")
                    .setting("model", &images.model)
                    .setting("size", &images.size);
                Painter::OpenAi {
                    model: images.model.clone(),
                    size: images.size.clone(),
                }
            };
            signature.input("prompt", &prompt);
            let request = PictureRequest {
                client: ctx.clients.get(&images.provider),
                painter,
            };
            Prepared {
                signature,
                job: Job::Picture { prompt, request },
            }
        }
        NodeKind::Image => {
            let slide = slide.expect("image nodes have a slide");
            let content = slide::SlideContent {
                course_title: vf.course.title.clone(),
                chapter_title: chapter
                    .expect("image nodes have a chapter")
                    .chapter
                    .title
                    .clone(),
                title: slide.title.clone(),
                blocks: slide::SlideContent::from_script(&slide.content, &slide.bullets),
                number: n.slide.expect("image nodes have a slide") + 1,
            };
            let style = slide::SlideStyle {
                width: vf.video.width,
                height: vf.video.height,
                theme: vf.images.theme,
            };
            let slide_nodes = plan.chapters[n.chapter.expect("image nodes have a chapter")].slides
                [n.slide.expect("image nodes have a slide")];
            let picture = slide_nodes
                .picture
                .map(|p| done.entry(p).output("picture").clone());
            // The local images the slide shows, signed by content: editing one redraws exactly its slides.
            let images: Vec<(String, ImageFile)> = content
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Image { src, .. } => {
                        ctx.images.get(src).map(|f| (src.clone(), f.clone()))
                    }
                    _ => None,
                })
                .collect();
            let mut signature = Signature::new("image", slide::VERSION);
            signature
                .setting("renderer", "slides")
                .setting("layout", layout::VERSION)
                .setting("resolution", format!("{}x{}", style.width, style.height))
                .setting("theme", style.theme)
                .setting("course", &content.course_title)
                .input("chapter", &content.chapter_title)
                .input("title", &content.title)
                .input(
                    "blocks",
                    serde_json::to_string(&content.blocks).expect("blocks serialise"),
                )
                .input("number", content.number);
            for (src, file) in &images {
                signature.input(&format!("image {src}"), &file.hash);
            }
            if let Some(picture) = &picture {
                signature.input("picture", picture);
            }
            Prepared {
                signature,
                job: Job::Slide {
                    content,
                    style,
                    picture,
                    images,
                },
            }
        }
        NodeKind::Clip => {
            let slide_nodes = plan.chapters[n.chapter.expect("clip nodes have a chapter")].slides
                [n.slide.expect("clip nodes have a slide")];
            let audio = done.entry(slide_nodes.audio).output("speech").clone();
            let image = done.entry(slide_nodes.image).output("slide").clone();
            let min_samples = audio::samples_in(vf.video.min_slide_seconds);
            let mut signature = Signature::new("clip", 1);
            signature
                .setting("encoder", clip::SETTINGS)
                .setting("gstreamer", &ctx.tools.gstreamer)
                .setting("fps", vf.video.fps)
                .setting("min samples", min_samples)
                .input("audio", &audio)
                .input("image", &image);
            Prepared {
                signature,
                job: Job::Clip {
                    audio,
                    image,
                    fps: vf.video.fps,
                    min_samples,
                },
            }
        }
        NodeKind::ChapterVideo | NodeKind::CourseVideo => {
            let parts: Vec<NodeIndex> = match n.chapter {
                Some(c) => plan.chapters[c].slides.iter().map(|s| s.clip).collect(),
                None => plan.chapters.iter().map(|c| c.video).collect(),
            };
            let parts: Vec<(Digest, Digest)> = parts
                .into_iter()
                .map(|part| {
                    let entry = done.entry(part);
                    (
                        entry.output("video").clone(),
                        entry.output("narration").clone(),
                    )
                })
                .collect();
            let mut signature = Signature::new(n.kind.name(), 1);
            signature
                .setting("joiner", join::SETTINGS)
                .setting("gstreamer", &ctx.tools.gstreamer);
            for (i, (video, narration)) in parts.iter().enumerate() {
                signature.input(&format!("part {}", i + 1), format!("{video} {narration}"));
            }
            Prepared {
                signature,
                job: Job::Join { parts },
            }
        }
        NodeKind::ChapterSubtitles => {
            let c = n.chapter.expect("chapter subtitles have a chapter");
            let script = done.script(c);
            let slides: Vec<TimedNarration> = plan.chapters[c]
                .slides
                .iter()
                .zip(&script.slides)
                .map(|(nodes, slide)| {
                    // Timed from the speech alone: the padding to whole frames is arithmetic.
                    let entry = done.entry(nodes.audio);
                    let samples = entry.number("samples") as usize;
                    let seconds = |n: usize| n as f64 / f64::from(AUDIO_RATE);
                    let sentences: Vec<(usize, usize)> = entry
                        .meta
                        .get("sentences")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default();
                    TimedNarration {
                        text: slide.speaker_notes.clone(),
                        sentences: sentences
                            .into_iter()
                            .map(|(start, end)| (seconds(start), seconds(end)))
                            .collect(),
                        spoken: seconds(samples),
                        length: seconds(audio::padded_len(
                            samples,
                            vf.video.fps,
                            audio::samples_in(vf.video.min_slide_seconds),
                        )),
                    }
                })
                .collect();
            let mut signature = Signature::new("chapter-subtitles", subtitles::VERSION);
            for (i, s) in slides.iter().enumerate() {
                let times: Vec<String> = s
                    .sentences
                    .iter()
                    .map(|(start, end)| format!("{start:.6}-{end:.6}"))
                    .collect();
                signature.input(
                    &format!("slide {}", i + 1),
                    format!(
                        "{:.6} {:.6} [{}] {}",
                        s.spoken,
                        s.length,
                        times.join(" "),
                        s.text
                    ),
                );
            }
            Prepared {
                signature,
                job: Job::ChapterSubtitles { slides },
            }
        }
        NodeKind::CourseSubtitles => {
            let chapters: Vec<ChapterCues> = plan
                .chapters
                .iter()
                .zip(ctx.chapters)
                .map(|(nodes, source)| {
                    let entry = done.entry(nodes.subtitles);
                    ChapterCues {
                        cues: entry.output("cues").clone(),
                        seconds: entry.number("seconds"),
                        title: source.chapter.title.clone(),
                    }
                })
                .collect();
            let mut signature = Signature::new("course-subtitles", subtitles::VERSION);
            for (i, c) in chapters.iter().enumerate() {
                signature.input(
                    &format!("chapter {}", i + 1),
                    format!("{} {:.6} {}", c.cues, c.seconds, c.title),
                );
            }
            Prepared {
                signature,
                job: Job::CourseSubtitles { chapters },
            }
        }
    }
}

/// The files a job made (output name to path), the facts it measured and what it consumed.
#[derive(Debug, Default)]
pub struct Produced {
    pub files: Vec<(&'static str, PathBuf)>,
    pub meta: BTreeMap<String, serde_json::Value>,
    pub usage: Usage,
}

impl Produced {
    fn file(mut self, name: &'static str, path: PathBuf) -> Produced {
        self.files.push((name, path));
        self
    }

    fn fact(mut self, name: &str, value: serde_json::Value) -> Produced {
        self.meta.insert(name.to_string(), value);
        self
    }
}

/// Writes a job's output file and returns its path.
fn write(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, StepError> {
    std::fs::write(&path, bytes).map_err(io_error(&path))?;
    Ok(path)
}

fn invalid(what: &'static str) -> impl FnOnce(serde_json::Error) -> StepError {
    move |e| StepError::Invalid {
        what,
        message: e.to_string(),
    }
}

impl Job {
    /// What the job asks of its provider: characters to speak, pictures to draw.
    pub fn usage(&self) -> Usage {
        match self {
            Job::Script {
                writer: Writer::Model { estimate, .. },
                ..
            } => *estimate,
            Job::Speech { spoken, voice, .. } => Usage {
                characters: spoken.chars().count() as u64,
                requests: match voice {
                    Voice::Espeak { .. } | Voice::Piper { .. } => 0,
                    Voice::Cloud(request) => {
                        tts::split_for_requests(spoken, request.max_chars.max(1)).len() as u64
                    }
                },
                ..Usage::default()
            },
            Job::Picture { .. } => Usage {
                images: 1,
                requests: 1,
                ..Usage::default()
            },
            _ => Usage::default(),
        }
    }

    /// Does the work in `scratch`, reading input blobs from `store`.
    pub fn run(&self, store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let produced = Produced {
            usage: self.usage(),
            ..Produced::default()
        };
        match self {
            Job::Chapter(chapter) => {
                let json = serde_json::to_vec_pretty(chapter).expect("a chapter always serialises");
                Ok(produced.file("chapter", write(scratch.join("chapter.json"), &json)?))
            }
            Job::Script {
                chapter,
                slide_ids,
                writer,
            } => {
                let chapter: Chapter = serde_json::from_slice(&store.read_blob(chapter)?)
                    .map_err(invalid("chapter"))?;
                let (script, usage) = match writer {
                    Writer::Outline(settings) => (
                        outline::write_script(&chapter, slide_ids, *settings),
                        Usage::default(),
                    ),
                    Writer::Model {
                        request, fallback, ..
                    } => match (request.write(&chapter.title, &chapter.to_text()), fallback) {
                        (Ok(written), _) => written,
                        (Err(err), Some(settings)) => {
                            log::warn!(
                                "{err}; writing this chapter with the outline writer, as the Videofile asks"
                            );
                            (
                                outline::write_script(&chapter, slide_ids, *settings),
                                Usage::default(),
                            )
                        }
                        (Err(err), None) => return Err(err.into()),
                    },
                };
                let slides = script.slides.len();
                let produced = Produced { usage, ..produced };
                Ok(produced
                    .file(
                        "script",
                        write(scratch.join("script.json"), &script.to_json())?,
                    )
                    .fact("slides", json!(slides)))
            }
            Job::Speech {
                spoken,
                sentences,
                voice,
            } => {
                let (speech, usage) = match voice {
                    Voice::Espeak { voice, rate } => {
                        let mut spoken = Vec::new();
                        for (i, sentence) in sentences.iter().enumerate() {
                            let wav = scratch.join(format!("sentence-{i}.wav"));
                            espeak::speak(sentence, voice, *rate, &wav)?;
                            spoken.push(audio::decode(&wav)?);
                        }
                        (narration::join(&spoken), produced.usage)
                    }
                    Voice::Piper { piper, delivery } => {
                        let mut spoken = Vec::new();
                        for (i, sentence) in sentences.iter().enumerate() {
                            let (samples, rate) = piper.speak(sentence, *delivery)?;
                            let wav = scratch.join(format!("sentence-{i}.wav"));
                            audio::write_wav_at(&samples, rate, &wav)?;
                            spoken.push(audio::decode(&wav)?);
                        }
                        (narration::join(&spoken), produced.usage)
                    }
                    Voice::Cloud(request) => {
                        let (samples, usage) = request.speak(spoken, scratch)?;
                        let lengths: Vec<usize> =
                            sentences.iter().map(|s| s.chars().count()).collect();
                        let times = narration::align(&samples, &lengths);
                        let speech = narration::Speech {
                            samples,
                            sentences: times,
                        };
                        (speech, usage)
                    }
                };
                let wav = scratch.join("speech.wav");
                audio::write_wav(&speech.samples, &wav)?;
                let produced = Produced { usage, ..produced };
                Ok(produced
                    .file("speech", wav)
                    .fact("samples", json!(speech.samples.len()))
                    .fact("sentences", json!(speech.sentences)))
            }
            Job::Picture { prompt, request } => {
                let (bytes, usage) = request.draw(prompt)?;
                let produced = Produced { usage, ..produced };
                Ok(produced.file("picture", write(scratch.join("picture"), &bytes)?))
            }
            Job::Slide {
                content,
                style,
                picture,
                images,
            } => {
                let picture = picture
                    .as_ref()
                    .map(|hash| store.read_blob(hash))
                    .transpose()?;
                let mut bytes = BTreeMap::new();
                for (src, file) in images {
                    let read = std::fs::read(&file.path).map_err(io_error(&file.path))?;
                    if Digest::of(&read).as_str() != file.hash {
                        return Err(StepError::Invalid {
                            what: "image",
                            message: format!(
                                "{} changed while the course was building; run vbuild again",
                                file.path.display()
                            ),
                        });
                    }
                    bytes.insert(src.clone(), read);
                }
                let lookup = |src: &str| bytes.get(src).cloned();
                let rendered = slide::render_png(content, *style, picture.as_deref(), &lookup)?;
                let mut produced =
                    produced.file("slide", write(scratch.join("slide.png"), &rendered.png)?);
                if !rendered.missing.is_empty() {
                    let characters: String = rendered.missing.iter().collect();
                    log::warn!(
                        "{}, slide {}: no bundled font has {characters}; left out",
                        content.chapter_title,
                        content.number
                    );
                    produced = produced.fact("missing_glyphs", json!(characters));
                }
                if rendered.overflow {
                    log::warn!(
                        "{}, slide {}: its content does not fit even at the smallest text size; the bottom is cut",
                        content.chapter_title,
                        content.number
                    );
                    produced = produced.fact("overflow", json!(true));
                }
                Ok(produced)
            }
            Job::Clip {
                audio,
                image,
                fps,
                min_samples,
            } => {
                let speech = audio::read_wav(&store.verified_blob(audio)?)?;
                let narration = audio::pad_to_frames(speech, *fps, *min_samples);
                let wav = scratch.join("narration.wav");
                audio::write_wav(&narration.samples, &wav)?;
                let frames = (narration.seconds() * f64::from(*fps)).round() as u64;
                let video = scratch.join("video.mp4");
                clip::encode(&store.verified_blob(image)?, frames, *fps, &video)?;
                Ok(produced
                    .file("video", video)
                    .file("narration", wav)
                    .fact("spoken_seconds", json!(narration.spoken_seconds()))
                    .fact("seconds", json!(narration.seconds()))
                    .fact("frames", json!(frames)))
            }
            Job::Join { parts } => {
                let mut videos = Vec::new();
                let mut narrations = Vec::new();
                for (video, narration) in parts {
                    videos.push(store.verified_blob(video)?);
                    narrations.push(store.verified_blob(narration)?);
                }
                let video = scratch.join("video.mp4");
                join::join_video(
                    &videos.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
                    &video,
                )?;
                let wav = scratch.join("narration.wav");
                audio::join_wavs(
                    &narrations.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
                    &wav,
                    0,
                )?;
                let mp4 = scratch.join("muxed.mp4");
                join::mux_with_audio(&video, &wav, &mp4)?;
                let seconds = audio::wav_seconds(&wav)?;
                Ok(produced
                    .file("video", video)
                    .file("narration", wav)
                    .file("mp4", mp4)
                    .fact("seconds", json!(seconds)))
            }
            Job::ChapterSubtitles { slides } => {
                let cues = subtitles::cues_for(slides);
                let seconds: f64 = slides.iter().map(|s| s.length).sum();
                let cues_json = serde_json::to_vec(&cues).expect("cues always serialise");
                let produced = produced.file("cues", write(scratch.join("cues.json"), &cues_json)?);
                subtitle_files(produced, scratch, &cues, seconds)
            }
            Job::CourseSubtitles { chapters } => {
                let mut parts: Vec<(Vec<Cue>, f64)> = Vec::new();
                for chapter in chapters {
                    let cues: Vec<Cue> = serde_json::from_slice(&store.read_blob(&chapter.cues)?)
                        .map_err(invalid("cue list"))?;
                    parts.push((cues, chapter.seconds));
                }
                let seconds = parts.iter().map(|(_, s)| s).sum();
                let marks: Vec<(Vec<Cue>, f64)> = chapters
                    .iter()
                    .map(|c| {
                        let mark = Cue {
                            start: 0.0,
                            end: c.seconds,
                            text: c.title.clone(),
                        };
                        (vec![mark], c.seconds)
                    })
                    .collect();
                let marks = subtitles::to_vtt(&subtitles::concat(&marks));
                let produced = produced.file(
                    "chapters",
                    write(scratch.join("chapters.vtt"), marks.as_bytes())?,
                );
                subtitle_files(produced, scratch, &subtitles::concat(&parts), seconds)
            }
        }
    }
}

fn subtitle_files(
    produced: Produced,
    scratch: &Path,
    cues: &[Cue],
    seconds: f64,
) -> Result<Produced, StepError> {
    Ok(produced
        .file(
            "srt",
            write(
                scratch.join("subtitles.srt"),
                subtitles::to_srt(cues).as_bytes(),
            )?,
        )
        .file(
            "vtt",
            write(
                scratch.join("subtitles.vtt"),
                subtitles::to_vtt(cues).as_bytes(),
            )?,
        )
        .fact("seconds", json!(seconds))
        .fact("cues", json!(cues.len())))
}
