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
