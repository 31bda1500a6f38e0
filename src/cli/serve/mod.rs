//! `vbuild serve`: the review page on 127.0.0.1, served while vbuild rebuilds on save.
//!
//! tiny_http serves it: a small synchronous HTTP/1.1 server with no async runtime, which fits a tool whose
//! work is rayon's and GStreamer's threads, and builds in seconds. Four threads answer requests:
//! - `/`: the page (one HTML file compiled into vbuild), which asks for `/state.json` every second and
//!   redraws when a build starts or ends;
//! - `/state.json`: the [`Review`] of the last build;
//! - `/out/...`: files of the output folder (the course video with byte ranges, so the browser can seek;
//!   its subtitles and chapter marks; the slide pictures). Nothing outside the output folder is served.

pub mod range;
pub mod review;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use tiny_http::{Header, Request, Response, StatusCode};

use super::args::BuildArgs;
use super::{Said, Shell};
use crate::error::Error;
use crate::project::Invocation;
use range::Asked;
pub use review::Review;

/// The page, compiled in.
const PAGE: &str = include_str!("../../../assets/serve/page.html");

/// The threads that answer requests.
const THREADS: usize = 4;

/// The running server: what it shows is replaced after each build.
#[derive(Clone)]
pub struct Server {
    state: Arc<Mutex<Shown>>,
    /// The address it listens on: `http://127.0.0.1:8000/`.
    pub url: String,
}

