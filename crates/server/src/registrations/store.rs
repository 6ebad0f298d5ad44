//! Queries on `phones` and `accounts`.

use crate::db::Db;
use crate::error::AppResult;
use zentrale_protocol::registrations::Registrations;

fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Replaces the system's lists with what the PBX reported.
pub async fn replace(db: &Db, system_id: &str, r: &Registrations) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM phones WHERE system_id = $1")
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM accounts WHERE system_id = $1")
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    for (i, p) in r.phones.iter().enumerate() {
        sqlx::query("INSERT INTO phones (system_id, pos, name, mac, kind, status) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(system_id)
            .bind(i as i64)
            .bind(&p.name)
            .bind(&p.mac)
            .bind(text(&p.kind))
            .bind(text(&p.status))
            .execute(&mut *tx)
            .await?;
    }
    for (i, a) in r.accounts.iter().enumerate() {
        sqlx::query("INSERT INTO accounts (system_id, pos, account, provider, status) VALUES ($1, $2, $3, $4, $5)")
            .bind(system_id)
            .bind(i as i64)
            .bind(&a.account)
            .bind(&a.provider)
            .bind(text(&a.status))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE systems SET registrations_at = $1 WHERE id = $2")
        .bind(r.as_of_ms)
        .bind(system_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhoneRow {
    pub name: String,
    pub mac: String,
    pub kind: String,
    pub status: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub account: String,
    pub provider: String,
    pub status: String,
}

/// The stored lists and when the PBX took them.
pub async fn load(
    db: &Db,
    system_id: &str,
) -> AppResult<(Vec<PhoneRow>, Vec<AccountRow>, Option<i64>)> {
    let phones = sqlx::query_as(
        "SELECT name, mac, kind, status FROM phones WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let accounts = sqlx::query_as(
        "SELECT account, provider, status FROM accounts WHERE system_id = $1 ORDER BY pos",
    )
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let at: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT registrations_at FROM systems WHERE id = $1")
            .bind(system_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok((phones, accounts, at.and_then(|(t,)| t)))
}
