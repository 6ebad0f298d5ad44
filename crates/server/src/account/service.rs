//! Rules for the own account.

use crate::auth::password;
use crate::auth::session::{self, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::ids::{hash_secret, new_id, new_secret};
use crate::state::AppState;
use crate::users::store as users;

/// Changes the password; every session (this one too) and every personal API token ends.
/// The caller starts a new session for the user who changed it.
pub async fn change_password(
    st: &AppState,
    user: &CurrentUser,
    current: &str,
    new: &str,
    repeat: &str,
) -> AppResult<()> {
    let stored = users::user_by_id(&st.db, &user.id)
        .await?
        .and_then(|u| u.password_hash)
        .ok_or_else(|| {
            AppError::BadRequest(
                "This account signs in through single sign-on and has no password here.".into(),
            )
        })?;
    if !password::verify(current, Some(&stored)).await {
        return Err(AppError::BadRequest(
            "The current password is wrong.".into(),
        ));
    }
    if new != repeat {
        return Err(AppError::BadRequest(
            "The new password and its repetition differ.".into(),
        ));
    }
    if new == current {
        return Err(AppError::BadRequest(
            "Choose a password different from the current one.".into(),
        ));
    }
    let hash = password::hash(new).await?;
    users::set_password_hash(&st.db, &user.id, &hash).await?;
    end_other_access(st, user, None).await?;
    tracing::info!(user = %user.id, "password changed; all sessions and API tokens ended");
    Ok(())
}

/// Ends every session of the user except `keep`, and every personal API token: after a
/// change of credentials nothing issued under the old ones stays valid.
pub async fn end_other_access(
    st: &AppState,
    user: &CurrentUser,
    keep: Option<&str>,
) -> AppResult<u64> {
    session::revoke_others(st, &user.id, keep).await?;
    super::store::delete_all(&st.db, &user.id).await
}

/// Switches the second factor off (with a valid code); other sessions and API tokens end.
pub async fn disable_totp(st: &AppState, user: &CurrentUser, code: &str) -> AppResult<()> {
    crate::auth::totp::disable(st, &user.id, code).await?;
    end_other_access(st, user, user.session.as_deref()).await?;
    tracing::info!(user = %user.id, "second factor off; other sessions and API tokens ended");
    Ok(())
}

pub use super::store::TokenRow;

pub async fn tokens(st: &AppState, user: &CurrentUser) -> AppResult<Vec<TokenRow>> {
    super::store::of_user(&st.db, &user.id).await
}

/// Creates a personal API token; the secret is returned once and stored only as a hash.
pub async fn create_token(
    st: &AppState,
    user: &CurrentUser,
    name: &str,
    days: Option<i64>,
) -> AppResult<(TokenRow, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::BadRequest(
            "Give the token a name of 1 to 64 characters.".into(),
        ));
    }
    if let Some(d) = days
        && !(1..=3650).contains(&d)
    {
        return Err(AppError::BadRequest(
            "Expiry: 1 to 3650 days, or none.".into(),
        ));
    }
    let secret = format!("zt_{}", new_secret());
    let now = st.clock.now_ms();
    let row = TokenRow {
        id: new_id(),
        name: name.to_owned(),
        created_at: now,
        expires_at: days.map(|d| now + d * 86_400_000),
        last_used_at: None,
    };
    super::store::insert(&st.db, &user.id, &row, &hash_secret(&secret)).await?;
    Ok((row, secret))
}

pub async fn revoke_token(st: &AppState, user: &CurrentUser, id: &str) -> AppResult<()> {
    if !super::store::delete(&st.db, &user.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}
