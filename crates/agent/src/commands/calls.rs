//! `calls.retrieve`: the PBX hands over its call records after the server's cursor; the
//! agent writes them as gzip-compressed NDJSON (one record per line) into a scratch file
//! and uploads it to the command's transfer (docs/protocol.md §5.6).

use super::backup::{pbx_error, sanitize, scratch};
use super::{Commands, Report};
use crate::transfer;
use sha2::Digest;
use std::io::Write;
use std::sync::Arc;
use zentrale_protocol::calls::{CallRecord, CallsBatch, CallsRetrieveParams, limits};
use zentrale_protocol::commands::{CommandError, CommandRun, TransferDirection, error_codes};

pub async fn retrieve(
    cx: Arc<Commands>,
    id: String,
    run: CommandRun,
    report: Report,
) -> Result<serde_json::Value, CommandError> {
    let ticket = run
        .transfers
        .iter()
        .find(|t| t.direction == TransferDirection::Upload)
        .cloned()
        .ok_or_else(|| {
            CommandError::new(
                error_codes::BAD_PARAMS,
                "calls.retrieve needs an upload transfer",
            )
        })?;
    let params: CallsRetrieveParams = serde_json::from_value(run.params)
        .map_err(|e| CommandError::new(error_codes::BAD_PARAMS, e.to_string()))?;
    let max = params.max_records.clamp(1, 10 * limits::BATCH_RECORDS);
    report(0, "calls.collect");
    let records = cx
        .env
        .pbx
        .call_records(params.after, max)
        .await
        .map_err(pbx_error)?;
    std::fs::create_dir_all(&cx.env.work_dir).map_err(|e| scratch(&cx.env.work_dir, e))?;
    let file = cx.env.work_dir.join(format!("{}.ndjson.gz", sanitize(&id)));
    let path = file.clone();
    let count = records.len() as u32;
    let last = records.last().map_or(params.after, |r| r.seq);
    let written = tokio::task::spawn_blocking(move || write_batch(&path, &records))
        .await
        .map_err(|e| CommandError::new(error_codes::PBX, format!("writing the batch: {e}")))?;
    let (size, sha256) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&file);
            return Err(CommandError::new(
                error_codes::PBX,
                format!("writing the batch: {e}"),
            ));
        }
    };
    report(50, "calls.upload");
    let endpoint = cx.endpoint(run.deadline_ms);
    let up_report = report.clone();
    let progress = move |done: u64| {
        up_report(
            50 + (done.saturating_mul(49) / size.max(1)) as u8,
            "calls.upload",
        )
    };
    let uploaded = transfer::upload(&endpoint, &ticket.id, &file, size, &sha256, &progress).await;
    let _ = std::fs::remove_file(&file);
    uploaded.map_err(|e| CommandError::new(error_codes::TRANSFER, e.to_string()))?;
    report(100, "calls.done");
    serde_json::to_value(CallsBatch {
        after: params.after,
        count,
        last,
        more: count >= max,
        size,
        sha256,
    })
    .map_err(|e| CommandError::new(error_codes::PBX, e.to_string()))
}

/// Writes the records as gzip NDJSON: (size, SHA-256 hex) of the file, hashed as it is
/// written. The file is scratch (deleted after the upload, and the scratch directory is
/// emptied at start), so it is not synced to disk.
fn write_batch(path: &std::path::Path, records: &[CallRecord]) -> std::io::Result<(u64, String)> {
    let out = Hashing {
        inner: std::io::BufWriter::new(std::fs::File::create(path)?),
        hash: sha2::Sha256::new(),
        size: 0,
    };
    // The buffer in front of the compressor: serde_json writes a record in many small
    // pieces, and each write into the encoder is a call into deflate (700 ms for 20,000
    // records without it, 18 ms with it).
    let mut w = std::io::BufWriter::with_capacity(
        64 * 1024,
        flate2::write::GzEncoder::new(out, flate2::Compression::fast()),
    );
    for r in records {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    let gz = w.into_inner().map_err(|e| e.into_error())?;
    let mut out = gz.finish()?;
    out.inner.flush()?;
    Ok((out.size, hex::encode(out.hash.finalize())))
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: sha2::Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
