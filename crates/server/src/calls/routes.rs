//! Selected system › Call data and Call data › All: the manual's list with its filter,
//! sorting by each column, pages by key, "Retrieve now", the export behind the legal
//! notes, and the company's privacy settings.

use super::export::{self, Export};
use super::filter::{ListQuery, Sort};
use super::service::{self, Scope};
use super::views::{CallLine, line};
use crate::access::{self, feature::CallData};
use crate::commands::views::CommandLine;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use zentrale_protocol::calls::CallDirection;

/// Rows per page of the list.
const PER_PAGE: i64 = 50;

/// A column heading: its label, the link that sorts by it, and how it sorts now.
pub struct Heading {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (for aria-sort).
    pub sorted: &'static str,
}

#[derive(Template)]
#[template(path = "calls.html")]
struct Page {
    layout: Layout,
    /// Empty for Call data › All.
    system_id: String,
    system_name: String,
    base: String,
    unavailable: String,
    notice: String,
    error: String,
    q: ListQuery,
    headings: Vec<Heading>,
    lines: Vec<CallLine>,
    next: String,
    first: String,
    csv: String,
    directions: Vec<(&'static str, String)>,
    running: Vec<CommandLine>,
    retrieved_at: String,
    records: i64,
    left_out: usize,
    masked: bool,
    privacy: Option<(i64, i64)>,
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: String,
}

fn headings(base: &str, q: &ListQuery) -> Vec<Heading> {
    Sort::ALL
        .iter()
        .map(|s| {
            let current = if q.sort.is_empty() { "time" } else { &q.sort };
            let on = current == s.key();
            let desc = q.order != "asc";
            let mut link = q.clone();
            link.cursor.clear();
            link.sort = s.key().to_owned();
            link.order = if on && desc { "asc" } else { "desc" }.to_owned();
            Heading {
                label: s.label(),
                href: format!("{base}?{}", link.without_cursor()),
                sorted: match (on, desc) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect()
}

fn new_page(user: &Ctx, title: String, system: Option<(&str, &str)>, q: ListQuery) -> Page {
    let tr = user.tr();
    let base = match system {
        Some((id, _)) => format!("/systems/{id}/calls"),
        None => "/calls".to_owned(),
    };
    let csv = format!("{base}.csv?{}", q.without_cursor());
    Page {
        layout: Layout::new(title, "systems", user),
        system_id: system.map(|s| s.0.to_owned()).unwrap_or_default(),
        system_name: system.map(|s| s.1.to_owned()).unwrap_or_default(),
        headings: headings(&base, &q),
        first: format!("{base}?{}", q.without_cursor()),
        base,
        unavailable: String::new(),
        notice: String::new(),
        error: String::new(),
        lines: Vec::new(),
        next: String::new(),
        csv,
        directions: CallDirection::ALL
            .iter()
            .map(|d| {
                let key = d.as_str();
                (
                    key,
                    tr.t(&format!("calls-direction-{}", key.replace('_', "-"))),
                )
            })
            .collect(),
        running: Vec::new(),
        retrieved_at: String::new(),
        records: 0,
        left_out: 0,
        masked: false,
        privacy: None,
        q,
    }
}

/// Fills the page's rows (a filter the list does not know shows as an error above it).
async fn fill(st: &AppState, user: &Ctx, page: &mut Page, scope: &Scope) -> AppResult<()> {
    let tr = user.tr();
    page.masked = scope.systems.iter().any(|s| scope.mask_of(s) > 0);
    let parsed = page
        .q
        .filter(user)
        .and_then(|f| page.q.key(&f).map(|k| (f, k)));
    let (f, key) = match parsed {
        Ok(x) => x,
        Err(AppError::BadRequest(m)) => {
            page.error = tr.msg(&m);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let (rows, next) = service::page(st, scope, &f, key.as_ref(), PER_PAGE).await?;
    let labels = super::views::Labels::new(&tr);
    page.lines = rows
        .into_iter()
        .map(|r| line(&tr, &labels, scope, r))
        .collect();
    if let Some(k) = next {
        let mut q = page.q.clone();
        q.cursor = k.encode();
        let more: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("cursor", &q.cursor)
            .finish();
        let rest = q.without_cursor();
        page.next = if rest.is_empty() {
            format!("{}?{more}", page.base)
        } else {
            format!("{}?{rest}&{more}", page.base)
        };
    }
    Ok(())
}

pub async fn system_page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<ListQuery>,
    Query(n): Query<Notice>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let tr = user.tr();
    let name = a.system().name.clone();
    let mut page = new_page(
        &user,
        tr.t1("calls-title", "name", &name),
        Some((&id.to_string(), &name)),
        q,
    );
    page.notice = n.notice.chars().take(300).collect();
    let cap = match a.require::<CallData>(&st) {
        Ok(cap) => cap,
        Err(AppError::Unavailable(why)) => {
            page.unavailable = tr.msg(&why);
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::CONFLICT;
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    if let Some(c) = super::store::cursor(&st.db, cap.id()).await? {
        page.retrieved_at = tr.datetime(c.retrieved_at);
        page.records = c.records;
    }
    page.running = crate::commands::store::of_system(&st.db, cap.id(), None, 20)
        .await?
        .iter()
        .filter(|c| c.is_open() && c.kind.starts_with("calls."))
        .map(|c| crate::commands::views::line(&tr, c, &name))
        .collect();
    let scope = service::scope_one(&st, &cap).await?;
    fill(&st, &user, &mut page, &scope).await?;
    Ok(render(&page))
}

pub async fn all_page(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<ListQuery>,
    Query(n): Query<Notice>,
) -> AppResult<Response> {
    let tr = user.tr();
    let mut page = new_page(&user, tr.t("calls-all-title"), None, q);
    page.notice = n.notice.chars().take(300).collect();
    let scope = service::scope_all(&st, &user).await?;
    page.left_out = scope.left_out;
    if can_set_privacy(&st, &user).await? {
        page.privacy = Some(service::privacy(&st, &user).await?);
    }
    fill(&st, &user, &mut page, &scope).await?;
    Ok(render(&page))
}

async fn can_set_privacy(st: &AppState, user: &Ctx) -> AppResult<bool> {
    Ok(access::managed_systems(st, user)
        .await?
        .iter()
        .any(|a| a.system().company_id == user.company_id))
}

pub async fn retrieve(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let cap = access::require::<CallData>(&st, &user, &id).await?;
    let notice = match super::retrieval::retrieve_now(&st, &user, &cap).await {
        Ok(_) => user.tr().t("calls-retrieve-started"),
        Err(AppError::Conflict(m) | AppError::Unavailable(m)) => user.tr().msg(&m),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/systems/{id}/calls"),
        &notice,
        "",
    ))
}

/// "Retrieve now" on Call data › All: a retrieval for every listed system.
pub async fn retrieve_all(State(st): State<AppState>, user: Ctx) -> AppResult<Response> {
    let scope = service::scope_all(&st, &user).await?;
    let started = super::retrieval::retrieve_all(&st, &user, &scope).await?;
    let tr = user.tr();
    let mut notice = tr.tn(
        "calls-retrieve-all-started",
        "count",
        started.commands.len() as i64,
    );
    if started.busy > 0 {
        notice = format!(
            "{notice} {}",
            tr.tn("calls-retrieve-all-busy", "count", started.busy as i64)
        );
    }
    Ok(crate::web::back_with_notice("/calls", &notice, ""))
}

/// Where the legal notes send the reader after confirming: back to the export they asked
/// for (a path of this site only).
fn legal_redirect(next: &str) -> Response {
    let q: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/calls/legal?next={q}")).into_response()
}

fn safe_next(next: &str) -> Option<&str> {
    let ok = (next.starts_with("/systems/") || next.starts_with("/calls"))
        && !next.contains("//")
        && !next.contains('\\')
        && next.contains(".csv")
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

pub async fn system_csv(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let cap = access::require::<CallData>(&st, &user, &id).await?;
    if !service::legal_confirmed(&st, &user).await? {
        return Ok(legal_redirect(&format!(
            "/systems/{id}/calls.csv?{}",
            with_separator(&q)
        )));
    }
    let scope = service::scope_one(&st, &cap).await?;
    Ok(export::response(
        st,
        user.clone(),
        export_of(&user, scope, &q, false)?,
    ))
}

pub async fn all_csv(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    if !service::legal_confirmed(&st, &user).await? {
        return Ok(legal_redirect(&format!(
            "/calls.csv?{}",
            with_separator(&q)
        )));
    }
    let scope = service::scope_all(&st, &user).await?;
    Ok(export::response(
        st,
        user.clone(),
        export_of(&user, scope, &q, true)?,
    ))
}

fn with_separator(q: &ListQuery) -> String {
    let rest = q.without_cursor();
    if q.separator.is_empty() {
        rest
    } else {
        let sep: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("separator", &q.separator)
            .finish();
        if rest.is_empty() {
            sep
        } else {
            format!("{rest}&{sep}")
        }
    }
}

/// The export of `q` over `scope` (the filter checked first: a bad one is a 400).
pub fn export_of(user: &Ctx, scope: Scope, q: &ListQuery, with_system: bool) -> AppResult<Export> {
    let filter = q.filter(user)?;
    Ok(Export {
        filter: service::effective(&scope, &filter),
        scope,
        query: q.without_cursor(),
        separator: export::separator(&q.separator),
        with_system,
    })
}

#[derive(Template)]
#[template(path = "calls_legal.html")]
struct Legal {
    layout: Layout,
    next: String,
    confirmed_at: String,
}

#[derive(serde::Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

pub async fn legal_page(
    State(st): State<AppState>,
    user: Ctx,
    Query(n): Query<Next>,
) -> AppResult<Response> {
    let at =
        super::store::confirmed_at(&st.db, &user.id.to_string(), service::LEGAL_NOTICE).await?;
    Ok(render(&Legal {
        layout: Layout::page("calls-legal-title", "systems", &user),
        next: safe_next(&n.next).unwrap_or("/calls").to_owned(),
        confirmed_at: user.tr().datetime(at),
    }))
}

#[derive(serde::Deserialize)]
pub struct LegalForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    confirm: String,
}

pub async fn legal_confirm(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<LegalForm>,
) -> AppResult<Response> {
    if f.confirm != "yes" {
        return Err(AppError::BadRequest(crate::msg!("calls-legal-not-ticked")));
    }
    service::confirm_legal(&st, &user).await?;
    Ok(Redirect::to(safe_next(&f.next).unwrap_or("/calls")).into_response())
}

#[derive(serde::Deserialize)]
pub struct PrivacyForm {
    #[serde(default)]
    retention_days: String,
    #[serde(default)]
    mask_digits: String,
}

pub async fn privacy(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<PrivacyForm>,
) -> AppResult<Response> {
    let num = |s: &str| -> AppResult<i64> {
        match s.trim() {
            "" => Ok(0),
            t => t
                .parse()
                .map_err(|_| AppError::BadRequest(crate::msg!("calls-bad-number", value = t))),
        }
    };
    let tr = user.tr();
    let done = match (num(&f.retention_days), num(&f.mask_digits)) {
        (Ok(d), Ok(m)) => service::set_privacy(&st, &user, d, m).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let notice = match done {
        Ok(()) => tr.t("calls-privacy-saved"),
        Err(AppError::BadRequest(m)) => tr.msg(&m),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice("/calls", &notice, ""))
}
