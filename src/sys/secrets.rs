//! Secrets kept out of everything vbuild prints or stores: the one choke point every log line, build report
//! and command-line message passes through.
//!
//! Two nets: the secrets themselves (API keys, cache tokens, S3 credentials), registered when they are read
//! from the environment, are replaced wherever they appear, and so is a cut-off start of one; and text that
//! carries credentials by its shape (an `Authorization` header, a bearer token, a password in a URL, a
//! presigned URL's signature) is redacted whether or not its secret was registered.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{LazyLock, RwLock};

use regex::Regex;

/// What a secret is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Secrets shorter than this are not registered: they would redact ordinary words.
const MIN_SECRET: usize = 4;

/// A run of a secret's first characters this long is redacted where a message was cut (its end, an ellipsis,
/// a line's end).
const MIN_PREFIX: usize = 6;

/// A run of a secret's first characters this long is redacted anywhere.
const LONG_PREFIX: usize = 10;

/// The secrets registered, as they are.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Every spelling of every secret (as it is, in a URL, in a JSON string), longest first.
static SPELLINGS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Text that carries a credential by its shape, and what to keep of it.
static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let shape = |pattern: &str, keep: &'static str| {
        (
            Regex::new(pattern).expect("the credential patterns are valid"),
            keep,
        )
    };
    vec![
        // Header lines and header maps: `Authorization: ...`, `"x-goog-api-key": "..."`.
        shape(
            r#"(?i)\b((?:proxy-)?authorization|x-goog-api-key|x-api-key|api-key|cookie|set-cookie|x-amz-security-token)("?\s*[:=]\s*"?)(?:bearer\s+|basic\s+)?[^\s",}]+"#,
            "${1}${2}<redacted>",
        ),
        // A token after its scheme. Basic credentials are base64 (capitals, digits, `=`): a lower-case word
        // after "basic" is prose ("invalid basic string"), not a credential.
        shape(
            r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{6,}",
            "${1} <redacted>",
        ),
        shape(
            r"\b((?i:basic))\s+[a-z]*[A-Z0-9+/=][A-Za-z0-9+/=]*",
            "${1} <redacted>",
        ),
        // Credentials in a URL, well formed or not: `https://user:pass/word@host`, `https://TOKEN@host`,
        // `http:/user:pass@host`. Everything between the scheme and the `@` goes (a user name may be a token).
        shape(
            r#"(?i)\b([a-z][a-z0-9+.-]*:/{0,3})[^\s@"'<>/][^\s@"'<>]*@"#,
            "${1}<redacted>@",
        ),
        // A password with spaces in it: `https://user:pass word@host` (from the `:` to the `@` on the line).
        shape(
            r#"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@"']+:)[^@\n"]*?[ \t][^@\n"]*?@"#,
            "${1}<redacted>@",
        ),
        // Presigned URLs and keys in query strings.
        shape(
            r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig|token|access_token|api_key|apikey|key|password|secret)=)[^&\s\x22'#]+",
            "${1}<redacted>",
        ),
    ]
});

