//! Selected system › Registration status (page and refresh).

use super::service;
use super::views::{AccountLine, PhoneLine, account_status, kind_label, phone_status};
use crate::access;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::list::{ListQuery, ListView};
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "registrations.html")]
struct Page {
    layout: Layout,
    system_id: String,
    system_name: String,
    unavailable: String,
    notice: String,
    /// Why the PBX's last report could not be taken (e.g. too large for protocol v1).
    problem: String,
    as_of: String,
    phones: ListView<PhoneLine>,
    accounts: ListView<AccountLine>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    #[serde(flatten)]
    list: ListQuery,
    notice: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let tr = user.tr();
    let path = format!("/systems/{id}/registrations");
    let loaded = match a.clone().require::<access::feature::Registrations>(&st) {
        Ok(cap) => service::load(&st, &cap).await,
        Err(e) => Err(e),
    };
    let (phones, accounts, as_of, unavailable) = match loaded {
        Ok((p, ac, at)) => (p, ac, at, String::new()),
        Err(AppError::Unavailable(why)) => (Vec::new(), Vec::new(), None, tr.msg(&why)),
        Err(e) => return Err(e),
    };
    let phones = phones
        .into_iter()
        .map(|p| {
            let (symbol, words, css) = phone_status(&p.status);
            PhoneLine {
                name: p.name,
                mac: p.mac,
                kind: tr.t(kind_label(&p.kind)),
                symbol,
                words: tr.t(words),
                css,
                status: p.status,
            }
        })
        .collect();
    let accounts = accounts
        .into_iter()
        .map(|ac| {
            let (symbol, words, css) = account_status(&ac.status);
            AccountLine {
                account: ac.account,
                provider: ac.provider,
                symbol,
                words: tr.t(words),
                css,
                status: ac.status,
            }
        })
        .collect();
    let mut resp = render(&Page {
        layout: Layout::new(
            tr.t1("registrations-title", "name", &a.system().name),
            "systems",
            &user,
        ),
        system_id: id.to_string(),
        system_name: a.system().name.clone(),
        notice: q.notice.unwrap_or_default().chars().take(200).collect(),
        problem: a.system().registrations_problem.clone().unwrap_or_default(),
        as_of: tr.datetime(as_of),
        phones: q
            .list
            .apply(phones, &path, &["name", "mac", "status"], "name"),
        accounts: q.list.apply(
            accounts,
            &path,
            &["account", "provider", "status"],
            "account",
        ),
        unavailable: unavailable.clone(),
    });
    if !unavailable.is_empty() {
        *resp.status_mut() = StatusCode::CONFLICT;
    }
    Ok(resp)
}

/// "Refresh": ask the PBX now.
pub async fn refresh(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let refreshed = match a.require::<access::feature::Registrations>(&st) {
        Ok(cap) => service::refresh(&st, &cap).await,
        Err(e) => Err(e),
    };
    let tr = user.tr();
    let notice = match refreshed {
        Ok(()) => tr.t("registrations-refreshed"),
        Err(AppError::Unavailable(why)) => tr.msg(&why),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/systems/{id}/registrations"),
        &notice,
        "",
    ))
}
