//! Layers created and removed at run time by an administrator.
//!
//! A definition arrives as JSON of the same shape as a layer file and is validated by the
//! same code (`LayerDef::from_toml`: unknown keys and field types are refused, naming the
//! key). It is written as `<catalog>/<id>.toml` (the store folder's `catalog/`, shared by
//! the primaries on that store), so a restart and `kashimap check` read it back like any
//! layer file, and served at once: its first version (the stored one when the layer existed
//! before, else an empty one of the declared fields) is built before the layer joins the
//! set, in one swap. Removing a layer stops serving it and moves its file to
//! `catalog/removed/`; its stored versions stay, so creating it again serves them.
//!
//! The listeners told of a definition (`Publisher::on_define`) hear every change of the
//! set: the edit module opens an editable layer's edit log there. Another primary on the
//! same store hears of the change (peers) and [`follow_definition`] makes it serve what the
//! shared catalog now holds.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

use serde_json::Value;

use super::{PublishError, Publisher, record};
use crate::access::{AuditEvent, AuditKind};
use crate::catalog::{self, CatalogError, LayerDef};
use crate::ingest::IngestError;
use crate::layer::{self, Cores, LayerVersion};

/// Keys a created layer may not use: it has no sample file on the server.
const NOT_AT_RUN_TIME: &[(&str, &str)] = &[(
    "source",
    "a layer created at run time has no sample file: upload its first version",
)];

/// Validates `definition`, stores it and serves the layer. Returns its definition and the
/// version it is served with (0 when it has no data yet).
pub fn create_layer(
    p: &Publisher,
    who: &str,
    definition: &Value,
) -> Result<(Arc<LayerDef>, u64), PublishError> {
    let _serial = p.defining.lock().unwrap_or_else(PoisonError::into_inner);
    let (def, text) = parse(p, definition)?;
    if p.layers.def(&def.id).is_some() {
        return Err(PublishError::LayerExists { layer: def.id });
    }
    mirror_definition(&*p.store, &p.settings.created_dir, &def.id)?;
    if def.file.exists() {
        // Another primary on the same store created it a moment ago.
        return Err(PublishError::LayerExists { layer: def.id });
    }
    let def = Arc::new(def);
    let version = first_version(p, &def)?;
    let number = version.version();
    let dir = &p.settings.created_dir;
    fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
    p.store.put_definition(&def.id, Some(text.as_bytes()))?;
    record::write_atomically(&def.file, text.as_bytes())?;
    if let Err(e) = p.layers.add(Arc::clone(&def), Arc::new(version)) {
        let _ = fs::remove_file(&def.file);
        let _ = p.store.put_definition(&def.id, None);
        return Err(PublishError::LayerExists { layer: e.0 });
    }
    audit(
        p,
        who,
        &def.id,
        serde_json::json!({ "action": "layer.created", "version": number, "definition": definition }),
    );
    p.defined(&def.id);
    p.changed(&def.id);
    Ok((def, number))
}

/// Stops serving a layer created at run time. Its versions stay in the store.
pub fn remove_layer(p: &Publisher, who: &str, id: &str) -> Result<(), PublishError> {
    let _serial = p.defining.lock().unwrap_or_else(PoisonError::into_inner);
    let def = p.def(id)?;
    if !is_created(p, &def) {
        return Err(PublishError::NotCreated {
            layer: id.to_owned(),
            file: def.file.clone(),
        });
    }
    let lock = p.locks.lock_for(id);
    let Some(guard) = lock_within(&lock, REMOVE_WAITS) else {
        return Err(PublishError::Busy {
            layer: id.to_owned(),
        });
    };
    let removed = p.settings.created_dir.join("removed");
    p.store.put_definition(id, None)?;
    move_file(&def.file, &removed, &format!("{id}.toml"))?;
    stop_serving(p, id);
    // The listeners take the layer's lock themselves (the edit module folds under it).
    drop(guard);
    let version = p.store.current(id).ok().flatten();
    audit(
        p,
        who,
        id,
        serde_json::json!({ "action": "layer.removed", "kept_version": version }),
    );
    p.defined(id);
    p.changed(id);
    Ok(())
}

/// How long a removal waits for the layer's lock: long enough for the edit applier's
/// brief holds (a build of a record layer), not for an upload's conversion or a publish,
/// which answer `409` busy instead.
const REMOVE_WAITS: std::time::Duration = std::time::Duration::from_secs(3);

