//! The one HTTP client every cloud provider shares: authentication, timeouts, retries with exponential backoff
//! and jitter (honouring `Retry-After`), a per-provider limit on requests per second, and errors that carry
//! the server's message but never the API key. A provider's limit on concurrent requests is a pool of the
//! scheduler (each job sends its requests one after another), so no thread waits here for a slot.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::ProviderError;
pub use crate::providers::apis::Limits;
use crate::sys::{interrupt, secrets};

/// How requests prove who they are.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer KEY`.
    Bearer(String),
    /// A header of the provider's own, e.g. `X-Goog-Api-Key: KEY`.
    Header(&'static str, String),
}

impl Auth {
    fn secret(&self) -> &str {
        match self {
            Auth::Bearer(key) | Auth::Header(_, key) => key,
        }
    }
}

/// A request body.
pub enum Body {
    Json(serde_json::Value),
    /// Bytes with their content type (e.g. a multipart form).
    Bytes(String, Vec<u8>),
}

/// A successful response.
pub struct Response {
    pub body: Vec<u8>,
    /// How many requests it took (1 plus retries).
    pub attempts: u32,
}

/// A provider's HTTP client, shared by all its nodes.
pub struct Client {
    /// The provider's name in the Videofile, for messages.
    pub name: String,
    base_url: String,
    /// `host:port` of the base URL, for messages about connections.
    host: String,
    auth: Auth,
    limits: Limits,
    agent: ureq::Agent,
    next_start: Mutex<Instant>,
}

