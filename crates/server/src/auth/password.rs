//! Password hashing with argon2id (default parameters of the `argon2` crate). Hashing and
//! verifying take tens of milliseconds of CPU: they run on tokio's blocking threads, never
//! on the worker threads that serve thousands of device connections.

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core,
};

/// Shortest password accepted for a local account.
pub const MIN_LEN: usize = 10;

/// Whether a password is acceptable for a local account (length rules), without hashing.
pub fn check(pw: &str) -> AppResult<()> {
    if pw.chars().count() < MIN_LEN {
        return Err(AppError::BadRequest(crate::msg!(
            "err-password-needs-at-least",
            min = MIN_LEN
        )));
    }
    if pw.len() > 1024 {
        return Err(AppError::BadRequest(crate::msg!(
            "err-password-may-have-at"
        )));
    }
    Ok(())
}

/// The argon2id hash of an acceptable password.
pub async fn hash(pw: &str) -> AppResult<String> {
    check(pw)?;
    let pw = pw.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&pw))
        .await
        .map_err(AppError::internal)?
}

fn hash_now(pw: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `pw` matches the stored hash. Without a stored hash (no such user, or no local
/// password) a dummy hash is checked, so the time taken does not tell.
pub async fn verify(pw: &str, stored: Option<&str>) -> bool {
    let pw = pw.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let against = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let ok = PasswordHash::new(against)
            .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        ok && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist (computed once, on a blocking thread).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now("not-a-real-password-at-all").unwrap_or_default())
}
