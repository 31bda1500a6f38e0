//! The shared remote cache: action entries and blobs read from and written to a store with the layout of
//! bazel-remote and nginx WebDAV (`PUT/GET BASE/ac/KEY`, `PUT/GET BASE/cas/HASH`), checked into and out of the
//! local cache. The store is a plain HTTP server (optionally with a bearer token) or S3-compatible object
//! storage (AWS S3, GCS's XML API, MinIO) with requests signed by rusty-s3 (presigned SigV4 URLs).
//!
//! Every blob read from the remote is verified against its hash before use; a mismatch is reported and the
//! blob discarded, never used (three in a row drop the remote). Entries are validated like local ones (their
//! hashes are digests, their outputs those of their node's kind, their blobs the size they recorded, their
//! facts). Bodies stream to scratch files, never into memory, each within what its entry recorded (at most
//! `[cache] max_blob_size`), with a deadline per request; all fetches under way together hold at most
//! `max_blob_size` of scratch. Any other remote failure (a malformed or misfit entry among them) turns the
//! remote off for the rest of the build with one warning: the build goes on with the local cache.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::cache::{ActionEntry, Damage, Store};
use crate::graph::node::NodeKind;
use crate::sys::digest::Digest;
use crate::sys::{interrupt, secrets};

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
    /// The most an entry's blobs may hold, and the most scratch all the fetches under way hold at once.
    pub max_blob_bytes: u64,
}

/// Blobs in a row that did not match their hashes before the remote is dropped.
const MISMATCHES_IN_A_ROW: u32 = 3;

/// The scratch space fetches may fill at once: each reserves what its entry may hold before it asks for a
/// byte, and waits while the others hold the rest.
struct Scratch {
    free: Mutex<u64>,
    freed: Condvar,
}

impl Scratch {
    /// Waits until `bytes` are free and takes them (false if an interrupt came first).
    fn reserve(&self, bytes: u64) -> bool {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < bytes {
            if interrupt::requested() {
                return false;
            }
            free = (self.freed.wait_timeout(free, Duration::from_millis(100)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= bytes;
        true
    }

    fn release(&self, bytes: u64) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += bytes;
        self.freed.notify_all();
    }
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
    scratch: Scratch,
    /// Blobs that did not match their hashes since the last one that did.
    mismatches: AtomicU32,
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
            scratch: Scratch {
                free: Mutex::new(limits.max_blob_bytes),
                freed: Condvar::new(),
            },
            mismatches: AtomicU32::new(0),
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
        // What the blobs may hold: what the entry recorded, else the limit; never more than the limit.
        let allowed = match entry.bytes.filter(|&bytes| bytes > 0) {
            Some(bytes) if bytes > self.limits.max_blob_bytes => {
                self.turn_off(&format!(
                    "the entry of {} says its outputs hold {bytes} bytes, more than [cache] max_blob_size ({})",
                    entry.node, self.limits.max_blob_bytes
                ));
                return None;
            }
            Some(bytes) => bytes,
            None => self.limits.max_blob_bytes,
        };
        let missing: Vec<&Digest> = (entry.outputs.values())
            .filter(|hash| !store.blob_path(hash).is_file())
            .collect();
        if !missing.is_empty() {
            if !self.scratch.reserve(allowed) {
                return None;
            }
            let mut left = allowed;
            let fetched = missing.into_iter().all(|hash| {
                let got = self.fetch_blob(hash, left, store, &entry.node);
                left = left.saturating_sub(got.unwrap_or(0));
                got.is_some()
            });
            self.scratch.release(allowed);
            if !fetched {
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

    /// Streams blob `hash` of at most `limit` bytes into `store` through a scratch file, verifying it; its
    /// size, or `None` if it could not be had. Blobs that do not match their hashes several times in a row
    /// drop the remote.
    fn fetch_blob(&self, hash: &Digest, limit: u64, store: &Store, node: &str) -> Option<u64> {
        let mut file = match store.scratch_file() {
            Ok(file) => file,
            Err(err) => {
                log::warn!("cannot store a blob from the remote cache: {err}");
                return None;
            }
        };
        match self.get(&format!("cas/{hash}"), limit, file.as_file_mut()) {
            Fetched::Found => {}
            Fetched::Missing => return None,
            Fetched::Failed(why) => {
                self.turn_off(&why);
                return None;
            }
        }
        if Digest::of_file(file.path()).ok().as_ref() != Some(hash) {
            log::warn!(
                "remote cache {}: blob {} does not match its hash; discarded, {node} will be rebuilt",
                self.name,
                hash.short()
            );
            let in_a_row = self.mismatches.fetch_add(1, Ordering::Relaxed) + 1;
            if in_a_row >= MISMATCHES_IN_A_ROW {
                self.turn_off(&format!(
                    "{in_a_row} blobs in a row did not match their hashes"
                ));
            }
            return None;
        }
        self.mismatches.store(0, Ordering::Relaxed);
        let size = file.as_file().metadata().map(|m| m.len()).unwrap_or(limit);
        let stored = file
            .into_temp_path()
            .keep()
            .map_err(|e| e.error.to_string())
            .and_then(|path| store.put_file(&path).map_err(|e| e.to_string()));
        if let Err(err) = stored {
            log::warn!("cannot store a blob from the remote cache: {err}");
            return None;
        }
        Some(size)
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
