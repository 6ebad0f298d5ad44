//! Blob storage for bulk data (backups, firmware images, call-record batches): the
//! `object_store` crate behind one small type, so the same code writes to a local directory
//! (the default, inside the data directory) or to any S3-compatible store. Data is streamed
//! in both directions in constant memory; what is written is measured and hashed on the way.

pub mod objects;

use crate::error::{AppError, AppResult};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Where blobs live and how to reach them.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    prefix: Key,
    /// The URL as configured, for logs and `--print-config`.
    pub url: String,
}

/// What a finished upload stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Blobs {
    /// `file:///var/lib/zentrale/blobs` (the directory is made) or `s3://bucket/prefix`
    /// (endpoint, region and credentials from the `AWS_*` environment variables, e.g.
    /// `AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`).
    pub fn open(url: &str) -> AppResult<Blobs> {
        Blobs::open_with(url, &[])
    }

    /// As [`Blobs::open`], with S3 settings given here instead of the environment
    /// (`("aws_endpoint", "http://…")`, `("aws_allow_http", "true")`, …).
    pub fn open_with(url: &str, s3_options: &[(&str, &str)]) -> AppResult<Blobs> {
        let bad =
            |why: String| AppError::BadRequest(crate::msg!("err-blob-url", url = url, why = why));
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
        let (store, prefix): (Arc<dyn ObjectStore>, Key) = match parsed.scheme() {
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| bad("it has no path".to_owned()))?;
                std::fs::create_dir_all(&dir).map_err(|e| {
                    bad(format!(
                        "cannot make the blob directory {}: {e}",
                        dir.display()
                    ))
                })?;
                // A directory left empty by a delete goes too (an upload's directory,
                // one per command, would stay behind forever otherwise).
                let local = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| bad(e.to_string()))?
                    .with_automatic_cleanup(true);
                (Arc::new(local), Key::default())
            }
            "s3" => {
                let bucket = parsed.host_str().unwrap_or_default();
                let mut builder =
                    object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                for (k, v) in s3_options {
                    let key = k
                        .parse()
                        .map_err(|e| bad(format!("blob store option {k}: {e}")))?;
                    builder = builder.with_config(key, *v);
                }
                let s3 = builder.build().map_err(|e| bad(e.to_string()))?;
                let prefix = Key::from(parsed.path().trim_matches('/'));
                (Arc::new(s3), prefix)
            }
            other => {
                return Err(bad(format!(
                    "the scheme '{other}' is not supported: use file:// or s3://"
                )));
            }
        };
        Ok(Blobs {
            store,
            prefix,
            url: url.to_owned(),
        })
    }

    fn key(&self, name: &str) -> Key {
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        parts.extend(name.split('/').filter(|p| !p.is_empty()).map(str::to_owned));
        Key::from_iter(parts)
    }

    /// Writes `name` from a stream of chunks (multipart, constant memory), at most `limit`
    /// bytes; measures and hashes it. On any error nothing stays under `name`.
    pub async fn put_stream<S, E>(&self, name: &str, body: S, limit: u64) -> AppResult<Stored>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (size, hash) = self
            .put_stream_hashed(name, body, limit, Sha256::new())
            .await?;
        Ok(Stored {
            size,
            sha256: hex::encode(hash.finalize()),
        })
    }

    /// As [`Blobs::put_stream`], feeding the bytes into `hash` (which may hold earlier
    /// bytes of the same object); returns the size written and the hash.
    pub async fn put_stream_hashed<S, E>(
        &self,
        name: &str,
        mut body: S,
        limit: u64,
        mut hash: Sha256,
    ) -> AppResult<(u64, Sha256)>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let key = self.key(name);
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(AppError::internal)?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(AppError::internal(format!("upload stopped: {e}")));
                }
            };
            size += chunk.len() as u64;
            if size > limit {
                let _ = w.abort().await;
                return Err(AppError::BadRequest(crate::msg!(
                    "err-blob-too-large",
                    max = limit
                )));
            }
            hash.update(&chunk);
            w.wait_for_capacity(2).await.map_err(AppError::internal)?;
            w.write(&chunk);
        }
        w.finish().await.map_err(AppError::internal)?;
        Ok((size, hash))
    }

    /// Writes a small blob in one piece.
    pub async fn put(&self, name: &str, bytes: Bytes) -> AppResult<()> {
        self.store
            .put(&self.key(name), PutPayload::from_bytes(bytes))
            .await
            .map_err(AppError::internal)?;
        Ok(())
    }

    /// Reads `name` from byte `offset` on, as a stream of chunks; `None` if it is not there.
    pub async fn get_stream(
        &self,
        name: &str,
        offset: u64,
    ) -> AppResult<Option<futures_util::stream::BoxStream<'static, AppResult<Bytes>>>> {
        let opts = object_store::GetOptions {
            range: (offset > 0).then_some(object_store::GetRange::Offset(offset)),
            ..Default::default()
        };
        match self.store.get_opts(&self.key(name), opts).await {
            // A local file is read here in large pieces (object_store's own stream reads it
            // 8 KiB at a time, each on a blocking thread).
            Ok(object_store::GetResult {
                payload: object_store::GetResultPayload::File(file, _),
                range,
                ..
            }) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .map_err(AppError::internal)?;
                let body = file.take(range.end.saturating_sub(range.start));
                Ok(Some(
                    tokio_util::io::ReaderStream::with_capacity(body, 256 * 1024)
                        .map_err(AppError::internal)
                        .boxed(),
                ))
            }
            Ok(r) => Ok(Some(r.into_stream().map_err(AppError::internal).boxed())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(AppError::internal(e)),
        }
    }

    /// The size of `name`, if it is there.
    pub async fn size(&self, name: &str) -> AppResult<Option<u64>> {
        match self.store.head(&self.key(name)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(AppError::internal(e)),
        }
    }

    pub async fn delete(&self, name: &str) -> AppResult<()> {
        match self.store.delete(&self.key(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(AppError::internal(e)),
        }
    }
}
