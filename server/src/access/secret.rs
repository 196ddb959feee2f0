//! Secrets: random session ids and API tokens (stored only as SHA-256), and argon2id
//! password hashes.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::AccessError;

/// Prefix of API tokens, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "kmap_";
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// 256 random bits from the operating system, hex-encoded (64 characters).
pub fn random_hex() -> Result<String, AccessError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AccessError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// A new API token: the prefix and 256 random bits.
pub fn new_token() -> Result<String, AccessError> {
    Ok(format!("{TOKEN_PREFIX}{}", random_hex()?))
}

/// What the database keeps of a session id or token. A fast hash is enough: the secret
/// has 256 bits of entropy, so it cannot be guessed from its hash.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// True for something shaped like a session id (64 lowercase hex digits).
pub fn is_session_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True for something shaped like an API token.
pub fn is_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX).is_some_and(is_session_id)
}

/// Refuses passwords that are too short or absurdly long.
pub fn check_password_policy(user: &str, password: &str) -> Result<(), AccessError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccessError::WeakPassword(format!(
            "use at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccessError::WeakPassword(format!(
            "use at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.eq_ignore_ascii_case(user) {
        return Err(AccessError::WeakPassword(
            "must not be the user name".into(),
        ));
    }
    Ok(())
}

/// An argon2id hash (PHC string) with a random salt and the crate's recommended cost.
pub fn hash_password(password: &str) -> Result<String, AccessError> {
    let mut salt = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| AccessError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccessError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Hash(e.to_string()))
}

/// Checks a password against a stored hash. `None` (no such user) still spends the time of
/// one verification, so timing does not tell whether a user name exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let target = stored.unwrap_or_else(|| dummy_hash());
    let ok = PasswordHash::new(target).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    });
    ok && stored.is_some()
}

/// A hash of a random password, made once, verified against for unknown users.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = random_hex().unwrap_or_else(|_| "kashimap-dummy-password".into());
        hash_password(&password).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("correct horse batter", Some(&h)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn the_same_password_gets_a_different_salt() {
        assert_ne!(
            hash_password("0123456789").unwrap(),
            hash_password("0123456789").unwrap()
        );
    }

    #[test]
    fn secrets_are_random_and_well_formed() {
        let (a, b) = (random_hex().unwrap(), random_hex().unwrap());
        assert_ne!(a, b);
        assert!(is_session_id(&a));
        assert!(is_token(&new_token().unwrap()));
        assert!(!is_session_id("../../etc/passwd"));
        assert_eq!(digest(&a).len(), 32);
    }

    #[test]
    fn short_and_name_passwords_are_refused() {
        assert!(check_password_policy("tanaka", "short").is_err());
        assert!(check_password_policy("tanaka12345", "TANAKA12345").is_err());
        assert!(check_password_policy("tanaka", "長い日本語のパスワードです").is_ok());
    }
}
