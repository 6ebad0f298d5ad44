//! `gespr_dat.csv`: the current list (filter and order applied) streamed page by page in
//! constant memory. UTF-8 with a byte order mark and `;` between cells, as German
//! spreadsheets open it (`,` on request); headings in the reader's language. The heading
//! goes out at once; when the reader goes away the server stops reading. Every export is
//! written to the audit log with its systems, filter and row count.

use super::filter::{Filter, Key};
use super::service::{self, Scope};
use super::views;
use crate::audit::Event;
use crate::context::Ctx;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// Rows read per query while exporting.
const PAGE: i64 = 5000;

/// What is exported: whose records, with which filter (the query string, for the log).
pub struct Export {
    pub scope: Scope,
    pub filter: Filter,
    pub query: String,
    /// `b';'` or `b','`.
    pub separator: u8,
    /// Call data › All: a System column first.
    pub with_system: bool,
}

pub fn separator(text: &str) -> u8 {
    if text == "," || text == "comma" {
        b','
    } else {
        b';'
    }
}

fn encode(sep: u8, rows: &[Vec<String>], bom: bool) -> Result<Bytes, csv::Error> {
    let mut out = Vec::with_capacity(rows.len() * 120 + 3);
    if bom {
        out.extend_from_slice("\u{FEFF}".as_bytes());
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(sep)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// The streamed answer.
pub fn response(st: AppState, ctx: Ctx, export: Export) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(produce(st, ctx, export, tx));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"gespr_dat.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn produce(
    st: AppState,
    ctx: Ctx,
    e: Export,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let tr = ctx.tr();
    let labels = views::Labels::new(&tr);
    let mut rows = 0u64;
    let mut complete = false;
    let head = encode(e.separator, &[views::headings(&tr, e.with_system)], true);
    let mut sent = match head {
        Ok(b) => tx.send(Ok(b)).await.is_ok(),
        Err(err) => {
            tracing::error!(error = %err, "call data export failed");
            false
        }
    };
    let mut after: Option<Key> = None;
    while sent {
        let (page, next) = match service::page(&st, &e.scope, &e.filter, after.as_ref(), PAGE).await
        {
            Ok(p) => p,
            Err(err) => {
                tracing::error!(error = %err, "call data export stopped: reading failed");
                let _ = tx
                    .send(Err(std::io::Error::other("the export stopped")))
                    .await;
                break;
            }
        };
        let n = page.len() as u64;
        let cells: Vec<Vec<String>> = page
            .into_iter()
            .map(|r| views::cells(&views::line(&tr, &labels, &e.scope, r), e.with_system))
            .collect();
        match encode(e.separator, &cells, false) {
            Ok(b) if !b.is_empty() => sent = tx.send(Ok(b)).await.is_ok(),
            Ok(_) => {}
            Err(err) => {
                tracing::error!(error = %err, "call data export failed");
                break;
            }
        }
        if sent {
            rows += n;
        }
        match next {
            Some(k) if sent => after = Some(k),
            _ => {
                complete = sent;
                break;
            }
        }
    }
    if !complete {
        tracing::info!(
            rows,
            "call data export ended early (the reader went away or reading failed)"
        );
    }
    let systems: Vec<serde_json::Value> = e
        .scope
        .systems
        .iter()
        .take(100)
        .map(|s| s.clone().into())
        .collect();
    let ev = Event::new("calls.exported")
        .arg("systems", serde_json::Value::Array(systems))
        .arg("system_count", e.scope.systems.len() as i64)
        .arg("filter", e.query.clone())
        .arg("rows", rows as i64)
        .arg("complete", complete);
    let ev = if e.scope.systems.len() == 1 {
        ev.system(&e.scope.systems[0])
    } else {
        ev
    };
    if let Err(err) = ctx.audit(&st, ev).await {
        tracing::error!(error = %err, "the call data export could not be written to the audit log");
    }
}
