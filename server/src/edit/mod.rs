//! Single-feature edits (OGC API – Features Part 4): create, replace, update (JSON merge
//! patch) and delete, for the roles a layer names in `[access] edit`.
//!
//! An edit is checked ([`check`]), appended to the layer's edit log and fsynced ([`log`])
//! before it is answered, and recorded in the audit log with the attributes before and
//! after. The applier thread ([`apply`]) then builds a new in-memory version of the layer
//! with the edits on top — features, R-tree, tile overviews and search index, off the
//! request path, as a publish does — and swaps it in, so tiles, searches and exports show
//! the edit within a fraction of a second while readers never wait. Every so often it folds
//! the log into a new store version (put, then a compare-and-swap `activate`) and empties
//! the log. At start the log is replayed on top of the current store version.
//!
//! The set of edit logs follows the set of layers: an editable layer an administrator
//! creates at run time (or another primary created) gets its log opened, and replayed,
//! when it joins the set; a removed layer's log is closed (docs/edits.md says what is kept).

mod apply;
mod area;
mod audited;
pub mod check;
#[cfg(test)]
mod fuzz;
mod link;
mod log;
pub mod photo;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak, mpsc};

use serde_json::{Value as Json, json};

pub use area::CityArea;
pub use link::Link;
pub use log::{Entry, Op, State};

use crate::access::{Audit, AuditEntry, Db, LayerView, Principal};
use crate::catalog::LayerDef;
use crate::layer::{LayerVersion, Layers};
use crate::model::Feature;
use crate::publish::Publisher;
use crate::store::{StoreError, VersionStore};

/// Why an edit was refused or failed. Nothing changed when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// No such layer or feature, or the caller may not see it (the same 404).
    #[error("no such feature")]
    NotFound,
    /// The caller sees the layer but may not edit it.
    #[error("you may not edit this layer")]
    Forbidden,
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// `If-Match` is required for a change or a delete.
    #[error("send If-Match with the feature's ETag")]
    PreconditionRequired,
    /// `If-Match` names another state of the feature (or another feature).
    #[error("the feature changed since you read it")]
    Stale { feature: Box<Feature>, etag: String },
    #[error("edits are not possible on a read-only store")]
    ReadOnly,
    #[error("edit log {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("edit log {path}, line {line}: cannot read: {message}")]
    Damaged {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("edit fold: {0}")]
    Store(#[from] StoreError),
    #[error("edit fold: {0}")]
    Fold(String),
    /// The database that hands out feature ids could not be reached.
    #[error("feature ids: {0}")]
    Ids(#[from] crate::access::AccessError),
}

impl EditError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A refused edit: what was wrong, where (`field`: an attribute name, `geometry`,
/// `properties`, or `None` for the body as a whole), in English and Japanese.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub field: Option<String>,
    pub message: String,
    pub message_ja: String,
}

impl Refusal {
    pub fn field(field: &str, en: &str, ja: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            message: format!("`{field}`: {en}"),
            message_ja: format!("「{field}」: {ja}"),
        }
    }

    pub fn body(en: &str, ja: &str) -> Self {
        Self {
            field: None,
            message: format!("the body must be {en}"),
            message_ja: format!("本文は{ja}でなければなりません"),
        }
    }
}

impl From<Refusal> for EditError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

/// An edit as saved: the feature's new state (none after a delete) and its ETag.
#[derive(Debug, Clone)]
pub struct Saved {
    pub id: u64,
    pub feature: Option<Feature>,
    pub etag: Option<String>,
}

/// True when `principal` may edit features of `def` (it must also see the layer).
pub fn may_edit(principal: &Principal, def: &LayerDef) -> bool {
    !principal.is_anonymous()
        && (principal.is_admin() || def.access.edit.iter().any(|a| principal.has(a)))
}

/// The edit state of one layer.
#[derive(Debug)]
struct LayerState {
    log: log::EditLog,
    /// Entries not yet folded into a store version, oldest first.
    entries: Vec<Entry>,
    /// How many of `entries` the version in `served` holds.
    applied: usize,
    /// The version the applier last swapped in: if the slot holds another (a publish or
    /// rollback replaced it), none of the entries is applied there.
    served: Weak<LayerVersion>,
    /// The newest state of every feature an entry touched (`None`: deleted).
    latest: HashMap<u64, Option<State>>,
    next_id: u64,
    /// When the oldest unfolded entry was made.
    oldest: Option<std::time::Instant>,
    /// Audit rows of logged edits that could not be written yet.
    waiting: Vec<audited::Waiting>,
    /// The layer left the set: edits that waited for this state are refused as for a
    /// missing layer.
    closed: bool,
}

