//! The applier: builds the layer with its logged edits on top and swaps it in, off the
//! request path; and the fold, which writes that same version to the store and empties the
//! log.
//!
//! A build copies the served version's features, applies the new entries by feature id and
//! builds every derived index, exactly as a publish does (on all cores but one). That costs
//! about as much as the layer is large: a few milliseconds for a record layer of thousands
//! of features, seconds for one of hundreds of thousands, where edits arriving meanwhile
//! simply wait for the next build. Readers keep the old version until the swap.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::check;
use super::log::Entry;
use super::{EditError, Inner, audited};
use crate::fgb::{self, WriteOptions};
use crate::layer::{self, Cores, LayerVersion};
use crate::model::{Feature, VersionInfo};
use crate::store::NewVersion;
use sha2::Digest as _;

/// Edits arriving within this time of a first one are applied together.
const GATHER: Duration = Duration::from_millis(20);
/// The log is folded into a store version once it holds this many edits…
const FOLD_EDITS: usize = 500;
/// …or its oldest edit is this old.
const FOLD_AFTER: Duration = Duration::from_secs(60);

/// What an apply is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// At start: replay the log on all cores, before anything is served.
    Start,
    /// After an edit: apply the new entries (and fold if the log is due).
    Apply,
    /// Fold whatever is logged now.
    Fold,
}

static LAST_REVISION: AtomicU64 = AtomicU64::new(0);

/// A number unique over the process's life and, being microseconds since the epoch,
/// larger than any an earlier run gave out (unless the clock went back).
pub fn next_revision() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let mut last = LAST_REVISION.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST_REVISION.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// Runs the applier until the editor is dropped.
pub fn spawn(inner: Weak<Inner>, rx: Receiver<String>) {
    let spawned = std::thread::Builder::new()
        .name("edit-applier".into())
        .spawn(move || run(&inner, &rx));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the edit applier");
    }
}

/// How often the applier sweeps photos that no record took.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

