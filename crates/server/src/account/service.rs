//! Rules for the own account.

use crate::audit::Event;
use crate::auth::password;
use crate::auth::session::{self, CurrentUser};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::{hash_secret, new_id, new_secret};
use crate::state::AppState;
use crate::users::store as users;

/// Changes the password; every session (this one too) and every personal API token ends.
/// The caller starts a new session for the user who changed it.
pub async fn change_password(
    st: &AppState,
    user: &Ctx,
    current: &str,
    new: &str,
    repeat: &str,
) -> AppResult<()> {
    let stored = users::user_by_id(&st.db, &user.id)
        .await?
        .and_then(|u| u.password_hash)
        .ok_or_else(|| AppError::BadRequest(crate::msg!("err-account-signs-through-single")))?;
    if !password::verify(current, Some(&stored)).await {
        return Err(AppError::BadRequest(crate::msg!(
            "err-current-password-wrong"
        )));
    }
    if new != repeat {
        return Err(AppError::BadRequest(crate::msg!(
            "err-new-password-its-repetition"
        )));
    }
    if new == current {
        return Err(AppError::BadRequest(crate::msg!(
            "err-choose-password-different-from"
        )));
    }
    let hash = password::hash(new).await?;
    users::set_password_hash(&st.db, &user.id, &hash).await?;
    end_other_access(st, user, None).await?;
    tracing::info!(user = %user.id, "password changed; all sessions and API tokens ended");
    user.audit(st, Event::new("password.changed")).await
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
pub async fn disable_totp(st: &AppState, user: &Ctx, code: &str) -> AppResult<()> {
    crate::auth::totp::disable(st, &user.id, code).await?;
    end_other_access(st, user, user.session.as_deref()).await?;
    tracing::info!(user = %user.id, "second factor off; other sessions and API tokens ended");
    user.audit(st, Event::new("totp.disabled")).await
}

pub use super::store::TokenRow;

pub async fn tokens(st: &AppState, user: &CurrentUser) -> AppResult<Vec<TokenRow>> {
    super::store::of_user(&st.db, &user.id).await
}

/// Creates a personal API token; the secret is returned once and stored only as a hash.
pub async fn create_token(
    st: &AppState,
    user: &Ctx,
    name: &str,
    days: Option<i64>,
) -> AppResult<(TokenRow, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::BadRequest(crate::msg!(
            "err-give-token-name-characters"
        )));
    }
    if let Some(d) = days
        && !(1..=3650).contains(&d)
    {
        return Err(AppError::BadRequest(crate::msg!("err-expiry-days-none")));
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
    let ev = Event::new("token.created").arg("name", row.name.clone());
    user.audit(st, ev).await?;
    Ok((row, secret))
}

pub async fn revoke_token(st: &AppState, user: &Ctx, id: &str) -> AppResult<()> {
    if !super::store::delete(&st.db, &user.id, id).await? {
        return Err(AppError::NotFound);
    }
    user.audit(st, Event::new("token.revoked").arg("token", id))
        .await
}