/// What one attempt came to.
enum Attempt {
    Done(Vec<u8>),
    /// Worth retrying, after at least the server's `Retry-After` if it gave one.
    Retry(String, Option<Duration>),
    Fatal(String),
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.openai.com/v1`). Its key is registered as a secret, so it
    /// never reaches a log line, a report or a message.
    pub fn new(name: &str, base_url: &str, auth: Auth, limits: Limits) -> Client {
        secrets::register(auth.secret());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_recv_response(Some(limits.read_timeout))
            .timeout_recv_body(Some(limits.read_timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let host = url::Url::parse(base_url)
            .ok()
            .and_then(|url| {
                let port = url.port_or_known_default()?;
                Some(format!("{}:{port}", url.host_str()?))
            })
            .unwrap_or_else(|| base_url.to_string());
        Client {
            name: name.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            host,
            auth,
            limits,
            agent,
            next_start: Mutex::new(Instant::now()),
        }
    }

    /// POSTs `body` to `path` (relative to the base URL), retrying what is worth retrying.
    pub fn post(&self, path: &str, body: &Body, accept: &str) -> Result<Response, ProviderError> {
        let url = format!("{}/{}", self.base_url, path.trim_start_matches('/'));
        let mut attempts = 0;
        loop {
            attempts += 1;
            if interrupt::requested() {
                return Err(ProviderError::Interrupted);
            }
            self.wait_for_rate();
            let outcome = self.attempt(&url, body, accept);
            match outcome {
                Attempt::Done(body) => return Ok(Response { body, attempts }),
                Attempt::Fatal(message) => return Err(self.failure(path, message)),
                Attempt::Retry(message, _) if attempts > self.limits.max_retries => {
                    return Err(self.failure(
                        path,
                        format!("{message} (gave up after {attempts} attempts)"),
                    ));
                }
                Attempt::Retry(message, Some(asked)) if asked > MAX_RETRY_AFTER => {
                    return Err(self.failure(
                        path,
                        format!(
                            "{message}; the server asks to wait {} before trying again, longer than vbuild \
                             waits ({}): giving up",
                            shown_wait(asked),
                            shown_wait(MAX_RETRY_AFTER)
                        ),
                    ));
                }
                Attempt::Retry(message, retry_after) => {
                    let wait = self.backoff(attempts).max(retry_after.unwrap_or_default());
                    log::warn!(
                        "{}: POST {path}: {message}; retrying in {:.1} s",
                        self.name,
                        wait.as_secs_f64()
                    );
                    sleep_unless_interrupted(wait);
                }
            }
        }
    }

    fn failure(&self, path: &str, message: String) -> ProviderError {
        ProviderError::Http {
            provider: self.name.clone(),
            request: format!("POST {path}"),
            message: secrets::redact(&message),
        }
    }

    fn attempt(&self, url: &str, body: &Body, accept: &str) -> Attempt {
        let request = self.agent.post(url).header("Accept", accept);
        let request = match &self.auth {
            Auth::Bearer(key) => request.header("Authorization", &format!("Bearer {key}")),
            Auth::Header(name, key) => request.header(*name, key),
        };
        let result = match body {
            Body::Json(value) => request.send_json(value),
            Body::Bytes(content_type, bytes) => request
                .header("Content-Type", content_type)
                .send(&bytes[..]),
        };
        let mut response = match result {
            Ok(response) => response,
            Err(ureq::Error::Timeout(what)) => {
                return Attempt::Retry(format!("{} timed out ({what})", self.host), None);
            }
            Err(ureq::Error::Io(err)) => {
                return Attempt::Retry(format!("cannot connect to {}: {err}", self.host), None);
            }
            Err(ureq::Error::ConnectionFailed) => {
                return Attempt::Retry(format!("cannot connect to {}", self.host), None);
            }
            Err(err) => return Attempt::Fatal(format!("{}: {err}", self.host)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = match response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
        {
            Ok(body) => body,
            Err(ureq::Error::Timeout(what)) => {
                return Attempt::Retry(
                    format!("{} timed out sending the answer ({what})", self.host),
                    None,
                );
            }
            Err(err) => return Attempt::Retry(format!("reading the response failed: {err}"), None),
        };
        match status {
            200..=299 => Attempt::Done(body),
            429 | 500..=599 => Attempt::Retry(
                format!("HTTP {status}: {}", server_message(&body)),
                retry_after,
            ),
            _ => Attempt::Fatal(format!("HTTP {status}: {}", server_message(&body))),
        }
    }

    /// The wait before retry number `attempt`: the base backoff doubled each time, with jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = self
            .limits
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16));
        doubled.mul_f64(0.5 + fastrand::f64())
    }

    /// Spaces request starts `1 / requests_per_second` apart.
    fn wait_for_rate(&self) {
        if self.limits.requests_per_second <= 0.0 {
            return;
        }
        let interval = Duration::from_secs_f64(1.0 / self.limits.requests_per_second);
        let start = {
            let mut next = self.next_start.lock().expect("never poisoned");
            let start = (*next).max(Instant::now());
            *next = start + interval;
            start
        };
        let now = Instant::now();
        if start > now {
            std::thread::sleep(start - now);
        }
    }
}

/// Shows the provider's name and address, never its key.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The longest `Retry-After` waited for; a server that asks for more fails the request.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// A wait as a person reads it (`10m`, `1year 2months`, or `forever`).
fn shown_wait(wait: Duration) -> String {
    if wait == Duration::MAX {
        return "forever".into();
    }
    humantime::format_duration(Duration::from_secs(wait.as_secs())).to_string()
}

/// Sleeps for `wait`, or less if an interrupt comes.
fn sleep_unless_interrupted(wait: Duration) {
    let until = Instant::now() + wait.min(MAX_RETRY_AFTER);
    while !interrupt::requested() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// `Retry-After` as seconds or as an HTTP date; a wait too long for a `Duration` (`inf`, `1e300`) is
/// [`Duration::MAX`], and one that is not a number (`NaN`) is ignored.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<f64>() {
        if seconds.is_nan() {
            return None;
        }
        return Some(Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX));
    }
    let when = httpdate_to_system_time(value)?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

fn httpdate_to_system_time(value: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(value).ok().or_else(|| {
        // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT"
        let parts: Vec<&str> = value.split_whitespace().collect();
        let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
            return None;
        };
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = months.iter().position(|m| m == month)? + 1;
        humantime::parse_rfc3339_weak(&format!("{year}-{month:02}-{day:0>2} {time}")).ok()
    })
}

/// The most useful part of an error body: OpenAI's and Google's `error.message`, Stability's `errors`, else
/// the text itself (shortened), with secrets redacted before it is cut, so no start of a key is left.
pub fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = json.and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/errors/0"))
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str().map(str::to_string))
    });
    let message = secrets::redact(&message.unwrap_or_else(|| text.trim().to_string()));
    if message.chars().count() > 300 {
        format!("{}…", message.chars().take(300).collect::<String>())
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("-5"), Some(Duration::ZERO));
        for endless in ["inf", "1e300", "+Infinity"] {
            assert_eq!(parse_retry_after(endless), Some(Duration::MAX), "{endless}");
        }
        assert_eq!(shown_wait(Duration::MAX), "forever");
    }

    #[test]
    fn server_messages_are_extracted() {
        assert_eq!(
            server_message(br#"{"error":{"message":"bad model"}}"#),
            "bad model"
        );
        assert_eq!(
            server_message(br#"{"errors":["prompt too long"]}"#),
            "prompt too long"
        );
        assert_eq!(server_message(b"plain failure\n"), "plain failure");
    }

    #[test]
    fn the_key_never_leaves_in_a_message_even_when_it_is_cut() {
        let limits = Limits {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            max_retries: 0,
            backoff: Duration::from_millis(1),
            requests_per_second: 0.0,
            concurrency: 1,
        };
        let key = "sk-client-secret-0123456789";
        let _client = Client::new("p", "http://127.0.0.1:9", Auth::Bearer(key.into()), limits);
        // The key straddles the 300th character, where the message is cut.
        let body = format!("{}key={key}", "x".repeat(290));
        let message = server_message(body.as_bytes());
        assert!(!message.contains("sk-cli"), "{message}");
        assert!(message.contains("key=<redac"), "{message}");
    }

    #[test]
    fn a_connection_that_fails_names_the_host() {
        let limits = Limits {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(2),
            max_retries: 0,
            backoff: Duration::from_millis(1),
            requests_per_second: 0.0,
            concurrency: 1,
        };
        // Nothing listens on the discard port of the loopback address.
        let client = Client::new(
            "p",
            "http://127.0.0.1:9/v1",
            Auth::Bearer("k".into()),
            limits,
        );
        let err = client
            .post(
                "audio/speech",
                &Body::Json(serde_json::json!({})),
                "audio/wav",
            )
            .err()
            .expect("nothing answers")
            .to_string();
        assert!(err.contains("cannot connect to 127.0.0.1:9"), "{err}");
    }
}