/// One layer's edit state, shared by the requests and the applier.
type Shared = Arc<Mutex<LayerState>>;

fn lock(m: &Mutex<LayerState>) -> MutexGuard<'_, LayerState> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The edit service: one per running application.
#[derive(Debug)]
pub struct Editor {
    inner: Arc<Inner>,
    wake: Option<Mutex<mpsc::Sender<String>>>,
}

#[derive(Debug)]
struct Inner {
    publisher: Arc<Publisher>,
    layers: Arc<Layers>,
    store: Arc<dyn VersionStore>,
    audit: Arc<Audit>,
    db: Db,
    area: CityArea,
    /// The open edit logs, by layer: changes when an editable layer joins or leaves the set.
    states: RwLock<BTreeMap<String, Shared>>,
    /// `<store-dir>/edits`.
    dir: PathBuf,
    /// Serialises opening logs: two opens of one log would each rewrite it.
    opening: Mutex<()>,
    writable: bool,
    photos: photo::Photos,
}

/// What the editor is built from.
#[derive(Debug)]
pub struct Parts {
    pub publisher: Arc<Publisher>,
    pub layers: Arc<Layers>,
    pub store: Arc<dyn VersionStore>,
    pub audit: Arc<Audit>,
    /// The identity database, which hands out feature ids (never one twice).
    pub db: Db,
    /// `<store-dir>/edits`.
    pub dir: PathBuf,
    /// `<store-dir>/photos`.
    pub photos: PathBuf,
    /// The repository root (for the city boundary).
    pub root: PathBuf,
    /// False for `check` and `export-tiles`: edits are replayed in memory, nothing written.
    pub writable: bool,
}

impl Editor {
    /// Opens the edit log of every editable layer and replays it on top of the layer's
    /// current version (call after every layer is loaded). A writable editor starts the
    /// applier thread.
    pub fn start(parts: Parts) -> Result<Self, EditError> {
        let area = CityArea::load(&parts.root, &parts.layers.current_all());
        let inner = Arc::new(Inner {
            publisher: parts.publisher,
            layers: parts.layers,
            store: parts.store,
            audit: parts.audit,
            db: parts.db,
            area,
            states: RwLock::default(),
            dir: parts.dir,
            opening: Mutex::new(()),
            writable: parts.writable,
            photos: photo::Photos::new(parts.photos),
        });
        for slot in inner.layers.slots() {
            inner.open(&slot.def.id, apply::Mode::Start)?;
        }
        if parts.writable {
            inner.sweep_photos(ORPHAN_PHOTOS_AFTER);
        }
        let wake = parts.writable.then(|| {
            let (tx, rx) = mpsc::channel();
            apply::spawn(Arc::downgrade(&inner), rx);
            Mutex::new(tx)
        });
        let follows = Arc::downgrade(&inner);
        inner
            .publisher
            .on_define(crate::publish::Listener(Box::new(move |layer| {
                if let Some(inner) = follows.upgrade() {
                    inner.follow(layer);
                }
            })));
        Ok(Self { inner, wake })
    }

    /// The layer's edit state. Logs are opened where layers join the set (at start, and by
    /// the definition listener), never by a request: a request that meets a layer which
    /// joined a moment ago waits for its definition to finish, listener included.
    fn state(&self, layer: &str) -> Result<Shared, EditError> {
        if let Some(m) = self.inner.state(layer) {
            return Ok(m);
        }
        self.inner.publisher.wait_for_definitions();
        self.inner
            .state(layer)
            .ok_or_else(|| EditError::Fold(format!("the edit log of `{layer}` is not open")))
    }

    /// Wakes the applier for a layer.
    fn wake(&self, layer: &str) {
        if let Some(w) = &self.wake {
            let _ = w
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(layer.to_owned());
        }
    }

    /// The newest state of a feature, edits not yet applied included, if the view admits it.
    pub fn current(&self, view: &LayerView, id: u64) -> Option<(Feature, String)> {
        let layer = view.layer.id();
        let state = match self.inner.state(layer) {
            Some(m) => {
                let st = lock(&m);
                match st.latest.get(&id) {
                    Some(s) => s.clone(),
                    None => self.served_state(view, id),
                }
            }
            None => self.served_state(view, id),
        }?;
        let feature = check::feature_of(&view.layer.schema, id, &state).ok()?;
        view.admits(&feature)
            .then(|| (feature, check::etag(layer, id, &state)))
    }