fn run(inner: &Weak<Inner>, rx: &Receiver<String>) {
    let mut swept = Instant::now();
    loop {
        let mut due = BTreeSet::new();
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(layer) => {
                due.insert(layer);
                std::thread::sleep(GATHER);
                due.extend(rx.try_iter());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let Some(inner) = inner.upgrade() else { return };
        if swept.elapsed() >= SWEEP_EVERY {
            inner.sweep_photos(super::ORPHAN_PHOTOS_AFTER);
            swept = Instant::now();
        }
        for layer in &inner.layer_ids() {
            let mode = if due.contains(layer) {
                Mode::Apply
            } else if fold_due(&inner, layer) {
                Mode::Fold
            } else {
                continue;
            };
            if let Err(e) = apply(&inner, layer, mode) {
                tracing::error!(layer, error = %e, "applying edits failed; retrying later");
            }
        }
    }
}

fn fold_due(inner: &Inner, layer: &str) -> bool {
    let Some(m) = inner.state(layer) else {
        return false;
    };
    let st = m.lock().unwrap_or_else(PoisonError::into_inner);
    st.entries.len() >= FOLD_EDITS || st.oldest.is_some_and(|t| t.elapsed() >= FOLD_AFTER)
}

/// Brings the served version of `layer` up to date with its log, folding when due. Holds
/// the layer's publish lock throughout, so no publish or rollback switches under it.
pub fn apply(inner: &Inner, layer: &str, mode: Mode) -> Result<(), EditError> {
    let Some(m) = inner.state(layer) else {
        return Ok(());
    };
    let lock = inner.publisher.layer_lock(layer);
    let _switching = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let slot = inner
        .layers
        .slot(layer)
        .ok_or_else(|| EditError::Fold(format!("no layer `{layer}`")))?;
    let Some(served) = slot.current() else {
        return Ok(());
    };
    let (new, upto, fold) = {
        let st = m.lock().unwrap_or_else(PoisonError::into_inner);
        let mut st = st;
        if !st.waiting.is_empty() {
            audited::retry(&inner.audit, layer, &mut st.waiting);
        }
        let ours = std::ptr::eq(st.served.as_ptr(), Arc::as_ptr(&served));
        let applied = if ours { st.applied } else { 0 };
        let fold = inner.writable
            && !st.entries.is_empty()
            && (mode == Mode::Fold
                || st.entries.len() >= FOLD_EDITS
                || st.oldest.is_some_and(|t| t.elapsed() >= FOLD_AFTER));
        if applied == st.entries.len() && !fold {
            return Ok(());
        }
        (st.entries[applied..].to_vec(), st.entries.len(), fold)
    };
    let t = Instant::now();
    let features = merged(&served, &new)?;
    let (info, revision) = if fold {
        (fold_into_store(inner, &served, &features)?, 0)
    } else {
        (served.info.clone(), next_revision())
    };
    let cores = if mode == Mode::Start {
        Cores::All
    } else {
        Cores::SpareOne
    };
    let version = Arc::new(
        LayerVersion::new_on(
            Arc::clone(&served.def),
            info,
            served.schema.clone(),
            features,
            cores,
        )
        .with_revision(revision),
    );
    let mut st = m.lock().unwrap_or_else(PoisonError::into_inner);
    st.served = Arc::downgrade(&version);
    // Swapped while the state is locked: `Editor::current` never sees the folded entries
    // gone from `latest` while the slot still holds a version without them.
    if let Some(old) = slot.swap(Arc::clone(&version)) {
        layer::retire(old);
    }
    if fold {
        let cut = audited::foldable(&st.entries, upto, &st.waiting);
        let rest = st.entries.split_off(cut);
        st.log.rewrite(&rest)?;
        st.entries = rest;
        st.applied = 0;
        st.oldest = (!st.entries.is_empty()).then(Instant::now);
        let pending: BTreeSet<u64> = st.entries.iter().map(|e| e.id).collect();
        st.latest.retain(|id, _| pending.contains(id));
    } else {
        st.applied = upto;
    }
    drop(st);
    tracing::debug!(
        layer,
        edits = new.len(),
        fold,
        tag = %version.tag(),
        ms = t.elapsed().as_millis() as u64,
        "edits applied"
    );
    if fold && let Err(e) = inner.publisher.prune_versions(layer) {
        tracing::warn!(layer, error = %e, "pruning old versions after a fold failed");
    }
    Ok(())
}

/// The served features with the entries applied by id, in id order of first appearance.
fn merged(served: &LayerVersion, entries: &[Entry]) -> Result<Vec<Feature>, EditError> {
    let mut features: Vec<Option<Feature>> = served.features.iter().cloned().map(Some).collect();
    let mut at: HashMap<u64, usize> = served
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, i))
        .collect();
    for e in entries {
        let feature = match &e.after {
            Some(s) => Some(check::feature_of(&served.schema, e.id, s).map_err(|r| {
                EditError::Fold(format!("logged edit of feature {}: {}", e.id, r.message))
            })?),
            None => None,
        };
        match at.get(&e.id) {
            Some(&i) => features[i] = feature,
            None if feature.is_some() => {
                at.insert(e.id, features.len());
                features.push(feature);
            }
            None => {}
        }
    }
    Ok(features.into_iter().flatten().collect())
}

/// Writes the features as a new store version and makes it current, compared and swapped
/// against the store version being served.
fn fold_into_store(
    inner: &Inner,
    served: &LayerVersion,
    features: &[Feature],
) -> Result<VersionInfo, EditError> {
    let layer = served.id();
    let columns: Vec<usize> = (0..served.schema.len()).collect();
    let mut bytes = Vec::new();
    fgb::write(
        &mut bytes,
        layer,
        &served.schema,
        &columns,
        features,
        WriteOptions::default(),
    )
    .map_err(|e| EditError::Fold(e.to_string()))?;
    let meta = NewVersion {
        source_name: "edits".to_owned(),
        source_sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        created_by: format!("edits on version {}", served.version()),
        feature_count: features.len(),
    };
    let info = inner.store.put(layer, &meta, &mut bytes.as_slice())?;
    // Version 0 is never stored (a created layer's empty start): the store then has none.
    let expected = Some(served.version()).filter(|&v| v != 0);
    inner.store.activate(layer, info.version, expected)?;
    tracing::info!(
        layer,
        version = info.version,
        "edits folded into a new version"
    );
    Ok(info)
}
