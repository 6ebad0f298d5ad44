//! `gespr_dat.csv`: the current list (filter and order applied) streamed page by page in
//! constant memory. UTF-8 with a byte order mark and `;` between cells, as German
//! spreadsheets open it (`,` on request); headings in the reader's language. The heading
//! goes out at once; when the reader goes away the server stops reading. Every export is
//! written to the audit log with its systems, filter and row count.

use super::csv_rows::RowWriter;
use super::filter::Filter;
use super::service::Scope;
use crate::audit::Event;
use crate::context::Ctx;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Rows read per query while exporting (below the store's 10,000 per query, as a page
/// asks for one more to know whether another follows).
const PAGE: i64 = 8000;

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
    let scope = Arc::new(e.scope);
    let mut out = RowWriter::new(&tr, &scope, e.separator, e.with_system);
    let mut rows = 0u64;
    let mut complete = false;
    let mut sent = match out.heading(&tr).and_then(|()| out.take()) {
        Ok(b) => tx.send(Ok(b)).await.is_ok(),
        Err(err) => {
            tracing::error!(error = %err, "call data export failed");
            false
        }
    };
    let mut pages = super::read::read_ahead(&st.db.native, scope.clone(), &e.filter, PAGE);
    while sent {
        let page = match pages.recv().await {
            Some(Ok(Some(p))) => p,
            Some(Ok(None)) => {
                complete = true;
                break;
            }
            Some(Err(err)) => {
                tracing::error!(error = %err, "call data export stopped: reading failed");
                let _ = tx
                    .send(Err(std::io::Error::other("the export stopped")))
                    .await;
                break;
            }
            None => {
                tracing::error!("call data export stopped: the reading task ended early");
                let _ = tx
                    .send(Err(std::io::Error::other("the export stopped")))
                    .await;
                break;
            }
        };
        let written = page
            .iter()
            .try_for_each(|r| out.row(r))
            .and_then(|()| out.take());
        match written {
            Ok(b) if !b.is_empty() => sent = tx.send(Ok(b)).await.is_ok(),
            Ok(_) => {}
            Err(err) => {
                tracing::error!(error = %err, "call data export failed");
                break;
            }
        }
        if sent {
            rows += page.len() as u64;
        }
    }
    if !complete {
        tracing::info!(
            rows,
            "call data export ended early (the reader went away or reading failed)"
        );
    }
    let systems: Vec<serde_json::Value> = scope
        .systems
        .iter()
        .take(100)
        .map(|s| s.clone().into())
        .collect();
    let ev = Event::new("calls.exported")
        .arg("systems", serde_json::Value::Array(systems))
        .arg("system_count", scope.systems.len() as i64)
        .arg("filter", e.query.clone())
        .arg("rows", rows as i64)
        .arg("complete", complete);
    let ev = if scope.systems.len() == 1 {
        ev.system(&scope.systems[0])
    } else {
        ev
    };
    if let Err(err) = ctx.audit(&st, ev).await {
        tracing::error!(error = %err, "the call data export could not be written to the audit log");
    }
}