    fn served_state(&self, view: &LayerView, id: u64) -> Option<State> {
        let current = self.inner.layers.get(view.layer.id())?;
        let f = current.feature_by_id(id)?;
        Some(check::state_of(&current.schema, f))
    }

    /// `POST …/items`: a new feature.
    pub fn create(
        &self,
        who: &Principal,
        view: &LayerView,
        links: &[Link],
        input: &Json,
    ) -> Result<Saved, EditError> {
        self.allowed(who, view)?;
        let layer = view.layer.id();
        let m = self.state(layer)?;
        let mut st = open(&m)?;
        let after = self.checked(who, view, links, input, None)?;
        // Above what the layer and its log hold, and above every id handed out before
        // (a deleted record's, a removed layer's, another primary's).
        let id = self.inner.db.next_feature_id(layer, st.next_id - 1)?;
        let saved = self.commit(&mut st, who, view, Op::Create, id, None, Some(after))?;
        st.next_id = st.next_id.max(id + 1);
        Ok(saved)
    }

    /// `PUT …/items/{id}`: the whole feature replaced.
    pub fn replace(
        &self,
        who: &Principal,
        view: &LayerView,
        links: &[Link],
        id: u64,
        if_match: Option<&str>,
        input: &Json,
    ) -> Result<Saved, EditError> {
        self.allowed(who, view)?;
        let m = self.state(view.layer.id())?;
        let mut st = open(&m)?;
        let before = self.matching(&st, view, id, if_match)?;
        if input
            .get("id")
            .is_some_and(|given| !check::same_id(given, id))
        {
            return Err(Refusal::field(
                "id",
                "differs from the id in the path",
                "パスの id と異なります",
            )
            .into());
        }
        let after = self.checked(who, view, links, input, Some((id, &before)))?;
        self.commit(
            &mut st,
            who,
            view,
            Op::Replace,
            id,
            Some(before),
            Some(after),
        )
    }

    /// `PATCH …/items/{id}`: a JSON merge patch (RFC 7396) of the feature's GeoJSON.
    pub fn update(
        &self,
        who: &Principal,
        view: &LayerView,
        links: &[Link],
        id: u64,
        if_match: Option<&str>,
        patch: &Json,
    ) -> Result<Saved, EditError> {
        self.allowed(who, view)?;
        if !patch.is_object() {
            return Err(check::not_a_patch().into());
        }
        let m = self.state(view.layer.id())?;
        let mut st = open(&m)?;
        let before = self.matching(&st, view, id, if_match)?;
        let doc = check::patched(&before, id, &|k| view.shows(k), patch)?;
        let after = self.checked(who, view, links, &doc, Some((id, &before)))?;
        self.commit(
            &mut st,
            who,
            view,
            Op::Update,
            id,
            Some(before),
            Some(after),
        )
    }

    /// `DELETE …/items/{id}`.
    pub fn delete(
        &self,
        who: &Principal,
        view: &LayerView,
        id: u64,
        if_match: Option<&str>,
    ) -> Result<Saved, EditError> {
        self.allowed(who, view)?;
        let m = self.state(view.layer.id())?;
        let mut st = open(&m)?;
        let before = self.matching(&st, view, id, if_match)?;
        self.commit(&mut st, who, view, Op::Delete, id, Some(before), None)
    }

    fn allowed(&self, who: &Principal, view: &LayerView) -> Result<(), EditError> {
        if !self.inner.writable {
            return Err(EditError::ReadOnly);
        }
        if may_edit(who, &view.layer.def) && self.state(view.layer.id()).is_ok() {
            Ok(())
        } else {
            Err(EditError::Forbidden)
        }
    }

