//! Server configuration: `kashimap.toml` (optional), then environment, then flags.
//!
//! Every field has a documented default, unknown keys are errors, and [`Config::validate`]
//! runs before the server starts. See `docs/configuration.md`.

use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A configuration problem; names the file or setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("setting `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// The whole server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on. Default `127.0.0.1:8080`. Env `KASHIMAP_ADDR`.
    pub addr: SocketAddr,
    /// The store folder: layer versions and the database. Default `./var`. Env
    /// `KASHIMAP_DATA_DIR`. Not the sample data in `data/`.
    pub data_dir: PathBuf,
    /// Where layer versions are stored, when not in the data folder: `file:///folder` or
    /// `s3://bucket/prefix[?endpoint=URL]` (docs/deployment.md). Default: none (the data
    /// folder's `layers/`). Env `KASHIMAP_STORE`, flag `--store`.
    pub store: Option<String>,
    /// Where the layer files (`*.toml`) are. Default `./layers`.
    pub layers_dir: PathBuf,
    /// The directory layer `source` paths are relative to. Default `.`.
    pub root: PathBuf,
    /// MapLibre styles served at `/styles/{name}.json`. Default `./styles`.
    pub styles_dir: PathBuf,
    /// The built viewer (served at `/` and `/staff`). Default `./web/dist`.
    pub web_dir: PathBuf,
    /// External base URL (e.g. `https://map.city.kashima.lg.jp`) used in links; default:
    /// taken from each request's `Host` header.
    pub public_url: Option<String>,
    /// Old layer versions kept for rollback. Default 10.
    pub keep_versions: NonZeroUsize,
    /// Tile cache size in MiB; 0 disables the cache. Default 256.
    pub tile_cache_mb: u64,
    /// `Cache-Control: max-age` for public tiles and documents, seconds. Default 300.
    pub public_max_age: u64,
    /// Request limits.
    pub limits: Limits,
    /// Mark cookies `Secure` (set when TLS terminates in front of the server). Default false.
    pub secure_cookies: bool,
    /// Sign-in, sessions, lockout and the audit log (`[auth]`).
    pub auth: AuthConfig,
    /// Uploads (`[ingest]`).
    pub ingest: IngestConfig,
    /// The LINE official account's webhook (`[line]`; secrets from the environment only).
    pub line: LineConfig,
    /// Where the public view of every layer is pushed after each publish, rollback and
    /// start (`file:///folder` or `s3://bucket/prefix`); see docs/deployment.md. Default:
    /// none. Needs `push_key`.
    pub public_push: Option<String>,
    /// The Ed25519 private key that signs pushes (`kashimap keygen`). Default: none.
    pub push_key: Option<PathBuf>,
    /// Serve as a public replica of this push target instead of a store. Default: none.
    pub replica_of: Option<String>,
    /// The primary's public key (`PREFIX.pub`) a replica checks manifests with.
    pub replica_key: Option<PathBuf>,
    /// Seconds between a replica's polls of its push target. Default 5.
    pub replica_poll_secs: NonZeroU64,
    /// The identity database (users, sessions, tokens, grants, audit log):
    /// `postgres://user@host:port/database` to share one between primaries. Default: none,
    /// the SQLite file `kashimap.sqlite3` in the data folder. Env `KASHIMAP_DATABASE`.
    pub database: Option<String>,
}

/// The LINE webhook (`POST /integrations/line/webhook`, `server/src/line.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineConfig {
    /// The channel secret the signatures are checked with. Env
    /// `KASHIMAP_LINE_CHANNEL_SECRET` only (never in a file); unset: the route is a 404.
    #[serde(skip)]
    pub channel_secret: Option<String>,
    /// The channel access token replies are sent with. Env `KASHIMAP_LINE_CHANNEL_TOKEN`.
    #[serde(skip)]
    pub channel_token: Option<String>,
    /// Base URL of LINE's API. Default `https://api.line.me`. Env `KASHIMAP_LINE_API_BASE`.
    pub api_base: String,
    /// The hazard whose designated shelters a location gets, e.g. `flood` while a typhoon
    /// passes; unset: the hazard at that location (flood area, then landslide zone), else
    /// the nearest shelters of any kind. Env `KASHIMAP_LINE_HAZARD`.
    pub hazard: Option<String>,
    /// Time limit of the reply call to LINE, seconds. Default 10.
    pub reply_timeout_secs: NonZeroU64,
}

