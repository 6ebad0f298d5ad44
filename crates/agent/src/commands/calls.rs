//! `calls.retrieve`: the PBX hands over its call records after the server's cursor; the
//! agent writes them as gzip-compressed NDJSON (one record per line) in memory and
//! uploads that to the command's transfer (docs/protocol.md §5.6).

use super::backup::pbx_error;
use super::{Commands, Report};
use crate::transfer;
use sha2::Digest;
use std::io::Write;
use std::sync::Arc;
use zentrale_protocol::calls::{CallRecord, CallsBatch, CallsRetrieveParams, limits};
use zentrale_protocol::commands::{CommandError, CommandRun, TransferDirection, error_codes};

pub async fn retrieve(
    cx: Arc<Commands>,
    _id: String,
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
    let count = records.len() as u32;
    let last = records.last().map_or(params.after, |r| r.seq);
    let written = crate::cpu::run(move || write_batch(&records))
        .await
        .map_err(|e| CommandError::new(error_codes::PBX, format!("writing the batch: {e}")))?;
    let data = bytes::Bytes::from(
        written
            .map_err(|e| CommandError::new(error_codes::PBX, format!("writing the batch: {e}")))?,
    );
    let size = data.len() as u64;
    let sha256 = hex::encode(sha2::Sha256::digest(&data));
    report(50, "calls.upload");
    let endpoint = cx.endpoint(run.deadline_ms);
    let up_report = report.clone();
    let progress = move |done: u64| {
        up_report(
            50 + (done.saturating_mul(49) / size.max(1)) as u8,
            "calls.upload",
        )
    };
    let source = transfer::Source::Bytes(&data);
    let uploaded = transfer::upload(&endpoint, &ticket.id, source, size, &sha256, &progress).await;
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

/// The records as gzip NDJSON, in memory (a batch is at most a few MB; a scratch file would
/// only cost the PBX's storage a write and a delete per batch).
fn write_batch(records: &[CallRecord]) -> std::io::Result<Vec<u8>> {
    // The buffer in front of the compressor: serde_json writes a record in many small
    // pieces, and each write into the encoder is a call into deflate (700 ms for 20,000
    // records without it, 18 ms with it).
    let mut w = std::io::BufWriter::with_capacity(
        64 * 1024,
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()),
    );
    for r in records {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.into_inner().map_err(|e| e.into_error())?.finish()
}
