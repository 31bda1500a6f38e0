//! The shared remote cache: action entries and blobs read from and written to a store with the layout of
//! bazel-remote and nginx WebDAV (`PUT/GET BASE/ac/KEY`, `PUT/GET BASE/cas/HASH`), checked into and out of the
//! local cache. The store is a plain HTTP server (optionally with a bearer token) or S3-compatible object
//! storage (AWS S3, GCS's XML API, MinIO) with requests signed by rusty-s3 (presigned SigV4 URLs).
//!
//! Every blob read from the remote is verified against its hash before use; a mismatch is reported and the blob
//! discarded, never used. Entries are validated like local ones (their hashes are digests, their outputs those
//! of their node's kind, their blobs the size they recorded). Bodies stream to scratch files, never into
//! memory, with a size limit (the size the entry recorded) and a deadline per request. Any other remote failure
//! (a malformed or misfit entry among them) turns the remote off for the rest of the build with one warning:
//! the build goes on with the local cache.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::digest::Digest;
use crate::node::NodeKind;
use crate::store::{ActionEntry, Damage, Store, hash_file};
use crate::{interrupt, secrets};

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

    /// A name for messages: the base URL without credentials, or the bucket; never a signature or token.
    fn name(&self) -> String {
        match self {
            Backend::Http { base, .. } => secrets::without_credentials(base),
            Backend::S3 { bucket, prefix, .. } => format!("s3://{}/{prefix}", bucket.name()),
        }
    }
}

/// How much a remote may send and how long it may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The deadline of one request, from connecting to the last byte of its body.
    pub timeout: Duration,
    /// The largest blob taken from the remote when its entry did not record its size.
    pub max_blob_bytes: u64,
}

/// The largest action entry taken from the remote (entries hold excerpts, never media).
const ENTRY_LIMIT: u64 = 16 << 20;

/// A remote cache.
pub struct Remote {
    backend: Backend,
    name: String,
    agent: ureq::Agent,
    limits: Limits,
    off: AtomicBool,
}

/// What a GET came to.
enum Fetched {
    Found,
    Missing,
    Failed(String),
}

