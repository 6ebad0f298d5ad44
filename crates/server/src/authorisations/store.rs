//! Queries on `authorisations`.

use crate::db::Db;
use crate::error::AppResult;

/// One authorisation with the names the list shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthorisationRow {
    pub id: String,
    pub granter_id: String,
    pub user_id: String,
    pub user_email: String,
    pub system_id: String,
    pub system_name: String,
    pub system_serial: String,
    pub roles: i64,
    pub created_at: i64,
}

const SELECT: &str = "SELECT a.id, a.granter_id, a.user_id, u.email AS user_email, a.system_id, \
    s.name AS system_name, s.serial AS system_serial, a.roles, a.created_at \
    FROM authorisations a JOIN users u ON u.id = a.user_id JOIN systems s ON s.id = a.system_id";

pub struct NewAuthorisation<'a> {
    pub id: &'a str,
    pub company_id: &'a str,
    pub granter_id: &'a str,
    pub user_id: &'a str,
    pub system_id: &'a str,
    pub roles: i64,
    pub now: i64,
}

pub async fn insert(db: &Db, a: &NewAuthorisation<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO authorisations (id, company_id, granter_id, user_id, system_id, roles, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.id)
    .bind(a.company_id)
    .bind(a.granter_id)
    .bind(a.user_id)
    .bind(a.system_id)
    .bind(a.roles)
    .bind(a.now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn granted_by(db: &Db, granter_id: &str) -> AppResult<Vec<AuthorisationRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE a.granter_id = $1"))
        .bind(granter_id)
        .fetch_all(&db.pool)
        .await?)
}

pub async fn by_id(db: &Db, id: &str) -> AppResult<Option<AuthorisationRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

pub async fn set_roles(db: &Db, id: &str, roles: i64) -> AppResult<()> {
    sqlx::query("UPDATE authorisations SET roles = $1 WHERE id = $2")
        .bind(roles)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM authorisations WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes an authorisation on the owner's system, whoever granted it; says whether one went.
pub(crate) async fn delete_on_system(
    db: &Db,
    cap: &crate::access::Owner,
    id: &str,
) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM authorisations WHERE id = $1 AND system_id = $2")
        .bind(id)
        .bind(cap.id())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
