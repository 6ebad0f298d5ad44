//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) as an optional second
//! factor for local accounts: setup with confirmation, verification with one step of clock
//! skew, and refusal of a code that was used already.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_S: u64 = 30;

fn totp(secret_b32: &str) -> AppResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|e| AppError::Internal(format!("TOTP secret: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_S, bytes)
        .map_err(|e| AppError::Internal(format!("TOTP: {e:?}")))
}

/// A new random secret, base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` URI authenticator apps import.
pub fn uri(secret_b32: &str, email: &str) -> String {
    let label: String =
        url::form_urlencoded::byte_serialize(format!("Zentrale:{email}").as_bytes()).collect();
    format!(
        "otpauth://totp/{label}?secret={secret_b32}&issuer=Zentrale&algorithm=SHA1&digits=6&period=30"
    )
}

/// The time step a code is valid for, if it is valid now (±1 step).
fn matching_step(secret_b32: &str, code: &str, now_ms: i64) -> AppResult<Option<i64>> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret_b32)?;
    let now = (now_ms.max(0) / 1000) as u64;
    for delta in [0i64, -1, 1] {
        let at = (now as i64 + delta * STEP_S as i64).max(0) as u64;
        if t.generate(at) == code {
            return Ok(Some((at / STEP_S) as i64));
        }
    }
    Ok(None)
}

/// Starts setup: stores a pending secret and returns it.
pub async fn begin_setup(st: &AppState, user_id: &str) -> AppResult<String> {
    let secret = new_secret();
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(&secret)
        .bind(user_id)
        .execute(&st.db.pool)
        .await?;
    Ok(secret)
}

async fn secrets(st: &AppState, user_id: &str) -> AppResult<(Option<String>, Option<String>, i64)> {
    sqlx::query_as("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the user has a second factor.
pub async fn enabled(st: &AppState, user_id: &str) -> AppResult<bool> {
    Ok(secrets(st, user_id).await?.0.is_some())
}

/// The pending secret while setup is under way.
pub async fn pending(st: &AppState, user_id: &str) -> AppResult<Option<String>> {
    Ok(secrets(st, user_id).await?.1)
}

/// Confirms setup with a first code from the app.
pub async fn confirm_setup(st: &AppState, user_id: &str, code: &str) -> AppResult<()> {
    let (_, pending, _) = secrets(st, user_id).await?;
    let pending =
        pending.ok_or_else(|| AppError::BadRequest(crate::msg!("err-start-setup-first")))?;
    let Some(step) = matching_step(&pending, code, st.clock.now_ms())? else {
        return Err(AppError::BadRequest(crate::msg!("err-code-does-not-match")));
    };
    sqlx::query("UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 WHERE id = $2")
        .bind(step)
        .bind(user_id)
        .execute(&st.db.pool)
        .await?;
    Ok(())
}

/// Checks a login code; a code is accepted once.
pub async fn verify(st: &AppState, user_id: &str, code: &str) -> AppResult<bool> {
    let (secret, _, last) = secrets(st, user_id).await?;
    let Some(secret) = secret else {
        return Ok(true);
    };
    match matching_step(&secret, code, st.clock.now_ms())? {
        Some(step) if step > last => {
            let done = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
            )
            .bind(step)
            .bind(user_id)
            .execute(&st.db.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }
        _ => Ok(false),
    }
}

/// Switches the second factor off (after a valid code).
pub async fn disable(st: &AppState, user_id: &str, code: &str) -> AppResult<()> {
    if !enabled(st, user_id).await? {
        return Err(AppError::BadRequest(crate::msg!(
            "err-two-factor-authentication-not"
        )));
    }
    if !verify(st, user_id, code).await? {
        return Err(AppError::BadRequest(crate::msg!(
            "err-code-does-not-match-2"
        )));
    }
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&st.db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_neighbours_only() {
        let s = new_secret();
        let t = totp(&s).unwrap_or_else(|_| unreachable!());
        let now = 1_800_000_000_000i64;
        let code = t.generate((now / 1000) as u64);
        assert_eq!(
            matching_step(&s, &code, now).ok().flatten(),
            Some(now / 1000 / 30)
        );
        assert!(
            matching_step(&s, &code, now + 30_000)
                .ok()
                .flatten()
                .is_some(),
            "one step of skew"
        );
        assert!(
            matching_step(&s, &code, now + 120_000)
                .ok()
                .flatten()
                .is_none()
        );
        assert!(matching_step(&s, "12a456", now).ok().flatten().is_none());
        assert!(
            uri(&s, "a@b.example").starts_with("otpauth://totp/Zentrale%3Aa%40b.example?secret=")
        );
    }
}