impl Remote {
    /// A remote cache on `backend`.
    pub fn new(backend: Backend, limits: Limits) -> Remote {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(5).min(limits.timeout)))
            .timeout_global(Some(limits.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Remote {
            name: backend.name(),
            backend,
            agent,
            limits,
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

    /// GETs `path` into `sink`, refusing bodies over `limit` bytes.
    fn get(&self, path: &str, limit: u64, sink: &mut dyn Write) -> Fetched {
        if !self.is_on() {
            return Fetched::Missing;
        }
        let (url, token) = self.backend.url(rusty_s3::Method::Get, path);
        let mut request = self.agent.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = match request.call() {
            Ok(response) => response,
            Err(err) => return Fetched::Failed(format!("GET {path}: {err}")),
        };
        match response.status().as_u16() {
            200 => {}
            404 => return Fetched::Missing,
            status => return Fetched::Failed(format!("GET {path}: HTTP {status}")),
        }
        let announced = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(length) = announced.filter(|&length| length > limit) {
            return Fetched::Failed(format!(
                "GET {path}: the remote sends {length} bytes where at most {limit} are expected"
            ));
        }
        let mut body = response.body_mut().with_config().limit(limit).reader();
        let mut buffer = vec![0; 64 << 10];
        loop {
            if interrupt::requested() {
                return Fetched::Failed(format!("GET {path}: interrupted"));
            }
            let read = match body.read(&mut buffer) {
                Ok(0) => return Fetched::Found,
                Ok(read) => read,
                Err(err) => return Fetched::Failed(format!("GET {path}: {err}")),
            };
            if let Err(err) = sink.write_all(&buffer[..read]) {
                return Fetched::Failed(format!("GET {path}: writing it here: {err}"));
            }
        }
    }

    fn put(&self, path: &str, body: impl ureq::AsSendBody) {
        if !self.is_on() {
            return;
        }
        let (url, token) = self.backend.url(rusty_s3::Method::Put, path);
        let mut request = self.agent.put(url);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        match request.send(body) {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                self.turn_off(&format!("PUT {path}: HTTP {}", response.status().as_u16()))
            }
            Err(err) => self.turn_off(&format!("PUT {path}: {err}")),
        }
    }

    /// The entry for `key` if the remote has one that fits `kind` (outputs and facts), with every output blob
    /// checked into `store` (verified).
    pub fn fetch(&self, key: &Digest, store: &Store, kind: NodeKind) -> Option<ActionEntry> {
        let mut json = Vec::new();
        match self.get(&format!("ac/{key}"), ENTRY_LIMIT, &mut json) {
            Fetched::Found => {}
            Fetched::Missing => return None,
            Fetched::Failed(why) => {
                self.turn_off(&why);
                return None;
            }
        }
        // A remote that serves entries that are not what was asked for is misbehaving: it is dropped.
        let entry = match serde_json::from_slice::<ActionEntry>(&json) {
            Ok(entry) if entry.key == *key => entry,
            Ok(entry) => {
                self.turn_off(&format!(
                    "the entry for key {} says it is {}",
                    key.short(),
                    entry.key.short()
                ));
                return None;
            }
            Err(err) => {
                self.turn_off(&format!(
                    "the entry for key {} is malformed ({err})",
                    key.short()
                ));
                return None;
            }
        };
        let misfit = |damage: Damage| {
            self.turn_off(&format!(
                "the entry of {} does not fit its node ({damage})",
                entry.node
            ));
        };
        // Its outputs' names are checked before any blob is fetched, their sizes after.
        if let Err(damage) = entry.check_outputs(kind) {
            misfit(damage);
            return None;
        }
        let limit = entry
            .bytes
            .filter(|&bytes| bytes > 0)
            .unwrap_or(self.limits.max_blob_bytes);
        for hash in entry.outputs.values() {
            if store.blob_path(hash).is_file() {
                continue;
            }
            if !self.fetch_blob(hash, limit, store, &entry.node) {
                return None;
            }
        }
        if let Err(damage) = store.check(&entry, kind) {
            misfit(damage);
            return None;
        }
        store.record(&entry).ok()?;
        log::debug!(node = entry.node.as_str(); "from the remote cache");
        Some(entry)
    }

    /// Streams blob `hash` into `store` through a scratch file, verifying it; false if it could not be had.
    fn fetch_blob(&self, hash: &Digest, limit: u64, store: &Store, node: &str) -> bool {
        let mut file = match store.scratch_file() {
            Ok(file) => file,
            Err(err) => {
                log::warn!("cannot store a blob from the remote cache: {err}");
                return false;
            }
        };
        match self.get(&format!("cas/{hash}"), limit, file.as_file_mut()) {
            Fetched::Found => {}
            Fetched::Missing => return false,
            Fetched::Failed(why) => {
                self.turn_off(&why);
                return false;
            }
        }
        if hash_file(file.path()).ok().as_ref() != Some(hash) {
            log::warn!(
                "remote cache {}: blob {} does not match its hash; discarded, {node} will be rebuilt",
                self.name,
                hash.short()
            );
            return false;
        }
        let stored = file
            .into_temp_path()
            .keep()
            .map_err(|e| e.error.to_string())
            .and_then(|path| store.put_file(&path).map_err(|e| e.to_string()));
        if let Err(err) = stored {
            log::warn!("cannot store a blob from the remote cache: {err}");
            return false;
        }
        true
    }

    /// Writes a finished node's blobs, then its entry, to the remote (streamed from the cache's files).
    pub fn publish(&self, entry: &ActionEntry, store: &Store) {
        for hash in entry.outputs.values() {
            let path = store.blob_path(hash);
            match std::fs::File::open(&path) {
                Ok(file) => self.put(&format!("cas/{hash}"), file),
                Err(err) => return self.turn_off(&format!("reading blob {}: {err}", hash.short())),
            }
        }
        let json = serde_json::to_vec(entry).expect("entries serialise");
        self.put(&format!("ac/{}", entry.key), json);
    }
}
