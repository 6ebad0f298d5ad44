//! A `calls.retrieve` success: the uploaded batch is read, checked and stored with the
//! system's cursor moved to its last record by the call-record writer (`writer`), then the
//! command ends. A batch for a cursor that has moved on (stored before) is acknowledged and
//! not stored again; when the PBX has more, the next retrieval is queued in the
//! transaction that ends the command.

use super::batch;
use super::bulk::Job;
use crate::blobs::objects;
use crate::commands::store::CommandRow;
use crate::commands::unapplied::{Prepared, Unapplied};
use crate::error::AppError;
use crate::state::AppState;
use crate::transfers::store::TransferRow;
use futures_util::StreamExt;
use zentrale_protocol::calls::{CallsBatch, CallsRetrieveParams, call_codes};
use zentrale_protocol::commands::CommandError;

static PARSING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

fn refused(line: usize, reason: impl Into<String>) -> Unapplied {
    let reason = reason.into();
    Unapplied::Refused(
        CommandError::new(call_codes::BATCH_REFUSED, format!("line {line}: {reason}"))
            .arg("line", line)
            .arg("reason", reason),
    )
}

/// A batch read, checked and stored (by the call-record writer, before the command's
/// transaction).
struct Batch {
    asked: CallsRetrieveParams,
    /// Where the batch moved the cursor to.
    last: i64,
    /// False: the cursor had moved on, the batch was stored before.
    stored: bool,
    more: bool,
}

/// Reads and checks the uploaded batch and has the writer store it with its cursor (in a
/// transaction of its own, before the command's: a crash between the two leaves the
/// command open, and the repeated outcome finds the batch stored).
pub async fn read(
    st: &AppState,
    cmd: &CommandRow,
    transfers: &[TransferRow],
    result: &serde_json::Value,
) -> Result<Prepared, Unapplied> {
    let got: CallsBatch = serde_json::from_value(result.clone())
        .map_err(|e| refused(0, format!("the result is not a batch: {e}")))?;
    let asked: CallsRetrieveParams =
        serde_json::from_str(&cmd.params).map_err(AppError::internal)?;
    if got.after != asked.after {
        return Err(refused(0, "the batch answers another cursor"));
    }
    let Some(t) = transfers.first().filter(|t| {
        t.state == "complete"
            && t.sha256.as_deref() == Some(got.sha256.as_str())
            && t.received_bytes as u64 == got.size
    }) else {
        return Err(refused(0, "the batch was not received whole"));
    };
    let _slot = st.calls_writer.slot(got.count as usize).await?;
    let blobs = st
        .blobs
        .clone()
        .ok_or_else(|| AppError::internal("no blob store"))?;
    let mut data = Vec::with_capacity(t.received_bytes.max(0) as usize);
    let mut body = Box::pin(objects::read(&st.db, &blobs, &t.object, 0).await?);
    while let Some(piece) = body.next().await {
        data.extend_from_slice(&piece?);
    }
    let (after, max) = (asked.after, asked.max_records as usize);
    let expected = got.count as usize;
    // One batch per core at a time: hundreds read at once (a fleet's retrieval) would each
    // get a blocking thread with a cold allocator and finish together, late.
    let core = PARSING.acquire().await.map_err(AppError::internal)?;
    let rows = tokio::task::spawn_blocking(move || batch::parse(&data, after, max, expected))
        .await
        .map_err(AppError::internal)?
        .map_err(|r| refused(r.line, r.reason))?;
    drop(core);
    let last = rows.last().map_or(asked.after as i64, |r| r.seq);
    if rows.len() != got.count as usize || last != got.last as i64 {
        return Err(refused(
            0,
            format!(
                "the batch holds {} records up to {last}, the result says {} up to {}",
                rows.len(),
                got.count,
                got.last
            ),
        ));
    }
    let job = Job {
        system_id: cmd.system_id.clone(),
        after: asked.after as i64,
        rows,
        now: st.clock.now_ms(),
    };
    let last = job.last();
    let stored = st.calls_writer.store(&st.db.native, job).await?;
    Ok(Some(Box::new(Batch {
        asked,
        last,
        stored,
        more: got.more,
    })))
}

/// The command's transaction: a batch [`read`] stored is followed by the next retrieval
/// when the PBX has more.
pub async fn stored(
    tx: &mut sqlx::AnyConnection,
    cmd: &CommandRow,
    prepared: Prepared,
) -> Result<Option<serde_json::Value>, Unapplied> {
    let b = prepared
        .and_then(|p| p.downcast::<Batch>().ok())
        .ok_or_else(|| AppError::internal("call batch not prepared"))?;
    let (asked, last) = (b.asked, b.last);
    if !b.stored {
        tracing::info!(system = %cmd.system_id, after = asked.after, "a call-record batch for a cursor already passed: not stored again");
    }
    if !b.more || last == asked.after as i64 {
        return Ok(None);
    }
    if !b.stored {
        // Stored by this command before a crash: its follow-up is still to come.
        let at: Option<(i64,)> =
            sqlx::query_as("SELECT last_seq FROM call_cursors WHERE system_id = $1")
                .bind(&cmd.system_id)
                .fetch_optional(&mut *tx)
                .await?;
        if at != Some((last,)) {
            return Ok(None);
        }
    }
    // The PBX has more: the next batch follows at once.
    let next = CallsRetrieveParams {
        after: last as u64,
        max_records: asked.max_records,
    };
    Ok(Some(
        serde_json::to_value(next).map_err(AppError::internal)?,
    ))
}
