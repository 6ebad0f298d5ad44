//! Queries on `systems`.

use crate::access::cap::{Manager, Owner};
use crate::db::Db;
use crate::error::AppResult;
use zentrale_protocol::messages::DeviceInfo;

pub use super::row::SystemRow;

const COLS: &str = "id, company_id, owner_id, name, serial, created_at, token, token_expires_at, \
    token_used_at, secret_hash, initial_registration_at, paired_at, error_code, error_detail, \
    error_at, revoked_at, model, mac, firmware, booted_at, maintenance_active, maintenance_until, \
    licences, capabilities, monitoring_enabled, remote_config_allowed, info_at, last_seen_at, \
    online_since, online_node, registrations_problem, remote_backup_ready, remote_since";

/// The columns of a [`SystemRow`] of the table named `alias` in a query.
pub fn cols_of(alias: &str) -> String {
    crate::db::qualified(COLS, alias)
}

/// Fields of a new system.
pub struct NewSystem<'a> {
    pub id: &'a str,
    pub company_id: &'a str,
    pub owner_id: &'a str,
    pub name: &'a str,
    pub serial: &'a str,
    pub token: &'a str,
    pub token_expires_at: i64,
    pub now: i64,
}

pub async fn insert(db: &Db, s: &NewSystem<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO systems (id, company_id, owner_id, name, serial, created_at, token, \
         token_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.id)
    .bind(s.company_id)
    .bind(s.owner_id)
    .bind(s.name)
    .bind(s.serial)
    .bind(s.now)
    .bind(s.token)
    .bind(s.token_expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

async fn one_by(db: &Db, column: &str, value: &str) -> AppResult<Option<SystemRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM systems WHERE {column} = $1"))
            .bind(value)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn by_id(db: &Db, id: &str) -> AppResult<Option<SystemRow>> {
    one_by(db, "id", id).await
}

pub async fn by_token(db: &Db, token: &str) -> AppResult<Option<SystemRow>> {
    one_by(db, "token", token).await
}

/// The systems whose credentials hash to one of `hashes` (the group read of
/// `pairing::lookup`).
pub async fn by_secret_hashes(db: &Db, hashes: &[String]) -> AppResult<Vec<SystemRow>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLS} FROM systems WHERE secret_hash IN ({})",
        crate::db::placeholders(hashes.len())
    );
    let mut q = sqlx::query_as(&sql);
    for h in hashes {
        q = q.bind(h.as_str());
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// All systems of a company (the access module filters them per user).
pub async fn of_company(db: &Db, company_id: &str) -> AppResult<Vec<SystemRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM systems WHERE company_id = $1"))
            .bind(company_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Systems owned by `user_id`.
pub async fn owned_by(db: &Db, user_id: &str) -> AppResult<Vec<SystemRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM systems WHERE owner_id = $1"))
            .bind(user_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

pub async fn serial_taken(db: &Db, company_id: &str, serial: &str) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM systems WHERE company_id = $1 AND serial = $2")
            .bind(company_id)
            .bind(serial)
            .fetch_one(&db.pool)
            .await?;
    Ok(n > 0)
}

/// The id of the company's system with this serial number.
pub async fn id_by_serial(db: &Db, company_id: &str, serial: &str) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM systems WHERE company_id = $1 AND serial = $2")
            .bind(company_id)
            .bind(serial)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// A new token; clears a previous error so the state shows "pending" again.
pub(crate) async fn set_token(
    db: &Db,
    cap: &Manager,
    token: &str,
    expires_at: i64,
) -> AppResult<()> {
    let id = cap.id();
    sqlx::query(
        "UPDATE systems SET token = $1, token_expires_at = $2, token_used_at = NULL, \
         error_code = NULL, error_detail = NULL, error_at = NULL WHERE id = $3",
    )
    .bind(token)
    .bind(expires_at)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Notes (or, with `None`, clears) why the PBX's registration report could not be taken.
pub async fn set_registrations_problem(db: &Db, id: &str, problem: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE systems SET registrations_problem = $1 WHERE id = $2")
        .bind(problem)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Gives the system a new name.
pub(crate) async fn set_name(db: &Db, cap: &Manager, name: &str) -> AppResult<()> {
    let id = cap.id();
    sqlx::query("UPDATE systems SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Invalidates the token ("cancel the operation").
pub(crate) async fn clear_token(db: &Db, cap: &Manager) -> AppResult<()> {
    let id = cap.id();
    sqlx::query(
        "UPDATE systems SET token = NULL, token_expires_at = NULL, token_used_at = NULL, \
         error_code = NULL, error_detail = NULL, error_at = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Deletes the owner's system and its call records and cursor; returns how many systems
/// went. The records after the system: their delete waits for a call-record writer that
/// is storing a batch of it and so sees that batch, and a writer that comes after finds
/// the system gone (on PostgreSQL `calls` has no foreign key, migration 0029; on SQLite
/// the records are in a file of their own, `db::calls_file`, and the main file commits
/// first).
pub(crate) async fn delete(db: &Db, cap: &Owner) -> AppResult<u64> {
    let id = cap.id();
    let mut tx = db.pool.begin().await?;
    let gone = sqlx::query("DELETE FROM systems WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    for sql in [
        "DELETE FROM calls WHERE system_id = $1",
        "DELETE FROM call_cursors WHERE system_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(gone)
}

pub async fn record_error(db: &Db, id: &str, code: &str, detail: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE systems SET error_code = $1, error_detail = $2, error_at = $3 WHERE id = $4",
    )
    .bind(code)
    .bind(detail)
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Pairing succeeded: store the credential, use up the token, clear errors.
/// Only succeeds while the token is still the one checked (guards a concurrent second use).
pub async fn mark_paired(
    db: &Db,
    id: &str,
    token: &str,
    secret_hash: &str,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE systems SET secret_hash = $1, paired_at = $2, token_used_at = $2, \
         initial_registration_at = COALESCE(initial_registration_at, $2), error_code = NULL, \
         error_detail = NULL, error_at = NULL, revoked_at = NULL, online_since = NULL \
         WHERE id = $3 AND token = $4 AND token_used_at IS NULL",
    )
    .bind(secret_hash)
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The PBX (re)connected and said hello, or reported its status.
pub async fn store_info(
    db: &Db,
    id: &str,
    info: &DeviceInfo,
    now: i64,
    node: &str,
) -> AppResult<()> {
    super::info_batch::info_update(id, info, true, now, node)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Sets `last_seen_at` of connected systems, 500 at a time.
pub async fn touch_seen(db: &Db, ids: &[String], now: i64) -> AppResult<()> {
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE systems SET last_seen_at = $1 WHERE online_since IS NOT NULL AND id IN \
             (SELECT id FROM systems WHERE online_since IS NOT NULL AND id IN ({}){})",
            marks.join(", "),
            db.locked_in_order()
        );
        let mut q = sqlx::query(&sql).bind(now);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&db.pool).await?;
    }
    Ok(())
}

/// The systems connected to `node` that the database shows offline (the node was taken
/// for dead) are online there again, 500 at a time.
pub async fn set_online_here(db: &Db, ids: &[String], node: &str, now: i64) -> AppResult<()> {
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE systems SET online_since = $1, online_node = $2, last_seen_at = $1 \
             WHERE online_node IS NULL AND id IN \
             (SELECT id FROM systems WHERE online_node IS NULL AND id IN ({}){})",
            marks.join(", "),
            db.locked_in_order()
        );
        let mut q = sqlx::query(&sql).bind(now).bind(node);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&db.pool).await?;
    }
    Ok(())
}

/// The connection on `node` ended: offline, unless the PBX is connected to another node now.
pub async fn set_offline(db: &Db, id: &str, last_seen: i64, node: &str) -> AppResult<()> {
    super::info_batch::offline_update(id, last_seen, node)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The PBX deleted its access: forget the credential and everything it reported.
pub async fn revoke_by_device(db: &Db, id: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE systems SET secret_hash = NULL, revoked_at = $1, online_since = NULL, \
         last_seen_at = $1, token = NULL, token_expires_at = NULL, token_used_at = NULL, \
         model = NULL, mac = NULL, firmware = NULL, booted_at = NULL, maintenance_active = NULL, \
         maintenance_until = NULL, licences = NULL, capabilities = NULL, monitoring_enabled = NULL, \
         remote_config_allowed = NULL, remote_backup_ready = NULL, info_at = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// At start no device is connected to this node yet: what this node held before (a crash,
/// a restart) is offline; the devices of other nodes stay as they are.
pub async fn mark_own_offline(db: &Db, node: &str) -> AppResult<()> {
    sqlx::query(&format!(
        "UPDATE systems SET online_since = NULL, online_node = NULL \
         WHERE online_since IS NOT NULL AND (online_node = $1 OR online_node IS NULL) \
         AND id IN (SELECT id FROM systems WHERE online_since IS NOT NULL \
         AND (online_node = $1 OR online_node IS NULL){})",
        db.locked_in_order()
    ))
    .bind(node)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// What the alert rules read of each paired system.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairedFacts {
    pub id: String,
    pub online_since: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub paired_at: Option<i64>,
    pub maintenance_active: Option<i64>,
    pub maintenance_until: Option<i64>,
}

pub async fn paired_facts(db: &Db) -> AppResult<Vec<PairedFacts>> {
    Ok(sqlx::query_as(
        "SELECT id, online_since, last_seen_at, paired_at, maintenance_active, maintenance_until \
         FROM systems WHERE secret_hash IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await?)
}
