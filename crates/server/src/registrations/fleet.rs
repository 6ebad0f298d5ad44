//! Systems › All › Telephone status and › Providers and Accounts: the lists across every
//! system the user may see, answered from stored state, filtered and paged in the database.

use super::store::{self, Fleet};
use super::views::{account_status, phone_status};
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

pub const PAGE_SIZE: i64 = 100;

pub struct Line {
    pub system_id: String,
    pub system: String,
    pub serial: String,
    pub name: String,
    pub detail: String,
    pub symbol: &'static str,
    pub words: String,
    pub css: &'static str,
    pub status: String,
    pub kind: String,
    pub as_of: String,
}

/// A sortable column header.
pub struct Column {
    pub label: String,
    pub href: String,
    /// `ascending`, `descending` or `none`.
    pub aria: &'static str,
    pub arrow: &'static str,
}

#[derive(Template)]
#[template(path = "fleet_registrations.html")]
struct Page {
    layout: Layout,
    phones: bool,
    path: &'static str,
    q: String,
    sort: String,
    desc: bool,
    columns: Vec<Column>,
    lines: Vec<Line>,
    total: i64,
    /// The first page's address, when this is a later page.
    first: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct FleetQuery {
    q: Option<String>,
    cursor: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

async fn list(
    st: &AppState,
    user: &CurrentUser,
    which: Fleet,
    q: FleetQuery,
) -> AppResult<Response> {
    let text =
        q.q.unwrap_or_default()
            .chars()
            .take(100)
            .collect::<String>();
    let sort = q
        .sort
        .as_deref()
        .filter(|s| store::FLEET_SORT.contains(s))
        .unwrap_or("system")
        .to_owned();
    let desc = q.dir.as_deref() == Some("desc");
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let found = super::fleet_query::page(
        st,
        user,
        which,
        &super::fleet_query::FleetQuery {
            text: &text,
            sort: &sort,
            desc,
            cursor,
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let (rows, total) = (found.rows, found.total);
    let tr = user.tr();
    let lines = rows
        .into_iter()
        .map(|r| {
            let (symbol, words, css) = match which {
                Fleet::Phones => phone_status(&r.status),
                Fleet::Accounts => account_status(&r.status),
            };
            Line {
                system_id: r.system_id,
                system: r.system_name,
                serial: r.serial,
                name: r.name,
                detail: r.detail,
                symbol,
                words: tr.t(words),
                css,
                status: r.status,
                kind: if r.kind.is_empty() {
                    String::new()
                } else {
                    tr.t(super::views::kind_label(&r.kind))
                },
                as_of: tr.datetime(r.as_of),
            }
        })
        .collect();
    let (path, title) = match which {
        Fleet::Phones => ("/systems/all/phones", "fleet-phones-title"),
        Fleet::Accounts => ("/systems/all/accounts", "fleet-accounts-title"),
    };
    let qs: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let dir = if desc { "desc" } else { "asc" };
    let link = |cursor: &str| format!("{path}?q={qs}&sort={sort}&dir={dir}&cursor={cursor}");
    let labels: &[(&str, &'static str)] = match which {
        Fleet::Phones => &[
            ("system", "col-system"),
            ("name", "col-name"),
            ("detail", "info-mac"),
            ("type", "groups-type"),
            ("status", "registrations-status"),
            ("as_of", "registrations-as-of"),
        ],
        Fleet::Accounts => &[
            ("system", "col-system"),
            ("name", "registrations-account"),
            ("detail", "registrations-provider"),
            ("status", "registrations-status"),
            ("as_of", "registrations-as-of"),
        ],
    };
    let columns = labels
        .iter()
        .map(|(key, label)| {
            let active = *key == sort;
            let next = if active && !desc { "desc" } else { "asc" };
            Column {
                label: tr.t(label),
                href: format!("{path}?q={qs}&sort={key}&dir={next}"),
                aria: match (active, desc) {
                    (false, _) => "none",
                    (true, false) => "ascending",
                    (true, true) => "descending",
                },
                arrow: match (active, desc) {
                    (false, _) => "",
                    (true, false) => "▲",
                    (true, true) => "▼",
                },
            }
        })
        .collect();
    Ok(render(&Page {
        layout: Layout::page(title, "systems", user),
        phones: which == Fleet::Phones,
        path,
        q: text,
        sort: sort.clone(),
        desc,
        columns,
        lines,
        total,
        first: if cursor.is_some() {
            link("")
        } else {
            String::new()
        },
        next: found.next.as_deref().map(link).unwrap_or_default(),
    }))
}

pub async fn phones(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<FleetQuery>,
) -> AppResult<Response> {
    list(&st, &user, Fleet::Phones, q).await
}

pub async fn accounts(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<FleetQuery>,
) -> AppResult<Response> {
    list(&st, &user, Fleet::Accounts, q).await
}
