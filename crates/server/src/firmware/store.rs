//! Queries on `firmware_images`.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImageRow {
    pub id: String,
    pub version: String,
    /// Models it is for, comma-separated.
    pub models: String,
    pub notes: String,
    pub object: String,
    pub size: i64,
    pub sha256: String,
    /// The minisign signature (text of the `.minisig` file).
    pub signature: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

impl ImageRow {
    pub fn model_list(&self) -> Vec<&str> {
        self.models
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect()
    }
}

const COLUMNS: &str =
    "id, version, models, notes, object, size, sha256, signature, uploaded_by, created_at";

pub async fn insert(db: &Db, i: &ImageRow) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO firmware_images ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&i.id)
    .bind(&i.version)
    .bind(&i.models)
    .bind(&i.notes)
    .bind(&i.object)
    .bind(i.size)
    .bind(&i.sha256)
    .bind(&i.signature)
    .bind(&i.uploaded_by)
    .bind(i.created_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every image, newest upload first.
pub async fn all(db: &Db) -> AppResult<Vec<ImageRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM firmware_images ORDER BY created_at DESC LIMIT 500"
    ))
    .fetch_all(&db.pool)
    .await?)
}

pub async fn by_version(db: &Db, version: &str) -> AppResult<Option<ImageRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM firmware_images WHERE version = $1"
    ))
    .bind(version)
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn delete(db: &Db, id: &str) -> AppResult<Option<ImageRow>> {
    let row: Option<ImageRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM firmware_images WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    sqlx::query("DELETE FROM firmware_images WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(row)
}
