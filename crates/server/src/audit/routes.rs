//! Administration › Audit log (page and CSV) and `GET /api/v1/audit`: the same filters and
//! the same rule of who sees what ([`scope`]).

use super::chain::Entry;
use super::store::{self, Filter, Scope};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The platform operator sees the installation; everybody else their own actions and the
/// entries of the systems they own or administer.
pub fn scope(user: &Ctx) -> Scope {
    if user.is_operator {
        return Scope::All;
    }
    Scope::Own {
        user_id: user.id.to_string(),
        company_id: user.company_id.to_string(),
    }
}

/// The page's query: the filter with dates as the user types them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub what: String,
    #[serde(default)]
    pub system: String,
    /// `YYYY-MM-DD` in the user's time zone, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD` in the user's time zone, inclusive.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub order: String,
    /// The sequence number of the last entry of the page before.
    pub cursor: Option<i64>,
}

fn day_start(user: &Ctx, text: &str, plus_days: i64) -> AppResult<Option<i64>> {
    crate::i18n::day_start(user.tz, text, plus_days as u64)
        .map_err(|_| AppError::BadRequest(crate::msg!("err-audit-date", value = text.trim())))
}

impl PageQuery {
    fn filter(&self, user: &Ctx) -> AppResult<Filter> {
        Ok(Filter {
            who: self.who.clone(),
            what: self.what.clone(),
            system: self.system.clone(),
            from: day_start(user, &self.from, 0)?,
            to: day_start(user, &self.to, 1)?,
            order: self.order.clone(),
            page: None,
            cursor: self.cursor,
            per_page: Some(PER_PAGE),
        })
    }

    /// This filter's page after entry `after` (the first page without).
    fn link(&self, after: Option<i64>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("who", &self.who)
            .append_pair("what", &self.what)
            .append_pair("system", &self.system)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("order", &self.order);
        if let Some(seq) = after {
            q.append_pair("cursor", &seq.to_string());
        }
        format!("/admin/audit?{}", q.finish())
    }
}

/// One entry as a page or the CSV shows it.
pub struct Line {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub kind: String,
    pub action: String,
    pub what: String,
    pub system: String,
    pub details: String,
    pub ip: String,
    pub request_id: String,
}

impl Line {
    pub fn of(e: Entry, tr: &Tr) -> Self {
        let what = super::action_text(tr, &e.action);
        Line {
            seq: e.seq,
            at: tr.datetime(Some(e.at)),
            who: e.actor_label,
            kind: tr.t(&format!("audit-actor-{}", e.actor_kind)),
            what,
            action: e.action,
            system: e.system_id,
            details: if e.args == "{}" {
                String::new()
            } else {
                e.args
            },
            ip: e.ip,
            request_id: e.request_id,
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Page {
    layout: Layout,
    q: PageQuery,
    lines: Vec<Line>,
    total: i64,
    first: String,
    next: String,
    csv: String,
    error: String,
}

pub async fn page(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let tr = user.tr();
    let scope = scope(&user);
    let (lines, total, error) = match q.filter(&user) {
        Ok(f) => {
            let (rows, total) = store::list(&st.db, &scope, &f, PER_PAGE, 0).await?;
            let lines: Vec<Line> = rows.into_iter().map(|e| Line::of(e, &tr)).collect();
            (lines, total, String::new())
        }
        Err(e) => (Vec::new(), 0, e.text(&tr)),
    };
    let next = match lines.last() {
        Some(last) if lines.len() as i64 == PER_PAGE => q.link(Some(last.seq)),
        _ => String::new(),
    };
    let first = if q.cursor.is_some() {
        q.link(None)
    } else {
        String::new()
    };
    let csv = q
        .link(None)
        .replacen("/admin/audit?", "/admin/audit.csv?", 1);
    Ok(render(&Page {
        layout: Layout::page("audit-title", "audit", &user),
        first,
        next,
        q,
        lines,
        total,
        csv,
        error,
    }))
}

/// Entries per page.
const PER_PAGE: i64 = 50;

/// The most rows one CSV export holds; narrow the filter for more.
pub const CSV_LIMIT: i64 = 100_000;

pub async fn csv(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let tr = user.tr();
    let scope = scope(&user);
    let f = q.filter(&user)?;
    let (rows, _) = store::list(&st.db, &scope, &f, CSV_LIMIT, 0).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "audit-col-seq",
        "audit-col-time",
        "audit-col-who",
        "audit-col-kind",
        "audit-col-action",
        "audit-col-what",
        "audit-col-system",
        "audit-col-details",
        "audit-col-address",
        "audit-col-request",
    ];
    w.write_record(head.iter().map(|k| tr.t(k)))
        .map_err(AppError::internal)?;
    for e in rows {
        let l = Line::of(e, &tr);
        w.write_record(
            [
                l.seq.to_string(),
                l.at,
                l.who,
                l.kind,
                l.action,
                l.what,
                l.system,
                l.details,
                l.ip,
                l.request_id,
            ]
            .map(|cell| crate::web::inert_cell(&cell)),
        )
        .map_err(AppError::internal)?;
    }
    let body = w.into_inner().map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"zentrale-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