    fn checked(
        &self,
        who: &Principal,
        view: &LayerView,
        links: &[Link],
        input: &Json,
        keep: Option<(u64, &State)>,
    ) -> Result<State, EditError> {
        let def = &view.layer.def;
        // Parsed again only for a layer with `fill = "link"` fields the caller can read.
        let at = if links.is_empty() {
            None
        } else {
            link::spot(input)
        };
        let filled: Vec<(String, Json)> = def
            .fields
            .iter()
            .filter_map(|(name, f)| {
                let v = match f.fill.as_deref()? {
                    "user" => Json::from(who.user.clone()?),
                    "today" => Json::from(today()),
                    "link" => link::value(links, name, at?)?,
                    _ => return None,
                };
                Some((name.clone(), v))
            })
            .collect();
        let visible = |name: &str| view.shows(name);
        let state = check::checked(
            def,
            &view.layer.schema,
            &self.inner.area,
            input,
            &visible,
            keep.map(|k| k.1),
            &filled,
        )?;
        for (name, _) in def.fields.iter().filter(|(_, f)| f.photos) {
            if let Some(v) = state.properties.get(name) {
                let list = match v {
                    Json::String(s) => serde_json::from_str(s).unwrap_or(Json::Null),
                    other => other.clone(),
                };
                self.inner
                    .photos
                    .check_list(view.layer.id(), name, &list, keep.map(|k| k.0))?;
            }
        }
        Ok(state)
    }

    /// Stores a photo for a record of the layer (the caller may edit it).
    pub fn add_photo(
        &self,
        who: &Principal,
        view: &LayerView,
        bytes: &[u8],
    ) -> Result<Result<photo::PhotoInfo, photo::PhotoRefusal>, EditError> {
        self.allowed(who, view)?;
        let by = who.user.clone().unwrap_or_default();
        self.inner.photos.add(view.layer.id(), &by, bytes)
    }

    /// A photo, for those who may see it: a record's photo for those whose view admits the
    /// record; a photo no record took yet for its uploader (and admins); a retired one (its
    /// record deleted or no longer naming it) for the layer's editors.
    pub fn photo(
        &self,
        who: &Principal,
        view: &LayerView,
        id: &str,
        thumb: bool,
    ) -> Option<Vec<u8>> {
        let layer = view.layer.id();
        let info = self.inner.photos.info(layer, id)?;
        let may = match (info.record, &info.retired) {
            (_, Some(_)) => may_edit(who, &view.layer.def),
            (Some(record), None) => self.current(view, record).is_some(),
            (None, None) => {
                who.is_admin() || (who.user.as_deref() == Some(info.uploaded_by.as_str()))
            }
        };
        if may {
            self.inner.photos.bytes(layer, id, thumb)
        } else {
            None
        }
    }

    /// Removes the photos nobody's record took within [`ORPHAN_PHOTOS_AFTER`] of their
    /// upload (never one a record names). Returns how many.
    pub fn sweep_photos(&self) -> usize {
        self.inner.sweep_photos(ORPHAN_PHOTOS_AFTER)
    }

    /// The feature's newest state, if the view admits it and `If-Match` names it.
    fn matching(
        &self,
        st: &LayerState,
        view: &LayerView,
        id: u64,
        if_match: Option<&str>,
    ) -> Result<State, EditError> {
        let state = match st.latest.get(&id) {
            Some(s) => s.clone(),
            None => self.served_state(view, id),
        }
        .ok_or(EditError::NotFound)?;
        let feature = check::feature_of(&view.layer.schema, id, &state)?;
        if !view.admits(&feature) {
            return Err(EditError::NotFound);
        }
        let etag = check::etag(view.layer.id(), id, &state);
        let given = if_match.ok_or(EditError::PreconditionRequired)?;
        let matches = given
            .split(',')
            .map(str::trim)
            .any(|t| t == etag || t == "*");
        if matches {
            Ok(state)
        } else {
            Err(EditError::Stale {
                feature: Box::new(feature),
                etag,
            })
        }
    }

