//! Alerts pages: per system, and across all systems (Systems › All › Alerts).

use super::listing::{self, AlertQuery, AlertSort, Scope};
use super::service;
use super::store::AlertRow;
use crate::access;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{Msg, Tr};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::list::{ListQuery, ListView};
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub struct Line {
    pub id: String,
    pub system_id: String,
    pub system: String,
    pub serial: String,
    pub severity: String,
    pub severity_words: String,
    pub symbol: &'static str,
    pub message: String,
    pub kind: String,
    pub opened: String,
    pub resolved: String,
    pub open: bool,
    pub acknowledged: String,
}

fn symbol(severity: &str) -> &'static str {
    match severity {
        "critical" => "✖",
        "warning" => "⚠",
        _ => "ℹ",
    }
}

impl Line {
    fn of(a: AlertRow, tr: &Tr) -> Self {
        Line {
            symbol: symbol(&a.severity),
            severity_words: tr.t(&format!("severity-{}", a.severity)),
            open: a.resolved_at.is_none(),
            resolved: tr.datetime(a.resolved_at),
            acknowledged: match (a.acknowledged_at, &a.acknowledged_by) {
                (Some(t), Some(by)) => tr.msg(
                    &Msg::new("alerts-acknowledged-by")
                        .time("at", t)
                        .text("by", by.clone()),
                ),
                _ => String::new(),
            },
            message: a.text(tr),
            opened: tr.datetime(Some(a.opened_at)),
            id: a.id,
            system_id: a.system_id,
            system: a.system_name,
            serial: a.serial,
            severity: a.severity,
            kind: a.kind,
        }
    }
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct Page {
    layout: Layout,
    /// Set on a system's page; empty for all systems.
    system_id: String,
    system_name: String,
    unavailable: String,
    list: ListView<Line>,
}

pub async fn system_page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let tr = user.tr();
    let path = format!("/systems/{id}/alerts");
    let mut page = Page {
        layout: Layout::new(
            tr.t1("alerts-title-system", "name", &a.system().name),
            "systems",
            &user,
        ),
        system_id: id.to_string(),
        system_name: a.system().name.clone(),
        unavailable: String::new(),
        list: q.page(
            q.resolve(AlertSort::KEYS, "opened", true),
            Vec::new(),
            (0, 0),
            None,
            &path,
        ),
    };
    match service::allowed(&st, &a) {
        Ok(cap) => {
            page.list = list(&st, Scope::System(&cap), &q, &tr, &path).await?;
            Ok(render(&page))
        }
        Err(AppError::Unavailable(why)) => {
            page.unavailable = tr.msg(&why);
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// One page of alerts in `scope` as the list shows it (newest first unless sorted).
async fn list(
    st: &AppState,
    scope: Scope<'_>,
    q: &ListQuery,
    tr: &Tr,
    path: &str,
) -> AppResult<ListView<Line>> {
    let r = q.resolve(AlertSort::KEYS, "opened", true);
    let found = listing::page(
        st,
        scope,
        &AlertQuery {
            text: &r.q,
            sort: AlertSort::parse(&r.sort),
            desc: r.desc,
            cursor: q.cursor.as_deref(),
            limit: crate::web::paging::PAGE_ROWS,
        },
        tr,
    )
    .await?;
    let lines = found.rows.into_iter().map(|r| Line::of(r, tr)).collect();
    Ok(q.page(r, lines, (found.matching, found.total), found.next, path))
}

/// Systems › All › Alerts: the systems whose alerts the user may see.
pub async fn fleet_page(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let tr = user.tr();
    Ok(render(&Page {
        layout: Layout::page("alerts-title-all", "systems", &user),
        system_id: String::new(),
        system_name: String::new(),
        unavailable: String::new(),
        list: list(&st, Scope::Fleet(&user), &q, &tr, "/alerts").await?,
    }))
}

#[derive(serde::Deserialize, Default)]
pub struct AckForm {
    /// `all` when acknowledged on Systems › All › Alerts: the user stays on that list.
    #[serde(default)]
    from: String,
}

pub async fn acknowledge(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, alert)): Path<(SystemId, String)>,
    axum::Form(f): axum::Form<AckForm>,
) -> AppResult<Response> {
    let cap = access::require::<access::feature::Monitoring>(&st, &user, &id).await?;
    service::ack(&st, &cap, &user, &alert).await?;
    let back = if f.from == "all" {
        "/alerts".to_owned()
    } else {
        format!("/systems/{id}/alerts")
    };
    Ok(Redirect::to(&back).into_response())
}
