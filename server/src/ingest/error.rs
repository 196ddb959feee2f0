use std::path::{Path, PathBuf};

use super::report::{Msg, Where, msg};

/// Why an upload could not be read at all. (Problems found while reading go in the
/// [`Report`](super::Report) instead.) Every variant says what and where in both languages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Not a format we read.
    #[error("{}", .message.en)]
    Unsupported { message: Msg },
    /// The file is damaged or not what it claims to be.
    #[error("{}{}", .message.en, .at.describe())]
    Malformed { message: Msg, at: Box<Where> },
    /// The coordinate system is missing, unknown or not accepted.
    #[error("{}", .message.en)]
    Crs { message: Msg },
    /// The file holds several layers and `source_layer` must choose one.
    #[error("{}: {}", .message.en, .options.join(", "))]
    Choose { message: Msg, options: Vec<String> },
    /// An option of the request is invalid.
    #[error("{}", .message.en)]
    Option { message: Msg, option: &'static str },
    /// Over a size limit (upload size, uncompressed size, compression ratio).
    #[error("{}", .message.en)]
    TooLarge { message: Msg },
    /// The client went away; the conversion stopped and nothing was kept.
    #[error("the upload was cancelled: the client went away")]
    Cancelled,
    /// The disk filled up; nothing was changed.
    #[error("the disk is full while writing {path}; nothing was changed")]
    DiskFull { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl IngestError {
    /// An I/O error at a path; a full disk becomes [`IngestError::DiskFull`].
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(libc::ENOSPC) {
            Self::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            Self::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    pub fn malformed(at: Where, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Malformed {
            message: msg(ja, en),
            at: Box::new(at),
        }
    }

    /// The bilingual message for a client.
    pub fn message(&self) -> Msg {
        match self {
            Self::Unsupported { message }
            | Self::Malformed { message, .. }
            | Self::Crs { message }
            | Self::Choose { message, .. }
            | Self::Option { message, .. }
            | Self::TooLarge { message } => message.clone(),
            Self::DiskFull { .. } => msg(
                "サーバーのディスクが一杯です。現在の版はそのまま公開されています。管理者に連絡してください。",
                "the server's disk is full; the current version keeps serving. Contact the administrator.",
            ),
            Self::Cancelled => msg(
                "アップロードは取り消されました（接続が切れました）",
                "the upload was cancelled: the connection closed",
            ),
            Self::Io { .. } => msg(
                "ファイルの読み書きでエラーが発生しました",
                "an input/output error occurred",
            ),
        }
    }
}
