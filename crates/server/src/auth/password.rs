//! Password hashing with argon2id (default parameters of the `argon2` crate).

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core,
};

/// Shortest password accepted for a local account.
pub const MIN_LEN: usize = 10;

pub fn hash(pw: &str) -> AppResult<String> {
    if pw.chars().count() < MIN_LEN {
        return Err(AppError::BadRequest(format!(
            "a password needs at least {MIN_LEN} characters"
        )));
    }
    if pw.len() > 1024 {
        return Err(AppError::BadRequest(
            "a password may have at most 1024 bytes".into(),
        ));
    }
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

pub fn verify(pw: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so timing does not tell.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-at-all").unwrap_or_default())
}