/// What the server shows, and where the files it serves are.
struct Shown {
    review: Review,
    out: PathBuf,
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0: any free port) and answers from threads of its own.
    pub fn start(port: u16) -> Result<Server, Error> {
        let address = format!("127.0.0.1:{port}");
        let http = tiny_http::Server::http(&address).map_err(|err| Error::Serve {
            address: address.clone(),
            message: err.to_string(),
        })?;
        let port = http.server_addr().to_ip().map_or(port, |a| a.port());
        let http = Arc::new(http);
        let state = Arc::new(Mutex::new(Shown {
            review: Review::default(),
            out: PathBuf::new(),
        }));
        for _ in 0..THREADS {
            let (http, state) = (http.clone(), state.clone());
            std::thread::spawn(move || {
                for request in http.incoming_requests() {
                    answer(request, &state);
                }
            });
        }
        Ok(Server {
            state,
            url: format!("http://127.0.0.1:{port}/"),
        })
    }

    /// A build started: the page says so and keeps showing the last one.
    pub fn building(&self) {
        let mut shown = self.lock();
        shown.review.generation += 1;
        shown.review.building = true;
    }

    /// A build ended (or could not start): `review` is what the page shows now, `out` the output folder its
    /// files come from. A review without a video keeps the last good one.
    pub fn show(&self, mut review: Review, out: PathBuf) {
        let mut shown = self.lock();
        review.generation = shown.review.generation + 1;
        review.building = false;
        if review.video.is_none() {
            review.video = shown.review.video.take();
        }
        if review.chapters.is_empty() {
            review.chapters = std::mem::take(&mut shown.review.chapters);
        }
        if review.title.is_empty() {
            review.title = std::mem::take(&mut shown.review.title);
        }
        shown.review = review;
        shown.out = out;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shown> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The review shown now, as JSON.
fn state_json(state: &Mutex<Shown>) -> String {
    let shown = state.lock().unwrap_or_else(|e| e.into_inner());
    serde_json::to_string(&shown.review).expect("the review serialises")
}

/// The page with the current state in it, so it is drawn as it loads (and then kept up to date).
fn page(state: &Mutex<Shown>) -> String {
    // Inside a script element, `</` would end it.
    PAGE.replace("/*STATE*/null", &state_json(state).replace("</", "<\\/"))
}

/// A header (names and values here are ASCII, so this cannot fail).
fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

/// Answers one request; a browser that went away is no concern of the build's.
fn answer(request: Request, state: &Mutex<Shown>) {
    let path = request.url().split('?').next().unwrap_or("/").to_string();
    let no_store = header("Cache-Control", "no-store");
    let response = match path.as_str() {
        "/" | "/index.html" => Response::from_string(page(state))
            .with_header(header("Content-Type", "text/html; charset=utf-8"))
            .with_header(no_store)
            .boxed(),
        "/state.json" => Response::from_string(state_json(state))
            .with_header(header("Content-Type", "application/json"))
            .with_header(no_store)
            .boxed(),
        _ => match path.strip_prefix("/out/") {
            Some(file) => {
                let out = state.lock().unwrap_or_else(|e| e.into_inner()).out.clone();
                let range = (request.headers().iter())
                    .find(|h| h.field.equiv("Range"))
                    .map(|h| h.value.as_str().to_string());
                match inside(&out, file) {
                    Some(path) => serve_file(&path, range.as_deref()),
                    None => not_found(),
                }
            }
            None => not_found(),
        },
    };
    if let Err(err) = request.respond(response) {
        log::debug!("serve: {path}: {err}");
    }
}

fn not_found() -> tiny_http::ResponseBox {
    Response::from_string("not found")
        .with_status_code(StatusCode(404))
        .boxed()
}

/// The file of the output folder `out` that the URL path `file` names (percent-decoded), if it is one: only
/// plain names, no `..`, no hidden files.
fn inside(out: &Path, file: &str) -> Option<PathBuf> {
    let decoded: String =
        url::form_urlencoded::parse(format!("f={}", file.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())?;
    let relative = Path::new(&decoded);
    let plain = relative.components().all(|c| match c {
        Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
        _ => false,
    });
    (plain && !decoded.is_empty() && !out.as_os_str().is_empty()).then(|| out.join(relative))
}

/// The media type of a file vbuild writes, by its extension.
fn media_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mp4") => "video/mp4",
        Some("vtt") => "text/vtt; charset=utf-8",
        Some("srt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The file at `path`, whole or the byte range asked for.
fn serve_file(path: &Path, range: Option<&str>) -> tiny_http::ResponseBox {
    let Ok(mut file) = File::open(path) else {
        return not_found();
    };
    let Some(length) = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
    else {
        return not_found();
    };
    let typed = |response: Response<Box<dyn Read + Send>>| {
        response
            .with_header(header("Content-Type", media_type(path)))
            .with_header(header("Accept-Ranges", "bytes"))
            .with_header(header("Cache-Control", "no-cache"))
            .boxed()
    };
    match range::asked(range, length) {
        Asked::Whole => typed(Response::new(
            StatusCode(200),
            Vec::new(),
            Box::new(file),
            Some(length as usize),
            None,
        )),
        Asked::Part(part) => {
            if file.seek(SeekFrom::Start(part.start)).is_err() {
                return not_found();
            }
            let size = part.end - part.start;
            typed(Response::new(
                StatusCode(206),
                vec![header(
                    "Content-Range",
                    &format!("bytes {}-{}/{length}", part.start, part.end - 1),
                )],
                Box::new(file.take(size)),
                Some(size as usize),
                None,
            ))
        }
        Asked::Unsatisfiable => Response::from_string("")
            .with_status_code(StatusCode(416))
            .with_header(header("Content-Range", &format!("bytes */{length}")))
            .boxed(),
    }
}

/// `vbuild serve`: starts the review page's server, says where it is (and opens it if asked), then builds on
/// every save as `vbuild watch` does.
pub(super) fn command(
    shell: &Shell,
    file: &Path,
    args: &BuildArgs,
    invocation: &Invocation,
    port: u16,
    open: bool,
) -> Result<Said, Error> {
    let server = Server::start(port)?;
    super::emit(&format!(
        "vbuild: the review page is at {} (Ctrl-C stops)\n",
        server.url
    ));
    if open {
        let opened = std::process::Command::new("xdg-open")
            .arg(&server.url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Err(err) = opened {
            log::warn!(
                "cannot open a browser ({err}); open {} yourself",
                server.url
            );
        }
    }
    super::watch::command(shell, file, args, invocation, Some(&server))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_output_folder_are_served() {
        let out = Path::new("/p/out");
        assert_eq!(
            inside(out, "chapters/01-a%20b.mp4"),
            Some(PathBuf::from("/p/out/chapters/01-a b.mp4"))
        );
        for bad in [
            "../Videofile",
            "%2E%2E/Videofile",
            "/etc/passwd",
            ".vbuild/x",
            "a/../../b",
            "",
        ] {
            assert_eq!(inside(out, bad), None, "{bad}");
        }
        assert_eq!(inside(Path::new(""), "a.mp4"), None);
    }

    #[test]
    fn a_video_is_served_in_the_byte_ranges_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..=255).collect();
        std::fs::write(dir.path().join("v.mp4"), &bytes).unwrap();
        let server = Server::start(0).unwrap();
        server.show(Review::default(), dir.path().to_path_buf());
        let agent = ureq::Agent::new_with_defaults();
        let url = format!("{}out/v.mp4", server.url);
        let mut part = agent
            .get(&url)
            .header("Range", "bytes=10-19")
            .call()
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.headers()["content-range"], "bytes 10-19/256");
        assert_eq!(part.body_mut().read_to_vec().unwrap(), &bytes[10..20]);
        let mut whole = agent.get(&url).call().unwrap();
        assert_eq!(whole.headers()["accept-ranges"], "bytes");
        assert_eq!(whole.body_mut().read_to_vec().unwrap(), bytes);
        let past = agent
            .get(&url)
            .header("Range", "bytes=999-")
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        assert_eq!(past.status(), 416);
        let outside = agent
            .get(format!("{}out/%2E%2E/secret", server.url))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        assert_eq!(outside.status(), 404);
    }
}