fn lock_within(
    lock: &std::sync::Mutex<()>,
    wait: std::time::Duration,
) -> Option<std::sync::MutexGuard<'_, ()>> {
    let until = std::time::Instant::now() + wait;
    loop {
        match lock.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        }
    }
}

fn stop_serving(p: &Publisher, id: &str) {
    if let Some(old) = p.layers.remove(id).and_then(|slot| slot.clear()) {
        layer::retire(old);
    }
}

/// What following the shared catalog did to one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// Now served, at this version (0: no data yet).
    Added(u64),
    Removed,
}

/// Makes this process serve what the shared catalog says of `id`, after another primary
/// created or removed it: a definition there that is not served is loaded (its first
/// version built before it joins the set) and served; a created layer served here whose
/// file is gone stops being served. Layers of `layers/*.toml` are never touched. Nothing is
/// announced (the primary that made the change did).
pub fn follow_definition(p: &Publisher, id: &str) -> Result<Option<Followed>, PublishError> {
    let _serial = p.defining.lock().unwrap_or_else(PoisonError::into_inner);
    mirror_definition(&*p.store, &p.settings.created_dir, id)?;
    let file = p
        .settings
        .created_dir
        .join(format!("{}.toml", file_stem(id)));
    let served = p.layers.def(id);
    let followed = match (served, file.is_file()) {
        (None, true) => {
            let text = fs::read_to_string(&file).map_err(|e| IngestError::io(&file, e))?;
            let def = LayerDef::from_toml(&text, &file, Path::new("/"))
                .map_err(PublishError::Definition)?;
            if def.id != id {
                return Ok(None);
            }
            let def = Arc::new(def);
            let version = first_version(p, &def)?;
            let number = version.version();
            if p.layers.add(def, Arc::new(version)).is_err() {
                return Ok(None);
            }
            Some(Followed::Added(number))
        }
        (Some(def), false) if is_created(p, &def) => {
            let lock = p.locks.lock_for(id);
            let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            stop_serving(p, id);
            drop(guard);
            Some(Followed::Removed)
        }
        _ => None,
    };
    if followed.is_some() {
        p.defined(id);
    }
    Ok(followed)
}