    /// Logs (fsynced), remembers, audits and schedules one edit.
    #[expect(
        clippy::too_many_arguments,
        reason = "one edit's parts, named at the call"
    )]
    fn commit(
        &self,
        st: &mut LayerState,
        who: &Principal,
        view: &LayerView,
        op: Op,
        id: u64,
        before: Option<State>,
        after: Option<State>,
    ) -> Result<Saved, EditError> {
        let layer = view.layer.id();
        let entry = Entry {
            seq: apply::next_revision(),
            at: crate::time::unix_now(),
            by: who.user.clone().unwrap_or_default(),
            op,
            id,
            before,
            after,
        };
        st.log.append(&entry)?;
        st.latest.insert(id, entry.after.clone());
        st.oldest.get_or_insert_with(std::time::Instant::now);
        let etag = entry.after.as_ref().map(|s| check::etag(layer, id, s));
        let event = audited::event(layer, &entry, etag.as_deref()).by(who);
        let feature = match &entry.after {
            Some(s) => Some(check::feature_of(&view.layer.schema, id, s)?),
            None => None,
        };
        self.mark_photos(&view.layer.def, &entry);
        let (entry_seq, entry_at) = (entry.seq, entry.at);
        st.entries.push(entry);
        if let Err(e) = self.inner.audit.record_blocking(event.clone()) {
            // The edit is on disk and stands; its row waits for the applier's retry (and
            // the log keeps the edit until it is written; a restart writes it too).
            tracing::error!(layer, id, error = %e, "cannot write an edit to the audit log");
            st.waiting.push(audited::Waiting {
                seq: entry_seq,
                at: entry_at,
                event,
            });
        }
        self.wake(layer);
        Ok(Saved { id, feature, etag })
    }

    /// Ties the photos an edit added to its record, and retires those it dropped (all of
    /// them for a delete). The edit stands if this fails: the sweep never removes a photo
    /// that a record names.
    fn mark_photos(&self, def: &LayerDef, entry: &Entry) {
        let ids = |s: &Option<State>| s.as_ref().map(|s| photo_ids(def, s)).unwrap_or_default();
        let (before, after) = (ids(&entry.before), ids(&entry.after));
        let added = after.difference(&before).cloned().collect();
        let dropped = before.difference(&after).cloned().collect();
        let photos = &self.inner.photos;
        let marked = photos
            .mark(&def.id, &added, entry.id, false)
            .and_then(|()| photos.mark(&def.id, &dropped, entry.id, true));
        if let Err(e) = marked {
            tracing::error!(layer = def.id, id = entry.id, error = %e, "cannot tie photos to their record");
        }
    }

    /// Applies every logged edit of every layer and folds them into store versions now
    /// (tests and benchmarks; the applier does the same in the background).
    pub fn flush(&self) -> Result<(), EditError> {
        for layer in self.inner.layer_ids() {
            apply::apply(&self.inner, &layer, apply::Mode::Fold)?;
        }
        Ok(())
    }

    /// Applies and folds one layer's logged edits into a store version now (before the
    /// layer is removed, so its last stored version holds every answered edit).
    pub fn fold(&self, layer: &str) -> Result<(), EditError> {
        apply::apply(&self.inner, layer, apply::Mode::Fold)
    }

    /// Edits logged but not yet folded into a store version, per layer.
    pub fn pending(&self) -> BTreeMap<String, usize> {
        self.inner
            .shared()
            .into_iter()
            .map(|(k, m)| (k, lock(&m).entries.len()))
            .collect()
    }
}

