//! Queries on `companies`.

use crate::db::Db;
use crate::error::AppResult;
use crate::ids::CompanyId;

/// The company's markers, kept by triggers: `Change` moves with everything a live list
/// shows (migration 0023), `Access` only with who may see which system (migration 0026).
#[derive(Debug, Clone, Copy)]
pub enum Marker {
    Change,
    Access,
}

pub async fn marker(db: &Db, company_id: &str, m: Marker) -> AppResult<i64> {
    let sql = match (m, db.backend) {
        (Marker::Change, crate::db::Backend::Sqlite) => {
            "SELECT change_seq FROM companies WHERE id = $1"
        }
        // An append-only log on PostgreSQL (migration 0028): its rows and its highest number.
        (Marker::Change, crate::db::Backend::Postgres) => {
            "SELECT COUNT(*) * 1000003 + COALESCE(MAX(seq), 0) FROM company_changes \
             WHERE company_id = $1"
        }
        (Marker::Access, _) => "SELECT access_seq FROM companies WHERE id = $1",
    };
    let (seq,): (i64,) = sqlx::query_as(sql)
        .bind(company_id)
        .fetch_one(&db.pool)
        .await?;
    Ok(seq)
}

/// Keeps only each company's last row of the change log on PostgreSQL (migration 0028);
/// the next live refresh of each list renders once. Says how many rows went.
pub async fn prune_changes(db: &Db) -> AppResult<u64> {
    if db.backend != crate::db::Backend::Postgres {
        return Ok(0);
    }
    // One pass over the log joined with each company's last number (a hash join): the
    // correlated form (`seq < (SELECT MAX(seq) … WHERE d.company_id = c.company_id)`) was
    // planned as a scan per row on a young table and took 126 s for 50,659 rows.
    Ok(sqlx::query(
        "DELETE FROM company_changes c USING \
         (SELECT company_id, MAX(seq) AS last FROM company_changes GROUP BY company_id) d \
         WHERE c.company_id = d.company_id AND c.seq < d.last",
    )
    .execute(&db.pool)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub created_at: i64,
}

pub async fn insert(db: &Db, c: &Company) -> AppResult<()> {
    sqlx::query("INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&c.id)
        .bind(&c.name)
        .bind(c.created_at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn by_name(db: &Db, name: &str) -> AppResult<Option<Company>> {
    Ok(
        sqlx::query_as("SELECT id, name, created_at FROM companies WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// A company with the number of its users and systems (for the operator).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyLine {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub users: i64,
    pub systems: i64,
}

pub async fn with_counts(db: &Db) -> AppResult<Vec<CompanyLine>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.name, c.created_at, \
         (SELECT COUNT(*) FROM users u WHERE u.company_id = c.id) AS users, \
         (SELECT COUNT(*) FROM systems s WHERE s.company_id = c.id) AS systems \
         FROM companies c ORDER BY c.name",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The company's name (empty when it does not exist).
pub async fn name_of(db: &Db, id: &str) -> AppResult<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(n,)| n).unwrap_or_default())
}