impl Default for LineConfig {
    fn default() -> Self {
        Self {
            channel_secret: None,
            channel_token: None,
            api_base: "https://api.line.me".to_owned(),
            hazard: None,
            reply_timeout_secs: NonZeroU64::new(10).unwrap_or(NonZeroU64::MIN),
        }
    }
}

impl LineConfig {
    /// Takes the secret, the token, the API base and the hazard from the environment
    /// (empty values count as unset).
    pub fn read_env(&mut self) {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = var("KASHIMAP_LINE_CHANNEL_SECRET") {
            self.channel_secret = Some(v);
        }
        if let Some(v) = var("KASHIMAP_LINE_CHANNEL_TOKEN") {
            self.channel_token = Some(v);
        }
        if let Some(v) = var("KASHIMAP_LINE_API_BASE") {
            v.trim_end_matches('/').clone_into(&mut self.api_base);
        }
        if let Some(v) = var("KASHIMAP_LINE_HAZARD") {
            self.hazard = Some(v);
        }
    }
}

/// Upload settings (`[ingest]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Hours a staged upload waits for its publish before it expires. Default 24.
    pub staging_ttl_hours: NonZeroU64,
    /// Most bytes a zip may expand to, in MiB. Default 4096.
    pub max_uncompressed_mb: NonZeroU64,
    /// Highest compression ratio of a zip entry over 1 MiB. Default 200.
    pub max_zip_ratio: NonZeroU64,
    /// Warn when an upload lies farther than this from the current version, km. Default 20.
    pub far_warning_km: f64,
    /// Time limit of an upload request (transfer and validation), seconds. Default 1800.
    pub upload_timeout_secs: NonZeroU64,
    /// Time limit of one conversion (after the transfer), seconds. Default 600.
    pub max_conversion_secs: NonZeroU64,
    /// Most features in one upload. Default 5000000.
    pub max_features: NonZeroU64,
    /// Most attribute columns in one upload. Default 1000.
    pub max_columns: NonZeroUsize,
    /// Most vertices in one geometry. Default 5000000.
    pub max_vertices: NonZeroUsize,
    /// Largest single attribute value (text, or a blob as hex), KiB. Default 1024.
    pub max_value_kb: NonZeroU64,
    /// Most bytes one conversion may write to its staging folder (zip entries and
    /// converted features), MiB. Default 4096.
    pub max_written_mb: NonZeroU64,
    /// Most bytes all conversions together may have unpacked from zips at once, MiB.
    /// Default 8192.
    pub max_inflating_mb: NonZeroU64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            staging_ttl_hours: NonZeroU64::new(24).unwrap_or(NonZeroU64::MIN),
            max_uncompressed_mb: NonZeroU64::new(4096).unwrap_or(NonZeroU64::MIN),
            max_zip_ratio: NonZeroU64::new(200).unwrap_or(NonZeroU64::MIN),
            far_warning_km: 20.0,
            upload_timeout_secs: NonZeroU64::new(1800).unwrap_or(NonZeroU64::MIN),
            max_conversion_secs: NonZeroU64::new(600).unwrap_or(NonZeroU64::MIN),
            max_features: NonZeroU64::new(5_000_000).unwrap_or(NonZeroU64::MIN),
            max_columns: NonZeroUsize::new(1000).unwrap_or(NonZeroUsize::MIN),
            max_vertices: NonZeroUsize::new(5_000_000).unwrap_or(NonZeroUsize::MIN),
            max_value_kb: NonZeroU64::new(1024).unwrap_or(NonZeroU64::MIN),
            max_written_mb: NonZeroU64::new(4096).unwrap_or(NonZeroU64::MIN),
            max_inflating_mb: NonZeroU64::new(8192).unwrap_or(NonZeroU64::MIN),
        }
    }
}

