//! `/api/v1/…/alerts`: alerts of a system and across systems, and acknowledging them.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::access;
use crate::alerts::listing::{self, AlertQuery, AlertSort, Scope};
use crate::alerts::service;
use crate::alerts::store::AlertRow;
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::paging::ApiListQuery;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AlertJson {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    /// e.g. `offline`, `cpu_high`, `memory_high`, `phone_unregistered`, `account_unregistered`,
    /// `maintenance_ending`, or `pbx.<kind>` for messages from the PBX.
    pub kind: String,
    pub subject: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The alert in the language of `Accept-Language`.
    pub message: String,
    /// The message's key and arguments, for programs (absent on alerts from before keys).
    #[schema(value_type = Option<Object>)]
    pub message_key: Option<serde_json::Value>,
    pub opened_ms: i64,
    pub resolved_ms: Option<i64>,
    pub acknowledged_ms: Option<i64>,
    pub acknowledged_by: Option<String>,
}

impl AlertJson {
    fn of(a: AlertRow, tr: &crate::i18n::Tr) -> Self {
        let msg = a
            .args
            .as_deref()
            .and_then(|j| serde_json::from_str::<crate::i18n::Msg>(j).ok());
        AlertJson {
            message: a.text(tr),
            message_key: msg.map(|m| serde_json::json!({"key": m.key, "args": m.args_json()})),
            id: a.id,
            system_id: a.system_id,
            system_name: a.system_name,
            kind: a.kind,
            subject: a.subject,
            severity: a.severity,
            opened_ms: a.opened_at,
            resolved_ms: a.resolved_at,
            acknowledged_ms: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
        }
    }
}

/// A page of alerts.
#[derive(Serialize, ToSchema)]
pub struct AlertsPage {
    pub items: Vec<AlertJson>,
    /// Alerts that match `q` (on all pages).
    pub total: i64,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

async fn page(
    st: &AppState,
    u: &crate::context::Ctx,
    scope: Scope<'_>,
    q: &ApiListQuery,
) -> ApiResult<Json<AlertsPage>> {
    let c = q.check(AlertSort::KEYS, "opened", true, |s| {
        AlertSort::parse(s).is_text()
    })?;
    let tr = u.tr();
    let found = listing::page(
        st,
        scope,
        &AlertQuery {
            text: &q.q,
            sort: AlertSort::parse(&c.sort),
            desc: c.desc,
            cursor: Some(&q.cursor),
            limit: c.limit,
        },
        &tr,
    )
    .await?;
    Ok(Json(AlertsPage {
        items: found
            .rows
            .into_iter()
            .map(|a| AlertJson::of(a, &tr))
            .collect(),
        total: found.matching,
        next_cursor: found.next,
    }))
}

/// Open alerts of a system and those resolved in the last 7 days (Monitoring or
/// Administrator role; 409 without active maintenance), newest first. `sort`: `opened`
/// (default, descending), `severity`, `alert` or `state`.
#[utoipa::path(get, path = "/api/v1/systems/{id}/alerts", tag = "systems", params(("id" = String, Path), ApiListQuery),
    responses((status = 200, body = AlertsPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_system(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    Query(q): Query<ApiListQuery>,
) -> ApiResult<Json<AlertsPage>> {
    let cap = access::require::<access::feature::Monitoring>(&st, &u, &id).await?;
    page(&st, &u, Scope::System(&cap), &q).await
}

/// Alerts across all systems the caller may see alerts of, newest first. `sort`: `opened`
/// (default, descending), `severity`, `system`, `alert` or `state`.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "systems", params(ApiListQuery),
    responses((status = 200, body = AlertsPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_fleet(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ApiListQuery>,
) -> ApiResult<Json<AlertsPage>> {
    page(&st, &u, Scope::Fleet(&u), &q).await
}

/// Acknowledges an alert.
#[utoipa::path(post, path = "/api/v1/systems/{id}/alerts/{alert_id}/ack", tag = "systems",
    params(("id" = String, Path), ("alert_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_ack(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, alert)): Path<(SystemId, String)>,
) -> ApiResult<StatusCode> {
    let cap = access::require::<access::feature::Monitoring>(&st, &u, &id).await?;
    service::ack(&st, &cap, &u, &alert).await?;
    Ok(StatusCode::NO_CONTENT)
}
