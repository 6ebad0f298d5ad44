//! Stored objects made of chunks: an upload arrives in pieces (each PUT one chunk, so a
//! broken connection loses at most the piece in flight), and a reader streams the chunks
//! in order from any offset. The chunk list is in the database (`blob_chunks`), so every
//! node sees the same object whichever node took a piece.

use super::Blobs;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Chunk {
    pub start_at: i64,
    pub size: i64,
    pub name: String,
}

/// Writes one chunk of `object` starting at byte `start_at` (at most `limit` bytes). The
/// chunk is stored but not yet part of the object: [`commit_chunk`] adds it.
/// `hash` continues the hash of the bytes before `start_at`; returns the chunk's name, size
/// and the continued hash.
pub async fn write_chunk<S, E>(
    blobs: &Blobs,
    object: &str,
    start_at: u64,
    body: S,
    limit: u64,
    hash: Sha256,
) -> AppResult<(String, u64, Sha256)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let name = format!(
        "objects/{object}/{start_at:015}-{}",
        &crate::ids::new_id()[..8]
    );
    let (size, hash) = blobs.put_stream_hashed(&name, body, limit, hash).await?;
    Ok((name, size, hash))
}

/// Adds a written chunk to the object's list (inside the caller's transaction).
pub async fn commit_chunk(
    tx: &mut sqlx::AnyConnection,
    object: &str,
    start_at: u64,
    size: u64,
    name: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO blob_chunks (object, start_at, size, name) VALUES ($1, $2, $3, $4)")
        .bind(object)
        .bind(start_at as i64)
        .bind(size as i64)
        .bind(name)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn chunks(db: &Db, object: &str) -> AppResult<Vec<Chunk>> {
    Ok(sqlx::query_as(
        "SELECT start_at, size, name FROM blob_chunks WHERE object = $1 ORDER BY start_at",
    )
    .bind(object)
    .fetch_all(&db.pool)
    .await?)
}

/// The object's bytes from `offset` on, streamed chunk after chunk.
pub async fn read(
    db: &Db,
    blobs: &Blobs,
    object: &str,
    offset: u64,
) -> AppResult<impl Stream<Item = AppResult<Bytes>> + use<>> {
    let list: Vec<Chunk> = chunks(db, object)
        .await?
        .into_iter()
        .filter(|c| (c.start_at + c.size) as u64 > offset)
        .collect();
    let blobs = blobs.clone();
    Ok(futures_util::stream::iter(list)
        .then(move |c| {
            let blobs = blobs.clone();
            async move {
                let skip = offset.saturating_sub(c.start_at as u64);
                blobs.get_stream(&c.name, skip).await?.ok_or_else(|| {
                    AppError::internal(format!("chunk {} of a stored object is missing", c.name))
                })
            }
        })
        .try_flatten())
}

/// The SHA-256 (hex) of the whole object, read back from the store.
pub async fn sha256(db: &Db, blobs: &Blobs, object: &str) -> AppResult<String> {
    let mut hash = Sha256::new();
    let mut body = Box::pin(read(db, blobs, object, 0).await?);
    while let Some(piece) = body.next().await {
        hash.update(&piece?);
    }
    Ok(hex::encode(hash.finalize()))
}

/// Deletes the object's chunks (data first, then the list).
pub async fn delete(db: &Db, blobs: &Blobs, object: &str) -> AppResult<()> {
    for c in chunks(db, object).await? {
        blobs.delete(&c.name).await?;
    }
    sqlx::query("DELETE FROM blob_chunks WHERE object = $1")
        .bind(object)
        .execute(&db.pool)
        .await?;
    Ok(())
}
