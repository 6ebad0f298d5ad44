//! Queries on `api_tokens` (personal API tokens; only their hashes are stored).

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn of_user(db: &Db, user_id: &str) -> AppResult<Vec<TokenRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn insert(db: &Db, user_id: &str, t: &TokenRow, token_hash: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(user_id)
    .bind(&t.name)
    .bind(token_hash)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Deletes one of the user's tokens; says whether there was one.
pub async fn delete(db: &Db, user_id: &str, id: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes all of the user's tokens; returns how many there were.
pub async fn delete_all(db: &Db, user_id: &str) -> AppResult<u64> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn touch(db: &Db, id: &str, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
