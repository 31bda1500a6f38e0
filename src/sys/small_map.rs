//! A map of a few named values (a node's outputs, the facts it recorded) kept as a list sorted by name. A
//! build holds one or two per node, and a B-tree's smallest node has room for eleven entries, most of them
//! empty here. It reads and writes as a JSON object, exactly as a `BTreeMap` does.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Named values, sorted by name, each name once.
#[derive(Debug, Clone, PartialEq)]
pub struct SmallMap<V>(Vec<(String, V)>);

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<V> SmallMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        SmallMap::default()
    }

    /// The value called `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        let at = self
            .0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()?;
        Some(&self.0[at].1)
    }

    /// Sets the value called `name`; returns the one it replaced.
    pub fn insert(&mut self, name: String, value: V) -> Option<V> {
        match self.0.binary_search_by(|(n, _)| n.cmp(&name)) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                // Room for one more only: a map holds a few values, and a build holds thousands of maps.
                self.0.reserve_exact(1);
                self.0.insert(at, (name, value));
                None
            }
        }
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(name, _)| name)
    }

    /// The values, in the order of their names.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, value)| value)
    }

    /// The names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V> FromIterator<(String, V)> for SmallMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(pairs: I) -> Self {
        let mut map = SmallMap::new();
        for (name, value) in pairs {
            map.insert(name, value);
        }
        map
    }
}

impl<V, const N: usize> From<[(String, V); N]> for SmallMap<V> {
    fn from(pairs: [(String, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<'a, V> IntoIterator for &'a SmallMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&(String, V)) -> (&String, &V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (name, value))
    }
}

impl<V: Serialize> Serialize for SmallMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SmallMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SmallMapVisitor(PhantomData))
    }
}

/// Reads a JSON object into a [`SmallMap`] (a later value for the same name wins, as in a `BTreeMap`).
struct SmallMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for SmallMapVisitor<V> {
    type Value = SmallMap<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SmallMap<V>, A::Error> {
        let mut map = SmallMap(Vec::with_capacity(access.size_hint().unwrap_or(0).min(16)));
        while let Some((name, value)) = access.next_entry::<String, V>()? {
            map.insert(name, value);
        }
        map.0.shrink_to_fit();
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn it_reads_and_writes_json_as_a_btree_map_does() {
        let text = r#"{"vtt":3,"cues":1,"srt":2,"cues":4}"#;
        let small: SmallMap<u32> = serde_json::from_str(text).unwrap();
        let btree: BTreeMap<String, u32> = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&small).unwrap(),
            serde_json::to_string(&btree).unwrap()
        );
        assert_eq!(small.get("cues"), Some(&4));
        assert_eq!(small.get("mp4"), None);
        assert_eq!(small.keys().collect::<Vec<_>>(), ["cues", "srt", "vtt"]);
        assert!(serde_json::from_str::<SmallMap<u32>>("[1]").is_err());
    }
}
