//! Content digests: the blake3 hashes (64 lowercase hex digits) that name every blob and action entry.
//!
//! A digest read from anywhere outside this process (an action entry, a remote cache, a report) is parsed
//! into a [`Digest`] before it is used, so a hostile or damaged value can never become a path such as
//! `../../home/you/thesis.md`: the cache builds paths from digests only.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A blake3 hash in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

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
    /// Parses `text`, accepting exactly 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Digest, InvalidDigest> {
        let valid = text.len() == LENGTH
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Digest(text.to_string()))
        } else {
            Err(InvalidDigest {
                shown: text.chars().take(80).collect(),
            })
        }
    }

    /// The digest of a finished hasher.
    pub fn from_hash(hash: blake3::Hash) -> Digest {
        Digest(hash.to_hex().to_string())
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hash(blake3::hash(bytes))
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, enough to tell digests apart in messages.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }

    /// The two-digit folder the cache files this digest under.
    pub fn shard(&self) -> &str {
        &self.0[..2]
    }
}

impl TryFrom<String> for Digest {
    type Error = InvalidDigest;

    fn try_from(text: String) -> Result<Digest, InvalidDigest> {
        Digest::parse(&text)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> String {
        digest.0
    }
}

impl Deref for Digest {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