/// Remembers `secret` so that it is redacted from everything printed or stored from now on, as it is and as
/// it is spelled inside a URL or a JSON string (`%2F`, `\/`, `\"`), where servers echo it.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET {
        return;
    }
    // Form encoding writes a space as `+`; a URL's path writes `%20`.
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(secret).expect("strings serialise");
    let json = json[1..json.len() - 1].to_string();
    let spellings = [
        secret.to_string(),
        lower_hex_escapes(&percent),
        percent,
        form,
        json.replace('/', "\\/"),
        json,
    ];
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
    }
    let mut known = SPELLINGS.write().unwrap_or_else(|e| e.into_inner());
    for spelling in spellings {
        if !known.contains(&spelling) {
            known.push(spelling);
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `%2F` as `%2f`: percent escapes in lower case, as some servers echo them.
fn lower_hex_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escape = 0;
    for c in text.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Remembers the credentials a URL carries (`scheme://USER:PASSWORD@host`, `scheme://TOKEN@host`, however
/// malformed): the user information whole, and its password or its token, so that they are redacted wherever
/// they appear, even where the URL is not recognisable as one.
pub fn register_url(url: &str) {
    let Some((_, rest)) = url.split_once(':') else {
        return;
    };
    let rest = rest.trim_start_matches('/');
    let Some(at) = rest.rfind('@') else {
        return;
    };
    let userinfo = &rest[..at];
    register(userinfo);
    match userinfo.split_once(':') {
        Some((_, password)) => register(password),
        None => register(userinfo),
    }
}

/// `text` with every registered secret, every cut-off start of one, and every credential-shaped part
/// replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let mut text = Cow::Borrowed(text);
    // Whole secrets in every spelling first, then the cut-off starts of what is left.
    for spelling in SPELLINGS.read().unwrap_or_else(|e| e.into_inner()).iter() {
        if text.contains(spelling.as_str()) {
            text = Cow::Owned(text.replace(spelling.as_str(), REDACTED));
        }
    }
    for secret in SECRETS.read().unwrap_or_else(|e| e.into_inner()).iter() {
        if let Some(cut) = redact_prefixes(&text, secret) {
            text = Cow::Owned(cut);
        }
    }
    for (pattern, keep) in SHAPES.iter() {
        if let Cow::Owned(replaced) = pattern.replace_all(&text, *keep) {
            text = Cow::Owned(replaced);
        }
    }
    text.into_owned()
}

/// Replaces runs of `secret`'s first characters that were cut short (the text ends, or goes on with `…` or
/// `...`) or that are long enough to matter on their own.
fn redact_prefixes(text: &str, secret: &str) -> Option<String> {
    let head: String = secret.chars().take(MIN_PREFIX).collect();
    if head.chars().count() < MIN_PREFIX || !text.contains(&head) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(&head) {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let matched: usize = candidate
            .chars()
            .zip(secret.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        let after = &candidate[matched..];
        let cut = after.is_empty()
            || after.starts_with(['…', '\n', '\r'])
            || after.starts_with("...")
            || after.starts_with("\\n");
        if cut || matched >= LONG_PREFIX {
            out.push_str(REDACTED);
            changed = true;
        } else {
            out.push_str(&candidate[..matched]);
        }
        rest = after;
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A writer that passes text on a line at a time, each line [`redact`]ed: for text in which no secret spans
/// lines, as none can in JSON (a string holds no raw line break). A long report is redacted as it is written,
/// never held whole. [`RedactLines::finish`] passes the last line on.
pub struct RedactLines<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> RedactLines<W> {
    pub fn new(out: W) -> RedactLines<W> {
        RedactLines {
            out,
            line: Vec::new(),
        }
    }

    /// Passes on the last line, if it did not end, and flushes; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.pass_line()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn pass_line(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            let redacted = redact(&String::from_utf8_lossy(&self.line));
            self.out.write_all(redacted.as_bytes())?;
            self.line.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for RedactLines<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            self.line.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                self.pass_line()?;
            }
        }
        Ok(bytes.len())
    }

    /// Flushes the lines passed on; a line not ended yet waits for its end (a secret may go on in it).
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A URL as it may be shown: without credentials (`https://<redacted>@host/...`) and without a query
/// string, which may hold a signature or a key.
pub fn without_credentials(url: &str) -> String {
    let shown = url.split(['?', '#']).next().unwrap_or(url);
    redact(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_their_cut_off_starts_are_redacted() {
        register("sk-test-REGISTERED-0123456789");
        assert_eq!(
            redact("Incorrect API key provided: sk-test-REGISTERED-0123456789."),
            "Incorrect API key provided: <redacted>."
        );
        // A server message cut at some length, with or without an ellipsis.
        assert_eq!(redact("bad key=sk-test-REG…"), "bad key=<redacted>…");
        assert_eq!(redact("bad key sk-test-REGIS"), "bad key <redacted>");
        assert_eq!(
            redact("echo sk-test-REGISTERED-01 end"),
            "echo <redacted> end"
        );
        // Too short a start, not at a cut: ordinary text stays.
        assert_eq!(redact("sk-test-R is fine"), "sk-test-R is fine");
    }

    #[test]
    fn credentials_are_redacted_by_their_shape() {
        let cases = [
            (
                "authorization: Bearer sk-unregistered-token",
                "authorization: <redacted>",
            ),
            (
                r#"{"x-goog-api-key": "AIzaUnregistered", "accept": "*/*"}"#,
                r#"{"x-goog-api-key": "<redacted>", "accept": "*/*"}"#,
            ),
            (
                "sent Bearer abcdefghij to it",
                "sent Bearer <redacted> to it",
            ),
            (
                "PUT https://bob:hunter22@cache.example/ac/1 failed",
                "PUT https://<redacted>@cache.example/ac/1 failed",
            ),
            (
                "GET http://s3/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123 timed out",
                "GET http://s3/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted> timed out",
            ),
            (
                "https://tts.example/v1?key=AIzaSecret",
                "https://tts.example/v1?key=<redacted>",
            ),
            ("nothing secret here", "nothing secret here"),
            (
                "Authorization header Basic dXNlcjpwYXNz sent",
                "Authorization header Basic <redacted> sent",
            ),
            // A TOML parser's words are not a credential.
            (
                "invalid basic string, expected `\"`",
                "invalid basic string, expected `\"`",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text}");
        }
        assert_eq!(
            without_credentials("https://bob:pw-secret@cache.example/vbuild?token=x"),
            "https://<redacted>@cache.example/vbuild"
        );
    }

    #[test]
    fn credentials_in_urls_are_redacted_however_the_url_is_written() {
        let cases = [
            // A `/` in the password.
            "http://user:S3cretA/PassW0rd@127.0.0.1:9/v1",
            // A token as the user name.
            "https://TOKEN0123456789@cache.example/vbuild",
            // One slash.
            "http:/user:pass1234@cache.example",
            // A space in the password.
            "http://user:pass 1234@cache.example/x",
        ];
        for url in cases {
            let redacted = redact(&format!("GET {url} failed"));
            assert!(redacted.contains("<redacted>@"), "{url} -> {redacted}");
            for word in ["S3cretA", "PassW0rd", "TOKEN01", "pass1234", "pass 1234"] {
                assert!(!redacted.contains(word), "{url} -> {redacted}");
            }
        }
        // Registered from the Videofile, the password is redacted where no URL shows it.
        register_url("http://user:Sl4sh/Pa55word@127.0.0.1:9/v1");
        assert_eq!(
            redact("the password Sl4sh/Pa55word, or Sl4sh%2FPa55word, or Sl4sh\\/Pa55word"),
            "the password <redacted>, or <redacted>, or <redacted>"
        );
        register_url("https://TOKENONLY-2468@host");
        assert_eq!(redact("token TOKENONLY-2468 used"), "token <redacted> used");
        // Ordinary text with colons and at signs stays.
        for text in [
            "error: mail bob@example.com",
            "chapter-video:01-tides took 2 s",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn a_secrets_start_cut_at_a_line_end_is_redacted() {
        register("sk-test-NEWLINE-0123456789");
        assert_eq!(redact("key sk-test-NEW\nnext"), "key <redacted>\nnext");
        assert_eq!(
            redact("key sk-test-NEWLINE-01 in the middle"),
            "key <redacted> in the middle"
        );
    }

    #[test]
    fn text_redacted_line_by_line_as_it_is_written_is_the_text_redacted_whole() {
        register("sk-test-LINES-0123456789");
        let text = "{\n  \"error\": \"key sk-test-LINES-0123456789 refused\",\n  \"cut\": \"sk-test-LIN…\",\n  \
                    \"header\": \"authorization: Bearer sk-unregistered-token\",\n  \"url\": \"https://bob:pw22@cache/x\"\n}";
        let whole = redact(text);
        assert!(
            !whole.contains("LINES") && !whole.contains("pw22") && !whole.contains("unregistered")
        );
        // Written a byte at a time and in uneven pieces: a line is redacted only once it is whole.
        for piece in [1, 7, 64, text.len()] {
            let mut lines = RedactLines::new(Vec::new());
            for chunk in text.as_bytes().chunks(piece) {
                lines.write_all(chunk).unwrap();
                lines.flush().unwrap();
            }
            let written = String::from_utf8(lines.finish().unwrap()).unwrap();
            assert_eq!(written, whole, "pieces of {piece} bytes");
        }
    }
}
