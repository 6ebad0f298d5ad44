//! Queries on `smtp_servers` and `systems.smtp_server_id`.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServerRow {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub address: String,
    pub port: i64,
    pub username: String,
    /// Sealed (see `secret.rs`); never shown.
    pub password_enc: String,
    pub sender: String,
    pub recipient: String,
    pub no_tls: i64,
    pub is_default: i64,
    /// Extra CA certificate (PEM) to trust for this server; empty: system roots only.
    pub ca_pem: String,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, company_id, name, address, port, username, password_enc, sender, \
    recipient, no_tls, is_default, ca_pem, last_error, last_error_at, created_at, updated_at";

pub async fn of_company(db: &Db, company_id: &str) -> AppResult<Vec<ServerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM smtp_servers WHERE company_id = $1 ORDER BY name"
    ))
    .bind(company_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get(db: &Db, company_id: &str, id: &str) -> AppResult<Option<ServerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM smtp_servers WHERE id = $1 AND company_id = $2"
    ))
    .bind(id)
    .bind(company_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Inserts or replaces the server; a new default takes the mark from the others.
pub async fn save(db: &Db, s: &ServerRow, insert: bool) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    if s.is_default == 1 {
        sqlx::query("UPDATE smtp_servers SET is_default = 0 WHERE company_id = $1 AND id <> $2")
            .bind(&s.company_id)
            .bind(&s.id)
            .execute(&mut *tx)
            .await?;
    }
    let sql = if insert {
        format!(
            "INSERT INTO smtp_servers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        )
    } else {
        "UPDATE smtp_servers SET company_id = $2, name = $3, address = $4, port = $5, username = $6, \
         password_enc = $7, sender = $8, recipient = $9, no_tls = $10, is_default = $11, ca_pem = $12, \
         last_error = $13, last_error_at = $14, created_at = $15, updated_at = $16 WHERE id = $1"
            .to_owned()
    };
    sqlx::query(&sql)
        .bind(&s.id)
        .bind(&s.company_id)
        .bind(&s.name)
        .bind(&s.address)
        .bind(s.port)
        .bind(&s.username)
        .bind(&s.password_enc)
        .bind(&s.sender)
        .bind(&s.recipient)
        .bind(s.no_tls)
        .bind(s.is_default)
        .bind(&s.ca_pem)
        .bind(&s.last_error)
        .bind(s.last_error_at)
        .bind(s.created_at)
        .bind(s.updated_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(db: &Db, company_id: &str, id: &str) -> AppResult<bool> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE systems SET smtp_server_id = NULL WHERE smtp_server_id = $1 AND company_id = $2",
    )
    .bind(id)
    .bind(company_id)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query("DELETE FROM smtp_servers WHERE id = $1 AND company_id = $2")
        .bind(id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_error(db: &Db, id: &str, error: Option<&str>, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE smtp_servers SET last_error = $1, last_error_at = $2 WHERE id = $3")
        .bind(error)
        .bind(error.map(|_| now))
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Systems of the company and the server each has chosen (`None`: the default).
pub async fn choices(db: &Db, company_id: &str) -> AppResult<Vec<(String, Option<String>)>> {
    Ok(
        sqlx::query_as("SELECT id, smtp_server_id FROM systems WHERE company_id = $1")
            .bind(company_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// These systems (a page of a list) and the server each has chosen (`None`: the default).
pub async fn choices_of(db: &Db, system_ids: &[&str]) -> AppResult<Vec<(String, Option<String>)>> {
    if system_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, smtp_server_id FROM systems WHERE id IN ({})",
        crate::db::placeholders(system_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in system_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

pub async fn set_system_server(db: &Db, system_id: &str, server: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE systems SET smtp_server_id = $1 WHERE id = $2")
        .bind(server)
        .bind(system_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
