//! The search index of one layer version: every searchable value, normalised once, with a
//! sorted-key array (exact and prefix matches by binary search) and an n-gram inverted index
//! (substring matches by intersecting posting lists). A query never scans every string.
//!
//! Entries are numbered in feature order, so posting lists and results come out in feature
//! order without sorting.

use std::collections::HashMap;

use super::normalize::normalize;
use crate::layer::LayerVersion;
use crate::model::Value;

/// How a value matched: better ranks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    Exact,
    Prefix,
    Substring,
    /// Every word of a several-word query is in the feature, not necessarily in one value.
    Words,
}

impl Rank {
    pub fn as_str(self) -> &'static str {
        match self {
            Rank::Exact => "exact",
            Rank::Prefix => "prefix",
            Rank::Substring => "substring",
            Rank::Words => "words",
        }
    }
}

/// One indexed value: a feature (index into `features`) and the attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub feature: u32,
    pub column: u32,
}

/// A match of the query against one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub entry: u32,
    pub rank: Rank,
}

/// A gram: one character (for one-character queries) or two consecutive ones.
fn gram(a: char, b: Option<char>) -> u64 {
    (u64::from(a) << 32) | b.map_or(u64::from(u32::MAX), u64::from)
}

/// The search index of one layer version.
#[derive(Debug, Default)]
pub struct SearchIndex {
    texts: String,
    /// `texts[offsets[i]..offsets[i + 1]]` is entry `i`'s normalised value.
    offsets: Vec<u32>,
    entries: Vec<Entry>,
    /// Entry numbers ordered by normalised value.
    sorted: Vec<u32>,
    /// Gram keys, ascending; `postings[starts[g]..starts[g + 1]]` lists the entries
    /// containing gram `keys[g]`, ascending.
    keys: Vec<u64>,
    starts: Vec<u32>,
    postings: Vec<u32>,
}

impl SearchIndex {
    /// Indexes the layer's `searchable` attributes (all of them: visibility is checked per
    /// query, against the caller's view).
    pub fn build(layer: &LayerVersion) -> Self {
        let columns: Vec<usize> = layer
            .def
            .searchable
            .iter()
            .filter_map(|name| layer.schema.index_of(name))
            .collect();
        let mut index = Self::default();
        let mut grams: HashMap<u64, Vec<u32>> = HashMap::new();
        index.offsets.push(0);
        for (fi, f) in layer.features.iter().enumerate() {
            for &c in &columns {
                let Some(text) = searchable_text(f.property(c)) else {
                    continue;
                };
                let entry = index.entries.len() as u32;
                add_grams(&mut grams, &text, entry);
                index.texts.push_str(&text);
                index.offsets.push(index.texts.len() as u32);
                index.entries.push(Entry {
                    feature: fi as u32,
                    column: c as u32,
                });
            }
        }
        index.finish(grams);
        index
    }

    fn finish(&mut self, grams: HashMap<u64, Vec<u32>>) {
        let mut sorted: Vec<u32> = (0..self.entries.len() as u32).collect();
        sorted.sort_by(|&a, &b| self.text(a).cmp(self.text(b)).then(a.cmp(&b)));
        self.sorted = sorted;
        let mut grams: Vec<(u64, Vec<u32>)> = grams.into_iter().collect();
        grams.sort_unstable_by_key(|(k, _)| *k);
        self.starts.push(0);
        for (k, list) in grams {
            self.keys.push(k);
            self.postings.extend(list);
            self.starts.push(self.postings.len() as u32);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, i: u32) -> Entry {
        self.entries[i as usize]
    }

    /// The entries of one feature (entries are numbered in feature order).
    pub fn entries_of(&self, feature: u32) -> std::ops::Range<u32> {
        let start = self.entries.partition_point(|e| e.feature < feature);
        let end = start + self.entries[start..].partition_point(|e| e.feature == feature);
        start as u32..end as u32
    }

    /// An entry's normalised value.
    pub fn text(&self, i: u32) -> &str {
        let i = i as usize;
        &self.texts[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Up to `limit` accepted matches of each rank for the normalised query `q`, each rank
    /// in entry (feature) order: exact, then prefix, then substring.
    pub fn find(&self, q: &str, limit: usize, mut accept: impl FnMut(Entry) -> bool) -> Vec<Match> {
        if q.is_empty() {
            return Vec::new();
        }
        let lo = self.sorted.partition_point(|&e| self.text(e) < q);
        let exact_end = lo + self.sorted[lo..].partition_point(|&e| self.text(e) == q);
        let end =
            exact_end + self.sorted[exact_end..].partition_point(|&e| self.text(e).starts_with(q));
        let mut out = Vec::new();
        for (range, rank) in [(lo..exact_end, Rank::Exact), (exact_end..end, Rank::Prefix)] {
            let mut ids = self.sorted[range].to_vec();
            ids.sort_unstable();
            out.extend(
                ids.into_iter()
                    .filter(|&e| accept(self.entry(e)))
                    .take(limit)
                    .map(|entry| Match { entry, rank }),
            );
        }
        let substrings = self
            .candidates(q)
            .into_iter()
            .filter(|&e| {
                let t = self.text(e);
                !t.starts_with(q) && t.contains(q) && accept(self.entry(e))
            })
            .take(limit)
            .map(|entry| Match {
                entry,
                rank: Rank::Substring,
            });
        out.extend(substrings);
        out
    }

    /// Entries containing every gram of `q`, ascending: a superset of the substring matches.
    fn candidates(&self, q: &str) -> Vec<u32> {
        let chars: Vec<char> = q.chars().collect();
        let mut keys: Vec<u64> = match chars.as_slice() {
            [only] => vec![gram(*only, None)],
            _ => chars.windows(2).map(|w| gram(w[0], Some(w[1]))).collect(),
        };
        keys.sort_unstable();
        keys.dedup();
        let mut lists = Vec::with_capacity(keys.len());
        for k in keys {
            match self.postings_of(k) {
                Some(list) => lists.push(list),
                None => return Vec::new(),
            }
        }
        lists.sort_by_key(|l| l.len());
        let Some((shortest, rest)) = lists.split_first() else {
            return Vec::new();
        };
        shortest
            .iter()
            .copied()
            .filter(|e| rest.iter().all(|l| l.binary_search(e).is_ok()))
            .collect()
    }

    fn postings_of(&self, key: u64) -> Option<&[u32]> {
        let g = self.keys.binary_search(&key).ok()?;
        Some(&self.postings[self.starts[g] as usize..self.starts[g + 1] as usize])
    }
}

/// The text a value is searched by: strings and numbers (地番 may be stored as numbers).
fn searchable_text(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => normalize(s),
        Value::Int(_) | Value::Float(_) => normalize(&v.to_string()),
        Value::Null | Value::Bool(_) => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn add_grams(grams: &mut HashMap<u64, Vec<u32>>, text: &str, entry: u32) {
    let chars: Vec<char> = text.chars().collect();
    let singles = chars.iter().map(|&c| gram(c, None));
    let pairs = chars.windows(2).map(|w| gram(w[0], Some(w[1])));
    for key in singles.chain(pairs) {
        let list = grams.entry(key).or_default();
        if list.last() != Some(&entry) {
            list.push(entry);
        }
    }
}
