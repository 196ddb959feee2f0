//! The manifest of a push and its signed envelope.
//!
//! `manifest.json` is one JSON object `{"payload": "<the manifest as JSON text>",
//! "signature": "<hex>"}`: the Ed25519 signature covers the payload's exact bytes, and the
//! whole envelope is one file (one rename, one PUT), so a reader sees an old or a new
//! manifest, never a new manifest with an old signature.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::catalog::{FieldDef, Geometries, I18n, TileOptions, ZoomRange};

/// The format name written into every manifest.
pub const FORMAT: &str = "kashimap-public-push/1";
/// The manifest's path inside a target.
pub const MANIFEST: &str = "manifest.json";

/// One file of a push: its path inside the target, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What a replica needs of a layer definition to serve its public view: no access rules,
/// no department, and only the attributes the public sees (`visible`: `None` means all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicDef {
    pub id: String,
    pub title: I18n,
    pub description: Option<I18n>,
    pub geometry: Geometries,
    pub zoom: ZoomRange,
    pub attribution: String,
    pub sample: bool,
    pub searchable: Vec<String>,
    pub label: Option<String>,
    pub near_m: f64,
    pub fields: BTreeMap<String, FieldDef>,
    pub tiles: TileOptions,
    pub visible: Option<Vec<String>>,
}

/// One layer of a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerEntry {
    pub def: PublicDef,
    pub version: u64,
    pub features: usize,
    /// The public view as FlatGeobuf (visible attributes, admitted rows, file order).
    pub data: FileRef,
    /// The features' ids (little-endian u64) when they are not `1..=n`, i.e. when a row
    /// filter left some out: OGC item ids stay the primary's.
    pub ids: Option<FileRef>,
    /// The layer's TileJSON with relative tile URLs (for static hosting and inspection).
    pub tilejson: FileRef,
}

/// The manifest of one push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// Grows by one with every push from the primary; a replica refuses an older one.
    pub sequence: u64,
    /// RFC 3339 time of the push.
    pub created: String,
    /// The first 16 hex digits of the SHA-256 of the signing key's public half.
    pub key_id: String,
    pub layers: Vec<LayerEntry>,
    /// Public styles by name (`public` for `/styles/public.json`).
    pub styles: BTreeMap<String, FileRef>,
}

impl Manifest {
    /// Every file the manifest names.
    pub fn files(&self) -> impl Iterator<Item = &FileRef> {
        self.layers
            .iter()
            .flat_map(|l| [Some(&l.data), l.ids.as_ref(), Some(&l.tilejson)])
            .flatten()
            .chain(self.styles.values())
    }

    /// The signed envelope's bytes.
    pub fn sign(&self, key: &SigningKey) -> Vec<u8> {
        let payload = serde_json::to_string(self).unwrap_or_default();
        let signature = hex::encode(key.sign(payload.as_bytes()).to_bytes());
        serde_json::to_vec_pretty(&Envelope { payload, signature }).unwrap_or_default()
    }
}

/// The signed form of a manifest, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub payload: String,
    pub signature: String,
}

/// Why a replica refused a manifest (it keeps serving what it had).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("not a signed manifest (truncated, or not JSON of the push format): {0}")]
    Malformed(String),
    #[error(
        "the signature does not verify with the replica's public key (unsigned, altered, or signed by another key)"
    )]
    BadSignature,
    #[error("format `{0}` is not {FORMAT}")]
    Format(String),
    #[error("sequence {got} is not newer than {have}, the one served (a replay)")]
    Replay { got: u64, have: u64 },
    #[error("file {path}: {message}")]
    File { path: String, message: String },
    #[error("layer `{layer}`: {message}")]
    Layer { layer: String, message: String },
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The key id of a public key.
pub fn key_id(key: &VerifyingKey) -> String {
    sha256_hex(key.as_bytes())[..16].to_owned()
}

/// Opens a signed envelope: parses it, verifies the signature over the payload's bytes and
/// reads the manifest. Nothing in the payload is looked at before the signature verifies.
pub fn open(bytes: &[u8], key: &VerifyingKey) -> Result<Manifest, Refusal> {
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let sig: [u8; 64] = hex::decode(&env.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Refusal::BadSignature)?;
    key.verify(env.payload.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| Refusal::BadSignature)?;
    let m: Manifest =
        serde_json::from_str(&env.payload).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if m.format != FORMAT {
        return Err(Refusal::Format(m.format));
    }
    Ok(m)
}

/// Checks a file's bytes against its reference.
pub fn check_file(file: &FileRef, bytes: &[u8]) -> Result<(), Refusal> {
    let wrong = |message: String| Refusal::File {
        path: file.path.clone(),
        message,
    };
    if bytes.len() as u64 != file.size {
        return Err(wrong(format!(
            "{} bytes, the manifest says {}",
            bytes.len(),
            file.size
        )));
    }
    let sum = sha256_hex(bytes);
    if sum != file.sha256 {
        return Err(wrong(format!(
            "SHA-256 {sum}, the manifest says {}",
            file.sha256
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            sequence: 7,
            created: "2026-12-03T00:00:00Z".into(),
            key_id: String::new(),
            layers: Vec::new(),
            styles: BTreeMap::new(),
        }
    }

    #[test]
    fn a_signed_manifest_opens_only_with_its_key() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let bytes = manifest().sign(&key);
        assert_eq!(open(&bytes, &key.verifying_key()).unwrap(), manifest());
        assert_eq!(
            open(&bytes, &other.verifying_key()),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn altered_truncated_and_unsigned_manifests_are_refused() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let vk = key.verifying_key();
        let bytes = manifest().sign(&key);
        let altered = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\\\"sequence\\\":7", "\\\"sequence\\\":9");
        assert_ne!(altered.as_bytes(), &bytes[..]);
        assert_eq!(open(altered.as_bytes(), &vk), Err(Refusal::BadSignature));
        assert!(matches!(
            open(&bytes[..bytes.len() / 2], &vk),
            Err(Refusal::Malformed(_))
        ));
        let unsigned = serde_json::to_vec(&manifest()).unwrap();
        assert!(matches!(open(&unsigned, &vk), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn a_file_must_match_its_size_and_checksum() {
        let f = FileRef {
            path: "objects/x".into(),
            size: 3,
            sha256: sha256_hex(b"abc"),
        };
        assert!(check_file(&f, b"abc").is_ok());
        assert!(
            check_file(&f, b"abd")
                .unwrap_err()
                .to_string()
                .contains("SHA-256")
        );
        assert!(
            check_file(&f, b"ab")
                .unwrap_err()
                .to_string()
                .contains("2 bytes")
        );
    }
}
