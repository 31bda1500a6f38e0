//! Content digests: the blake3 hashes (64 lowercase hex digits) that name every blob and action entry.
//!
//! A digest read from anywhere outside this process (an action entry, a remote cache, a report) is parsed
//! into a [`Digest`] before it is used, so a hostile or damaged value can never become a path such as
//! `../../home/you/thesis.md`: the cache builds paths from digests only.

use std::fmt;
use std::ops::Deref;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sys::fs::{PathError, path_error};

/// A blake3 hash in lowercase hex, held inline (no allocation: a build handles tens of thousands).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; LENGTH]);

/// Text that is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{shown:?} is not a blake3 digest (64 lowercase hex digits)")]
pub struct InvalidDigest {
    /// The start of the text, for messages (it may be long or hostile).
    shown: String,
}

/// Hex digits in a blake3 digest.
const LENGTH: usize = 64;

impl Digest {
    /// The blake3 hash of a file's content.
    pub fn of_file(path: &Path) -> Result<Digest, PathError> {
        let mut hasher = blake3::Hasher::new();
        let file = std::fs::File::open(path).map_err(path_error(path))?;
        hasher.update_reader(file).map_err(path_error(path))?;
        Ok(Digest::from_hash(hasher.finalize()))
    }

    /// Parses `text`, accepting exactly 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Digest, InvalidDigest> {
        let valid = text.len() == LENGTH
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            let mut digits = [0; LENGTH];
            digits.copy_from_slice(text.as_bytes());
            Ok(Digest(digits))
        } else {
            Err(InvalidDigest {
                shown: text.chars().take(80).collect(),
            })
        }
    }

    /// The digest of a finished hasher.
    pub fn from_hash(hash: blake3::Hash) -> Digest {
        Digest::parse(hash.to_hex().as_str()).expect("blake3 writes lowercase hex")
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hash(blake3::hash(bytes))
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digests are ASCII hex")
    }

    /// The first 12 digits, enough to tell digests apart in messages.
    pub fn short(&self) -> &str {
        &self.as_str()[..12]
    }

    /// The two-digit folder the cache files this digest under.
    pub fn shard(&self) -> &str {
        &self.as_str()[..2]
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        deserializer.deserialize_str(DigestVisitor)
    }
}

/// Reads a digest from a string without copying it first.
struct DigestVisitor;

impl serde::de::Visitor<'_> for DigestVisitor {
    type Value = Digest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a blake3 digest (64 lowercase hex digits)")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Digest, E> {
        Digest::parse(text).map_err(E::custom)
    }
}

impl Deref for Digest {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_lowercase_hex_digits_are_digests() {
        let good = Digest::of(b"x");
        assert_eq!(Digest::parse(good.as_str()), Ok(good.clone()));
        assert_eq!(good.short().len(), 12);
        for bad in [
            "",
            "../../../../tmp/victim.txt",
            "/etc/passwd",
            &good.to_uppercase(),
            &good[..63],
            &format!("{good}0"),
            &format!("é{}", &good[2..]),
            &format!("{}/x", &good[..62]),
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&good).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), good);
        assert!(serde_json::from_str::<Digest>("\"../x\"").is_err());
    }
}
