//! Systems › All › Telephone status and › Providers and Accounts: the lists across every
//! system the user may see, answered from stored state, filtered and paged in the database.

use super::store::{self, Fleet};
use super::views::{account_status, phone_status};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{Layout, format, render};
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
    pub words: &'static str,
    pub css: &'static str,
    pub status: String,
    pub as_of: String,
}

#[derive(Template)]
#[template(path = "fleet_registrations.html")]
struct Page {
    layout: Layout,
    phones: bool,
    path: &'static str,
    q: String,
    lines: Vec<Line>,
    total: i64,
    page: i64,
    pages: i64,
    prev: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct FleetQuery {
    q: Option<String>,
    page: Option<i64>,
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
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = store::fleet_page(
        &st.db,
        which,
        &user.company_id,
        &user.id,
        &text,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
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
                words,
                css,
                status: r.status,
                as_of: format::datetime(r.as_of),
            }
        })
        .collect();
    let (path, title) = match which {
        Fleet::Phones => ("/systems/all/phones", "Systems › All › Telephone status"),
        Fleet::Accounts => (
            "/systems/all/accounts",
            "Systems › All › Providers and Accounts",
        ),
    };
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let qs: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let link = |p: i64| format!("{path}?q={qs}&page={p}");
    Ok(render(&Page {
        layout: Layout::new(title, "systems", user),
        phones: which == Fleet::Phones,
        path,
        q: text,
        lines,
        total,
        page,
        pages,
        prev: if page > 1 {
            link(page - 1)
        } else {
            String::new()
        },
        next: if page < pages {
            link(page + 1)
        } else {
            String::new()
        },
    }))
}

pub async fn phones(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FleetQuery>,
) -> AppResult<Response> {
    list(&st, &user, Fleet::Phones, q).await
}

pub async fn accounts(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FleetQuery>,
) -> AppResult<Response> {
    list(&st, &user, Fleet::Accounts, q).await
}