/// Sign-in, sessions and audit settings (`[auth]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A session ends this long after sign-in, however active. Default 12 hours.
    pub session_hours: NonZeroU64,
    /// A session ends after this long without a request. Default 30 minutes.
    pub idle_minutes: NonZeroU64,
    /// Failed sign-ins for one user name before it is locked. Default 5.
    pub max_failures_per_user: NonZeroU32,
    /// Failed sign-ins from one client address before it is locked. Higher than the
    /// per-user limit because a whole city hall may share one address. Default 20.
    pub max_failures_per_client: NonZeroU32,
    /// How long a lockout lasts, and the window failures are counted in. Default 15 minutes.
    pub lockout_minutes: NonZeroU64,
    /// Longest approved access grant (決裁), days. Default 90.
    pub max_grant_days: NonZeroU32,
    /// Audit rows older than this are pruned daily. At least 30. Default 1825 (5 years).
    pub audit_retention_days: NonZeroU32,
    /// Seconds between writes of the aggregated layer-view counters. Default 300.
    pub audit_flush_secs: NonZeroU64,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a
    /// reverse proxy that sets it). Default false.
    pub trust_forwarded_for: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let u64 = |n| NonZeroU64::new(n).unwrap_or(NonZeroU64::MIN);
        let u32 = |n| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            session_hours: u64(12),
            idle_minutes: u64(30),
            max_failures_per_user: u32(5),
            max_failures_per_client: u32(20),
            lockout_minutes: u64(15),
            max_grant_days: u32(90),
            audit_retention_days: u32(1825),
            audit_flush_secs: u64(300),
            trust_forwarded_for: false,
        }
    }
}

/// The audit log keeps at least this many days; its table refuses younger deletions.
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 30;

/// Limits applied to every request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Whole-request time limit in seconds. Default 30.
    pub request_timeout_secs: NonZeroU64,
    /// Largest request body (uploads) in MiB. Default 512.
    pub max_body_mb: NonZeroU64,
    /// Longest accepted query string in bytes. Default 8192.
    pub max_query_bytes: NonZeroUsize,
    /// A request's head must arrive within this many seconds; also the longest a
    /// keep-alive connection waits for its next request. Default 10.
    pub header_timeout_secs: NonZeroU64,
    /// A connection with no request in flight and no bytes moving is closed after this
    /// many seconds. Default 60.
    pub idle_timeout_secs: NonZeroU64,
    /// Most open connections; more are answered 503 and closed at once. Held under the
    /// open-file limit (`LimitNOFILE`) less 128. Default 4096.
    pub max_connections: NonZeroUsize,
    /// Most open connections from one address (set it high when many users share one
    /// address without `auth.trust_forwarded_for`). Default 256.
    pub max_connections_per_client: NonZeroUsize,
    /// A request body must average at least this many bytes per second after a grace of
    /// `header_timeout_secs`; 0 turns the check off. Default 8192.
    pub min_body_bytes_per_sec: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout_secs: NonZeroU64::new(30).unwrap_or(NonZeroU64::MIN),
            max_body_mb: NonZeroU64::new(512).unwrap_or(NonZeroU64::MIN),
            max_query_bytes: NonZeroUsize::new(8192).unwrap_or(NonZeroUsize::MIN),
            header_timeout_secs: NonZeroU64::new(10).unwrap_or(NonZeroU64::MIN),
            idle_timeout_secs: NonZeroU64::new(60).unwrap_or(NonZeroU64::MIN),
            max_connections: NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN),
            max_connections_per_client: NonZeroUsize::new(256).unwrap_or(NonZeroUsize::MIN),
            min_body_bytes_per_sec: 8192,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("var"),
            store: None,
            layers_dir: PathBuf::from("layers"),
            root: PathBuf::from("."),
            styles_dir: PathBuf::from("styles"),
            web_dir: PathBuf::from("web/dist"),
            public_url: None,
            keep_versions: NonZeroUsize::new(10).unwrap_or(NonZeroUsize::MIN),
            tile_cache_mb: 256,
            public_max_age: 300,
            limits: Limits::default(),
            secure_cookies: false,
            auth: AuthConfig::default(),
            ingest: IngestConfig::default(),
            line: LineConfig::default(),
            public_push: None,
            push_key: None,
            replica_of: None,
            replica_key: None,
            replica_poll_secs: NonZeroU64::new(5).unwrap_or(NonZeroU64::MIN),
            database: None,
        }
    }
}

