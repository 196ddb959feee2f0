//! The push key pair: `kashimap keygen --out PREFIX` writes `PREFIX.key` (the private key,
//! mode 0600, kept on the primary) and `PREFIX.pub` (given to every replica). Both are one
//! line of hex.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::TryRngCore as _;
use rand::rngs::OsRng;

/// A key file that cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("key file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

fn bad(path: &Path, message: impl Into<String>) -> KeyError {
    KeyError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes a new key pair as `PREFIX.key` (0600, refused if it exists) and `PREFIX.pub`.
/// Returns the two paths.
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf), KeyError> {
    let mut secret = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut secret)
        .map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    let (key_path, pub_path) = (with_ext(prefix, "key"), with_ext(prefix, "pub"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key_path)
        .map_err(|e| {
            bad(
                &key_path,
                format!("cannot create (it must not exist yet): {e}"),
            )
        })?;
    writeln!(f, "{}", hex::encode(key.to_bytes()))
        .and_then(|()| f.sync_all())
        .map_err(|e| bad(&key_path, e.to_string()))?;
    std::fs::write(
        &pub_path,
        format!("{}\n", hex::encode(key.verifying_key().to_bytes())),
    )
    .map_err(|e| bad(&pub_path, e.to_string()))?;
    Ok((key_path, pub_path))
}

fn with_ext(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn read_32(path: &Path) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    let bytes = hex::decode(text.trim()).map_err(|_| bad(path, "not a hex key"))?;
    bytes
        .try_into()
        .map_err(|_| bad(path, "a key is 32 bytes (64 hex digits)"))
}

/// Reads `PREFIX.key`. Refuses a key file that others may read.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| bad(path, e.to_string()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(bad(
            path,
            format!(
                "mode {:o}: others may read the private key; chmod 600 it",
                mode & 0o777
            ),
        ));
    }
    Ok(SigningKey::from_bytes(&read_32(path)?))
}

/// Reads `PREFIX.pub`.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&read_32(path)?).map_err(|e| bad(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_private_key_only_its_owner_reads() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (k, p) = keygen(&dir.path().join("push")).unwrap();
        assert_eq!(
            std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let key = read_signing_key(&k).unwrap();
        assert_eq!(read_verifying_key(&p).unwrap(), key.verifying_key());
        assert!(
            keygen(&dir.path().join("push")).is_err(),
            "never overwrites"
        );
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            read_signing_key(&k)
                .unwrap_err()
                .to_string()
                .contains("chmod 600")
        );
    }
}
