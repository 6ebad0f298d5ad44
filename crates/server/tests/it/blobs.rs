//! The blob store, as the transfers will use it: streamed writes in constant memory with
//! size and SHA-256 measured on the way, reads from an offset (resumption), a size limit
//! that leaves nothing behind. Once on a local directory and once on a real S3 stand-in
//! (moto's server, started by the test; `.ci/run` installs it from PyPI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use zentrale_server::blobs::Blobs;

/// 5 MiB of varied bytes, in 64 KiB chunks.
fn chunks() -> Vec<Bytes> {
    (0..80u32)
        .map(|i| {
            Bytes::from(
                (0..65_536u32)
                    .map(|j| (i.wrapping_mul(31) ^ j.wrapping_mul(7)) as u8)
                    .collect::<Vec<u8>>(),
            )
        })
        .collect()
}

async fn exercise(blobs: &Blobs) {
    let data = chunks();
    let whole: Vec<u8> = data.iter().flat_map(|c| c.iter().copied()).collect();
    let body = futures_util::stream::iter(data.clone().into_iter().map(Ok::<_, String>));
    let stored = blobs
        .put_stream("backups/sys1/b1", body, 10 << 20)
        .await
        .unwrap();
    assert_eq!(stored.size, whole.len() as u64);
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(&whole)));
    assert_eq!(
        blobs.size("backups/sys1/b1").await.unwrap(),
        Some(whole.len() as u64)
    );

    // Read from an offset, as a resumed download does.
    let offset = 3 * 1024 * 1024 + 17;
    let mut s = blobs
        .get_stream("backups/sys1/b1", offset)
        .await
        .unwrap()
        .unwrap();
    let mut tail = Vec::new();
    while let Some(c) = s.next().await {
        tail.extend_from_slice(&c.unwrap());
    }
    assert_eq!(tail, whole[offset as usize..]);

    // Over the limit: refused, nothing stays.
    let body = futures_util::stream::iter(data.into_iter().map(Ok::<_, String>));
    let err = blobs
        .put_stream("backups/sys1/big", body, 1 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(err, zentrale_server::AppError::BadRequest(_)),
        "{err:?}"
    );
    assert_eq!(blobs.size("backups/sys1/big").await.unwrap(), None);

    // A small one, and deletion.
    blobs
        .put("x/small", Bytes::from_static(b"hello"))
        .await
        .unwrap();
    assert_eq!(blobs.size("x/small").await.unwrap(), Some(5));
    blobs.delete("x/small").await.unwrap();
    blobs.delete("x/small").await.unwrap();
    assert!(blobs.get_stream("x/small", 0).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::from_directory_path(dir.path().join("blobs")).unwrap();
    let blobs = Blobs::open(url.as_str()).unwrap();
    exercise(&blobs).await;
    assert!(dir.path().join("blobs/backups/sys1/b1").exists());
    // A deleted object's directory goes with it once empty; the store's own stays.
    assert!(!dir.path().join("blobs/x").exists());
    blobs.delete("backups/sys1/b1").await.unwrap();
    blobs.delete("backups/sys1/big").await.unwrap();
    assert!(!dir.path().join("blobs/backups").exists());
    assert!(dir.path().join("blobs").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_compatible_store() {
    let moto = crate::moto::moto().await;
    let endpoint = moto.1.trim_end_matches('/').to_owned();
    // The bucket, made the way any S3 client makes it.
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/zentrale-test"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let opts = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", "test"),
        ("aws_secret_access_key", "test"),
        ("aws_region", "us-east-1"),
    ];
    let blobs = Blobs::open_with("s3://zentrale-test/node-a", &opts).unwrap();
    exercise(&blobs).await;
}
