//! The public push: the primary writes the *public view* of every layer — what the anonymous
//! principal may see, decided by `access::decide` like every other output — to a push target
//! (a folder or an S3-compatible bucket), with a manifest signed by an Ed25519 key that only
//! the primary holds. A public replica (`replica`) serves from such a target.
//!
//! Files are content-addressed (`objects/<sha256>.<ext>`) and written before the manifest, so
//! a reader never sees a manifest whose files are missing. The manifest lists every file with
//! its size and SHA-256, and carries a sequence number that only grows, so a replica can
//! refuse a replayed older manifest. See docs/deployment.md.

mod keys;
mod manifest;
mod s3;
mod snapshot;
mod target;
mod worker;

pub use keys::{KeyError, keygen, read_signing_key, read_verifying_key};
pub use manifest::{
    Envelope, FORMAT, FileRef, LayerEntry, MANIFEST, Manifest, PublicDef, Refusal, check_file,
    key_id, open, sha256_hex,
};
pub use snapshot::{Snapshot, build as snapshot};
pub use target::{FileTarget, Target, open as open_target};
pub use worker::{PushStats, Pusher};

/// Why a push (or reading a push target) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    #[error("push target `{url}`: {message}")]
    Url { url: String, message: String },
    #[error("push target {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("push target {0}")]
    S3(#[from] crate::s3::S3Error),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("layer `{layer}`: {message}")]
    Layer { layer: String, message: String },
    #[error("style {name}: {message}")]
    Style { name: String, message: String },
}

impl PushError {
    pub(crate) fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
