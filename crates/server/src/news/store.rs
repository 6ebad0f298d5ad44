//! Queries on `news` and `news_read`.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NewsRow {
    pub id: String,
    pub title: String,
    pub body: String,
    /// `en,de`: the languages the news is shown in.
    pub languages: String,
    pub publish_at: i64,
    pub created_at: i64,
    pub created_by: String,
}

/// A published news item for a reader, with whether they have read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReaderNews {
    pub id: String,
    pub title: String,
    pub body: String,
    pub publish_at: i64,
    pub read: i64,
}

pub async fn insert(db: &Db, n: &NewsRow) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO news (id, title, body, languages, publish_at, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&n.id)
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.languages)
    .bind(n.publish_at)
    .bind(n.created_at)
    .bind(&n.created_by)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM news WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every news item, newest first (the operator's list).
pub async fn all(db: &Db) -> AppResult<Vec<NewsRow>> {
    Ok(sqlx::query_as(
        "SELECT id, title, body, languages, publish_at, created_at, created_by FROM news \
         ORDER BY publish_at DESC LIMIT 500",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Published news in `lang` for `user_id`, newest first.
pub async fn for_reader(
    db: &Db,
    user_id: &str,
    lang: &str,
    now: i64,
    limit: i64,
) -> AppResult<Vec<ReaderNews>> {
    Ok(sqlx::query_as(
        "SELECT n.id, n.title, n.body, n.publish_at, \
           CASE WHEN r.news_id IS NULL THEN 0 ELSE 1 END AS read \
         FROM news n LEFT JOIN news_read r ON r.news_id = n.id AND r.user_id = $1 \
         WHERE n.publish_at <= $2 AND (',' || n.languages || ',') LIKE $3 \
         ORDER BY n.publish_at DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(now)
    .bind(format!("%,{lang},%"))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Marks news as read by the user.
pub async fn mark_read(db: &Db, user_id: &str, ids: &[String], now: i64) -> AppResult<()> {
    for id in ids {
        sqlx::query(
            "INSERT INTO news_read (user_id, news_id, read_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(id)
        .bind(now)
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}