/// Every layer the shared catalog holds or this process serves as created: after a
/// reconnect, each is followed once ([`follow_definition`]).
pub fn created_ids(p: &Publisher) -> Vec<String> {
    let dir = &p.settings.created_dir;
    let mut ids: std::collections::BTreeSet<String> = fs::read_dir(dir)
        .map(|read| {
            read.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .filter_map(|f| Some(f.file_stem()?.to_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    ids.extend(p.store.definition_ids().unwrap_or_default());
    ids.extend(
        p.layers
            .catalog()
            .layers()
            .iter()
            .filter(|d| is_created(p, d))
            .map(|d| d.id.clone()),
    );
    ids.into_iter().collect()
}

/// The definition, validated as a layer file, and the text of that file.
fn parse(p: &Publisher, definition: &Value) -> Result<(LayerDef, String), PublishError> {
    let invalid = |key: &str, message: &str| {
        PublishError::Definition(vec![CatalogError::Invalid {
            file: PathBuf::from("(request body)"),
            key: key.to_owned(),
            message: message.to_owned(),
        }])
    };
    let Some(object) = definition.as_object() else {
        return Err(invalid("", "the definition must be a JSON object"));
    };
    if let Some((key, why)) = NOT_AT_RUN_TIME
        .iter()
        .find(|(k, _)| object.contains_key(*k))
    {
        return Err(invalid(key, why));
    }
    check_field_types(object).map_err(PublishError::Definition)?;
    let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
    let file = p
        .settings
        .created_dir
        .join(format!("{}.toml", file_stem(id)));
    let text = toml::to_string(definition)
        .map_err(|e| invalid("", &format!("cannot be written as a layer file: {e}")))?;
    let def =
        LayerDef::from_toml(&text, &file, Path::new("/")).map_err(PublishError::Definition)?;
    catalog::check_schema(&def, &def.declared_schema()).map_err(PublishError::Definition)?;
    Ok((def, text))
}

/// Each `fields.<name>.type` names a known type (caught here to name the key; the layer
/// file's parser would only quote the line).
fn check_field_types(object: &serde_json::Map<String, Value>) -> Result<(), Vec<CatalogError>> {
    let Some(fields) = object.get("fields").and_then(Value::as_object) else {
        return Ok(());
    };
    let errors: Vec<CatalogError> = fields
        .iter()
        .filter_map(|(name, f)| Some((name, f.get("type")?)))
        .filter(|(_, t)| serde_json::from_value::<crate::model::FieldType>((*t).clone()).is_err())
        .map(|(name, t)| CatalogError::Invalid {
            file: PathBuf::from("(request body)"),
            key: format!("fields.{name}.type"),
            message: format!("{t} is not a field type: use bool, int, float, string, date or json"),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Makes the local catalog (`dir`) hold what a store that keeps definitions (a bucket) holds
/// for `id`: its text written there, or the local file moved to `removed/` when the store has
/// none. Nothing for a folder store, whose catalog is the shared folder itself.
pub fn mirror_definition(
    store: &dyn crate::store::VersionStore,
    dir: &Path,
    id: &str,
) -> Result<(), PublishError> {
    if !store.keeps_definitions() {
        return Ok(());
    }
    let name = format!("{}.toml", file_stem(id));
    let file = dir.join(&name);
    match store.definition(id)? {
        Some(text) if fs::read(&file).ok().as_deref() != Some(text.as_slice()) => {
            fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
            record::write_atomically(&file, &text)?;
        }
        None if file.is_file() => move_file(&file, &dir.join("removed"), &name)?,
        _ => {}
    }
    Ok(())
}

/// [`mirror_definition`] of every layer the store or the local catalog defines (at start,
/// before the catalog is read).
pub fn mirror_definitions(
    store: &dyn crate::store::VersionStore,
    dir: &Path,
) -> Result<(), PublishError> {
    if !store.keeps_definitions() {
        return Ok(());
    }
    let mut ids: std::collections::BTreeSet<String> = store.definition_ids()?.into_iter().collect();
    if let Ok(read) = fs::read_dir(dir) {
        ids.extend(
            read.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .filter_map(|f| Some(f.file_stem()?.to_str()?.to_owned())),
        );
    }
    ids.iter()
        .try_for_each(|id| mirror_definition(store, dir, id))
}

/// A safe file name for any id (an invalid id is refused by validation anyway).
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The stored current version when the layer existed before (its data kept for re-adding),
/// else an empty version of the declared fields.
fn first_version(p: &Publisher, def: &Arc<LayerDef>) -> Result<LayerVersion, PublishError> {
    let loaded = match p.store.current(&def.id)? {
        Some(v) => layer::load(&*p.store, def, v, Cores::All).map_err(|e| (v, e)),
        None => super::start::empty(def).map_err(|e| (0, e)),
    };
    loaded.map_err(|(version, e)| PublishError::Load {
        layer: def.id.clone(),
        version,
        source: Box::new(e),
    })
}

/// Moves `file` into `dir` as `name`, durably (replacing an older removed copy).
fn move_file(file: &Path, dir: &Path, name: &str) -> Result<(), PublishError> {
    let io = |path: &Path, e: std::io::Error| PublishError::from(IngestError::io(path, e));
    fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let to = dir.join(name);
    fs::rename(file, &to).map_err(|e| io(file, e))?;
    for d in [dir, file.parent().unwrap_or(dir)] {
        fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(d, e))?;
    }
    Ok(())
}

fn audit(p: &Publisher, who: &str, layer: &str, detail: Value) {
    let action = detail["action"].as_str().unwrap_or_default();
    tracing::info!(target: "audit", action, user = who, layer, "{action}");
    let event = AuditEvent::new(AuditKind::Layer)
        .user(who)
        .layer(layer)
        .detail(detail);
    if let Err(e) = p.audit.record_blocking(event) {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}

/// The definitions of removed layers (`catalog/removed/*.toml`) as JSON, newest first, so
/// an administrator can create one again (its stored versions are served again).
pub fn removed_layers(p: &Publisher) -> Vec<Value> {
    let dir = p.settings.created_dir.join("removed");
    let Ok(read) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, Value)> = read
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .filter_map(|e| {
            let text = fs::read_to_string(e.path()).ok()?;
            let when = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((when, toml::from_str::<Value>(&text).ok()?))
        })
        .filter(|(_, v)| {
            v["id"]
                .as_str()
                .is_some_and(|id| p.layers.def(id).is_none())
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, v)| v).collect()
}

/// True for a layer an administrator created at run time (and so may remove).
pub fn is_created(p: &Publisher, def: &LayerDef) -> bool {
    def.file.starts_with(&p.settings.created_dir)
}
