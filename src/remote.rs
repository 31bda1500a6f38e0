//! The shared remote cache: action entries and blobs read from and written to a store with the layout of
//! bazel-remote and nginx WebDAV (`PUT/GET BASE/ac/KEY`, `PUT/GET BASE/cas/HASH`), checked into and out of the
//! local cache. The store is a plain HTTP server (optionally with a bearer token) or S3-compatible object
//! storage (AWS S3, GCS's XML API, MinIO) with requests signed by rusty-s3 (presigned SigV4 URLs).
//!
//! Every blob read from the remote is verified against its hash before use; a mismatch is reported and the blob
//! discarded, never used. Any other remote failure turns the remote off for the rest of the build with one
//! warning: the build goes on with the local cache alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::store::{ActionEntry, Store};

/// Where the remote's objects live and how requests to them are authorised.
pub enum Backend {
    /// `BASE/ac/KEY`, `BASE/cas/HASH`, with an optional bearer token.
    Http { base: String, token: Option<String> },
    /// Objects `PREFIXac/KEY`, `PREFIXcas/HASH` in a bucket, every request presigned.
    S3 {
        bucket: rusty_s3::Bucket,
        credentials: rusty_s3::Credentials,
        prefix: String,
    },
}

/// How long a presigned S3 URL stays valid.
const PRESIGNED_FOR: Duration = Duration::from_secs(3600);

impl Backend {
    /// The URL of `path` for `method`, and the bearer token to send with it, if any.
    fn url(&self, method: rusty_s3::Method, path: &str) -> (String, Option<&str>) {
        use rusty_s3::S3Action;
        use rusty_s3::actions::{GetObject, PutObject};
        match self {
            Backend::Http { base, token } => (format!("{base}/{path}"), token.as_deref()),
            Backend::S3 {
                bucket,
                credentials,
                prefix,
            } => {
                let object = format!("{prefix}{path}");
                let url = match method {
                    rusty_s3::Method::Put => {
                        PutObject::new(bucket, Some(credentials), &object).sign(PRESIGNED_FOR)
                    }
                    _ => GetObject::new(bucket, Some(credentials), &object).sign(PRESIGNED_FOR),
                };
                (url.to_string(), None)
            }
        }
    }

    /// A name for messages: the base URL or the bucket, never a signature or token.
    fn name(&self) -> String {
        match self {
            Backend::Http { base, .. } => base.clone(),
            Backend::S3 { bucket, prefix, .. } => format!("s3://{}/{prefix}", bucket.name()),
        }
    }
}

/// A remote cache.
pub struct Remote {
    backend: Backend,
    name: String,
    agent: ureq::Agent,
    off: AtomicBool,
}

/// What a GET found.
enum Fetched {
    Found(Vec<u8>),
    Missing,
    Failed(String),
}

impl Remote {
    /// A remote cache on `backend`.
    pub fn new(backend: Backend) -> Remote {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Remote {
            name: backend.name(),
            backend,
            agent,
            off: AtomicBool::new(false),
        }
    }

    /// True while the remote works.
    pub fn is_on(&self) -> bool {
        !self.off.load(Ordering::Relaxed)
    }

    fn turn_off(&self, why: &str) {
        if !self.off.swap(true, Ordering::Relaxed) {
            log::warn!(
                "remote cache {}: {why}; going on with the local cache only",
                self.name
            );
        }
    }

    fn get(&self, path: &str) -> Fetched {
        if !self.is_on() {
            return Fetched::Missing;
        }
        let (url, token) = self.backend.url(rusty_s3::Method::Get, path);
        let mut request = self.agent.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        match request.call() {
            Ok(mut response) => match response.status().as_u16() {
                200 => match response
                    .body_mut()
                    .with_config()
                    .limit(4 << 30)
                    .read_to_vec()
                {
                    Ok(body) => Fetched::Found(body),
                    Err(err) => Fetched::Failed(format!("GET {path}: {err}")),
                },
                404 => Fetched::Missing,
                status => Fetched::Failed(format!("GET {path}: HTTP {status}")),
            },
            Err(err) => Fetched::Failed(format!("GET {path}: {err}")),
        }
    }

    fn put(&self, path: &str, bytes: &[u8]) {
        if !self.is_on() {
            return;
        }
        let (url, token) = self.backend.url(rusty_s3::Method::Put, path);
        let mut request = self.agent.put(url);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        match request.send(bytes) {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                self.turn_off(&format!("PUT {path}: HTTP {}", response.status().as_u16()))
            }
            Err(err) => self.turn_off(&format!("PUT {path}: {err}")),
        }
    }

    /// The entry for `key` if the remote has it, with every output blob checked into `store` (verified).
    pub fn fetch(&self, key: &str, store: &Store) -> Option<ActionEntry> {
        let entry: ActionEntry = match self.get(&format!("ac/{key}")) {
            Fetched::Found(bytes) => serde_json::from_slice(&bytes)
                .ok()
                .filter(|e: &ActionEntry| e.key == key)?,
            Fetched::Missing => return None,
            Fetched::Failed(why) => {
                self.turn_off(&why);
                return None;
            }
        };
        for hash in entry.outputs.values() {
            if store.blob_path(hash).is_file() {
                continue;
            }
            let bytes = match self.get(&format!("cas/{hash}")) {
                Fetched::Found(bytes) => bytes,
                Fetched::Missing => return None,
                Fetched::Failed(why) => {
                    self.turn_off(&why);
                    return None;
                }
            };
            if blake3::hash(&bytes).to_hex().as_str() != hash {
                log::warn!(
                    "remote cache {}: blob {hash} does not match its hash; discarded, {} will be rebuilt",
                    self.name,
                    entry.node
                );
                return None;
            }
            if let Err(err) = store.put_bytes(&bytes) {
                log::warn!("cannot store a blob from the remote cache: {err}");
                return None;
            }
        }
        store.record(&entry).ok()?;
        log::debug!(node = entry.node.as_str(); "from the remote cache");
        Some(entry)
    }

    /// Writes a finished node's blobs, then its entry, to the remote.
    pub fn publish(&self, entry: &ActionEntry, store: &Store) {
        for hash in entry.outputs.values() {
            match std::fs::read(store.blob_path(hash)) {
                Ok(bytes) => self.put(&format!("cas/{hash}"), &bytes),
                Err(err) => return self.turn_off(&format!("reading blob {hash}: {err}")),
            }
        }
        let json = serde_json::to_vec(entry).expect("entries serialise");
        self.put(&format!("ac/{}", entry.key), &json);
    }
}