impl Config {
    /// Reads a configuration file; a missing optional file gives the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            file: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })
    }

    /// Checks settings that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.public_url
            && (!(url.starts_with("http://") || url.starts_with("https://")) || url.ends_with('/'))
        {
            return Err(ConfigError::Invalid {
                key: "public_url",
                message: format!("`{url}` must start with http:// or https:// and not end with /"),
            });
        }
        let base = &self.line.api_base;
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.ends_with('/') {
            return Err(ConfigError::Invalid {
                key: "line.api_base",
                message: format!("`{base}` must start with http:// or https:// and not end with /"),
            });
        }
        if self.auth.audit_retention_days.get() < MIN_AUDIT_RETENTION_DAYS {
            return Err(ConfigError::Invalid {
                key: "auth.audit_retention_days",
                message: format!("must be at least {MIN_AUDIT_RETENTION_DAYS}"),
            });
        }
        self.validate_push()?;
        // A replica takes its layers from its push target, not from layer files.
        if self.replica_of.is_none() && !self.layers_dir.is_dir() {
            return Err(ConfigError::Invalid {
                key: "layers_dir",
                message: format!("{} is not a directory", self.layers_dir.display()),
            });
        }
        Ok(())
    }
}

impl Config {
    /// The push and replica settings go together: a target with its key, and a server is a
    /// primary that pushes or a replica, not both.
    fn validate_push(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        if self.public_push.is_some() && self.push_key.is_none() {
            return invalid("push_key", "public_push needs push_key (kashimap keygen)");
        }
        if self.replica_of.is_some() && self.replica_key.is_none() {
            return invalid(
                "replica_key",
                "replica_of needs the primary's public key file",
            );
        }
        if self.replica_of.is_some() && self.public_push.is_some() {
            return invalid("public_push", "a replica does not push; set one of the two");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<Config>("adr = \"127.0.0.1:1\"").unwrap_err();
        assert!(e.to_string().contains("adr"));
    }

    #[test]
    fn partial_files_keep_defaults() {
        let c: Config = toml::from_str("tile_cache_mb = 0\n[limits]\nmax_body_mb = 5").unwrap();
        assert_eq!(c.tile_cache_mb, 0);
        assert_eq!(c.limits.max_body_mb.get(), 5);
        assert_eq!(c.limits.request_timeout_secs.get(), 30);
        assert_eq!(c.addr.port(), 8080);
    }

    #[test]
    fn auth_section_keeps_defaults_and_refuses_short_retention() {
        let c: Config = toml::from_str("[auth]\nidle_minutes = 10").unwrap();
        assert_eq!(c.auth.idle_minutes.get(), 10);
        assert_eq!(c.auth.session_hours.get(), 12);
        let c: Config = toml::from_str("[auth]\naudit_retention_days = 7").unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("auth.audit_retention_days"), "{e}");
    }

    #[test]
    fn push_and_replica_settings_need_their_keys() {
        let c: Config = toml::from_str("public_push = \"file:///tmp/x\"").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("push_key"));
        let c: Config = toml::from_str("replica_of = \"file:///tmp/x\"").unwrap();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("replica_key")
        );
        let c: Config = toml::from_str("replica_poll_secs = 2").unwrap();
        assert_eq!(c.replica_poll_secs.get(), 2);
    }
}
