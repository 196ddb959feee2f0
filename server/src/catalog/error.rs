use std::path::PathBuf;

/// A problem in a layer file. Each names the file and the key, and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{dir}: no layer files (*.toml) found")]
    Empty { dir: PathBuf },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: key `{key}`: {message}")]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
    #[error("{file}: key `source`: file {path} does not exist")]
    MissingSource { file: PathBuf, path: PathBuf },
    #[error("{file}: key `id`: layer id `{id}` is already used by {first}")]
    DuplicateId {
        file: PathBuf,
        id: String,
        first: PathBuf,
    },
    #[error(
        "{file}: key `{key}`: attribute `{attribute}` is not in the layer's data (it has: {})",
        available.join(", ")
    )]
    UnknownAttribute {
        file: PathBuf,
        key: String,
        attribute: String,
        available: Vec<String>,
    },
}

impl CatalogError {
    /// The key at fault, when known, and what is wrong with it, without the file's name (for
    /// a definition sent over the API, which has no file yet).
    pub fn key_and_message(&self) -> (Option<String>, String) {
        match self {
            Self::Invalid { key, message, .. } => (Some(key.clone()), message.clone()),
            Self::UnknownAttribute {
                key,
                attribute,
                available,
                ..
            } => (
                Some(key.clone()),
                format!(
                    "attribute `{attribute}` is not one of the layer's fields ({})",
                    available.join(", ")
                ),
            ),
            Self::Syntax { message, .. } => (unknown_key(message), without_excerpt(message)),
            Self::MissingSource { path, .. } => (
                Some("source".into()),
                format!("file {} does not exist", path.display()),
            ),
            Self::DuplicateId { id, .. } => (Some("id".into()), format!("`{id}` is already used")),
            other => (None, other.to_string()),
        }
    }
}

/// The parser's message without its excerpt of the file (whose line numbers mean nothing
/// for a definition sent as JSON).
fn without_excerpt(message: &str) -> String {
    message
        .rsplit_once('^')
        .map_or(message, |(_, m)| m)
        .trim()
        .to_owned()
}

/// The key serde names in "unknown field `x`".
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}