/// How long an uploaded photo waits for a record to take it before the sweep removes it.
pub const ORPHAN_PHOTOS_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The photo ids a state's photo fields name.
fn photo_ids(def: &LayerDef, s: &State) -> BTreeSet<String> {
    def.fields
        .iter()
        .filter(|(_, f)| f.photos)
        .filter_map(|(name, _)| s.properties.get(name))
        .flat_map(|v| {
            let list = match v {
                Json::String(text) => serde_json::from_str(text).unwrap_or(Json::Null),
                other => other.clone(),
            };
            list.as_array().map_or_else(Vec::new, |a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .collect()
}

/// The state of a layer still open (not removed meanwhile), locked.
fn open(m: &Mutex<LayerState>) -> Result<MutexGuard<'_, LayerState>, EditError> {
    let st = lock(m);
    if st.closed {
        Err(EditError::NotFound)
    } else {
        Ok(st)
    }
}

impl Inner {
    fn state(&self, layer: &str) -> Option<Shared> {
        self.states
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(layer)
            .map(Arc::clone)
    }

    /// Every open edit state, by layer.
    fn shared(&self) -> Vec<(String, Shared)> {
        self.states
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, m)| (k.clone(), Arc::clone(m)))
            .collect()
    }

    fn layer_ids(&self) -> Vec<String> {
        self.shared().into_iter().map(|(k, _)| k).collect()
    }

    /// Opens the edit log of `layer` when it is served and editable and its log is not
    /// open yet, and replays it on top of the served version.
    fn open(&self, layer: &str, mode: apply::Mode) -> Result<(), EditError> {
        let _opening = self.opening.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(slot) = self.layers.slot(layer).filter(|s| s.def.is_editable()) else {
            return Ok(());
        };
        if self.state(layer).is_some() {
            return Ok(());
        }
        let (log, entries) = log::EditLog::open(&self.dir, layer, self.writable)?;
        let max_id = slot
            .current()
            .and_then(|v| v.features.iter().map(|f| f.id).max())
            .unwrap_or(0);
        let latest: HashMap<u64, Option<State>> =
            entries.iter().map(|e| (e.id, e.after.clone())).collect();
        let next_id = entries.iter().map(|e| e.id).fold(max_id, u64::max) + 1;
        let mut waiting = Vec::new();
        if self.writable {
            let etag = |e: &Entry| e.after.as_ref().map(|s| check::etag(layer, e.id, s));
            audited::recover(&self.audit, layer, &entries, &etag, &mut waiting);
        }
        let state = LayerState {
            oldest: (!entries.is_empty()).then(std::time::Instant::now),
            log,
            entries,
            applied: 0,
            served: Weak::new(),
            latest,
            next_id,
            waiting,
            closed: false,
        };
        self.states
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(layer.to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(state)));
        apply::apply(self, layer, mode)
    }

    /// Closes the edit log of a layer that left the set. Edits waiting for its state are
    /// refused (404). An empty log is deleted; one still holding edits (none when the
    /// layer was folded before its removal, as `DELETE /api/admin/layers` does) is kept and
    /// replayed if the layer is created again.
    fn close(&self, layer: &str) {
        let Some(m) = self
            .states
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(layer)
        else {
            return;
        };
        let mut st = lock(&m);
        st.closed = true;
        if st.entries.is_empty() && self.writable {
            if let Err(e) = st.log.remove() {
                tracing::warn!(layer, error = %e, "cannot remove the empty edit log of a removed layer");
            }
        } else if !st.entries.is_empty() {
            tracing::warn!(
                layer,
                edits = st.entries.len(),
                "a removed layer's edit log keeps edits not folded into a version; they are replayed if it is created again"
            );
        }
    }

    /// Opens or closes the edit log of a layer that joined or left the set.
    fn follow(&self, layer: &str) {
        if self.layers.def(layer).is_some() {
            if let Err(e) = self.open(layer, apply::Mode::Apply) {
                tracing::error!(layer, error = %e, "cannot open the edit log of a new layer");
            }
        } else {
            self.close(layer);
        }
    }

    fn sweep_photos(&self, older_than: std::time::Duration) -> usize {
        let mut removed = 0;
        for (layer, m) in &self.shared() {
            // Under the layer's edit lock: no edit checks and takes a photo meanwhile.
            let st = lock(m);
            let Some(def) = self.layers.slot(layer).map(|s| Arc::clone(&s.def)) else {
                continue;
            };
            let mut named: BTreeSet<String> = st
                .latest
                .values()
                .flatten()
                .flat_map(|s| photo_ids(&def, s))
                .collect();
            if let Some(v) = self.layers.get(layer) {
                for f in &v.features {
                    named.extend(photo_ids(&def, &check::state_of(&v.schema, f)));
                }
            }
            removed += self
                .photos
                .sweep(layer, &|id| named.contains(id), older_than);
            drop(st);
        }
        if removed > 0 {
            tracing::info!(removed, "removed photos that no record took");
        }
        removed
    }
}

/// Today in Japan (UTC+9), `YYYY-MM-DD`.
fn today() -> String {
    crate::time::rfc3339(crate::time::unix_now() + 9 * 3600)[..10].to_owned()
}

fn visible_properties(view: &LayerView, s: &State) -> serde_json::Map<String, Json> {
    s.properties
        .iter()
        .filter(|(k, _)| view.shows(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One version of a feature in its history, as the caller may see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryRow {
    pub at: String,
    pub by: Option<String>,
    pub op: String,
    pub etag: Option<String>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// A feature's history from the audit rows of its layer's edits (newest first), with only
/// the attributes the view shows.
pub fn history(view: &LayerView, id: u64, rows: &[AuditEntry]) -> Vec<HistoryRow> {
    let shown = |s: &Json| -> Option<Json> {
        let s: State = serde_json::from_value(s.clone()).ok()?;
        Some(json!({ "geometry": s.geometry, "properties": visible_properties(view, &s) }))
    };
    rows.iter()
        .filter(|r| r.detail["id"].as_u64() == Some(id))
        .map(|r| HistoryRow {
            at: crate::time::rfc3339(r.at),
            by: r.user.clone(),
            op: r.detail["op"].as_str().unwrap_or_default().to_owned(),
            etag: r.detail["etag"].as_str().map(str::to_owned),
            before: shown(&r.detail["before"]),
            after: shown(&r.detail["after"]),
        })
        .collect()
}
