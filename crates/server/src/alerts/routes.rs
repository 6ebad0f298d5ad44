//! Alerts pages (per system, and across all systems) and their API.

use super::store::{self, AlertRow};
use crate::access::{self, Monitor, SystemAccess};
use crate::api::{ApiResult, ApiUser, ErrorBody};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::systems::gating;
use crate::web::list::{ListQuery, ListRow, ListView, SortKey};
use crate::web::{Layout, format, render};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;

/// Resolved alerts stay listed this long.
const RESOLVED_SHOWN_MS: i64 = 7 * 86_400_000;

/// Alerts need the Monitoring or Administrator role and active maintenance.
fn allowed(st: &AppState, a: &SystemAccess) -> AppResult<Monitor> {
    let cap = a.monitor()?;
    gating::require_maintenance(cap.system(), st.config.min_managed_firmware)?;
    Ok(cap)
}

pub struct Line {
    pub id: String,
    pub system_id: String,
    pub system: String,
    pub serial: String,
    pub severity: String,
    pub symbol: &'static str,
    pub message: String,
    pub kind: String,
    pub opened: String,
    opened_ms: i64,
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

impl From<AlertRow> for Line {
    fn from(a: AlertRow) -> Self {
        Line {
            symbol: symbol(&a.severity),
            open: a.resolved_at.is_none(),
            resolved: format::datetime(a.resolved_at),
            acknowledged: match (a.acknowledged_at, a.acknowledged_by) {
                (Some(t), Some(by)) => format!("{} by {by}", format::datetime(Some(t))),
                _ => String::new(),
            },
            opened: format::datetime(Some(a.opened_at)),
            opened_ms: a.opened_at,
            id: a.id,
            system_id: a.system_id,
            system: a.system_name,
            serial: a.serial,
            severity: a.severity,
            message: a.message,
            kind: a.kind,
        }
    }
}

impl ListRow for Line {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.system, self.serial, self.severity, self.message, self.kind
        )
    }

    fn sort_key(&self, key: &str) -> SortKey {
        match key {
            "severity" => SortKey::Number(match self.severity.as_str() {
                "critical" => 0,
                "warning" => 1,
                _ => 2,
            }),
            "system" => SortKey::Text(self.system.clone()),
            "alert" => SortKey::Text(self.message.clone()),
            "state" => SortKey::Number(if self.open { 0 } else { 1 }),
            _ => SortKey::Number(self.opened_ms),
        }
    }
}

const COLUMNS: &[&str] = &["severity", "system", "alert", "opened", "state"];

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
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let mut page = Page {
        layout: Layout::new(format!("Alerts › {}", a.system().name), "systems", &user),
        system_id: id.clone(),
        system_name: a.system().name.clone(),
        unavailable: String::new(),
        list: q.apply_ordered(
            Vec::new(),
            &format!("/systems/{id}/alerts"),
            COLUMNS,
            "opened",
            true,
        ),
    };
    match allowed(&st, &a) {
        Ok(_) => {
            let rows = store::of_system(&st.db, &id, st.clock.now_ms() - RESOLVED_SHOWN_MS).await?;
            page.list = q.apply_ordered(
                rows.into_iter().map(Line::from).collect(),
                &format!("/systems/{id}/alerts"),
                COLUMNS,
                "opened",
                true,
            );
            Ok(render(&page))
        }
        Err(AppError::Unavailable(why)) => {
            page.unavailable = why;
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// Systems whose alerts the user may see.
async fn alert_systems(st: &AppState, user: &CurrentUser) -> AppResult<HashSet<String>> {
    Ok(access::visible_systems(st, user)
        .await?
        .into_iter()
        .filter(|a| allowed(st, a).is_ok())
        .map(|a| a.system().id.clone())
        .collect())
}

async fn fleet_rows(st: &AppState, user: &CurrentUser) -> AppResult<Vec<AlertRow>> {
    let ids = alert_systems(st, user).await?;
    let rows = store::of_fleet(
        &st.db,
        &user.company_id,
        &user.id,
        st.clock.now_ms() - RESOLVED_SHOWN_MS,
        2000,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| ids.contains(&r.system_id))
        .collect())
}

pub async fn fleet_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let rows = fleet_rows(&st, &user).await?;
    Ok(render(&Page {
        layout: Layout::new("Systems › All › Alerts", "systems", &user),
        system_id: String::new(),
        system_name: String::new(),
        unavailable: String::new(),
        list: q.apply_ordered(
            rows.into_iter().map(Line::from).collect(),
            "/alerts",
            COLUMNS,
            "opened",
            true,
        ),
    }))
}

async fn ack(st: &AppState, user: &CurrentUser, id: &str, alert: &str) -> AppResult<()> {
    let a = access::system(st, user, id).await?;
    allowed(st, &a)?;
    if !store::acknowledge(&st.db, id, alert, &user.email, st.clock.now_ms()).await? {
        return Err(AppError::Conflict(
            "This alert does not exist here or was acknowledged already.".into(),
        ));
    }
    Ok(())
}

#[derive(serde::Deserialize, Default)]
pub struct AckForm {
    /// `all` when acknowledged on Systems › All › Alerts: the user stays on that list.
    #[serde(default)]
    from: String,
}

pub async fn acknowledge(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, alert)): Path<(String, String)>,
    axum::Form(f): axum::Form<AckForm>,
) -> AppResult<Response> {
    ack(&st, &user, &id, &alert).await?;
    let back = if f.from == "all" {
        "/alerts".to_owned()
    } else {
        format!("/systems/{id}/alerts")
    };
    Ok(Redirect::to(&back).into_response())
}

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
    pub message: String,
    pub opened_ms: i64,
    pub resolved_ms: Option<i64>,
    pub acknowledged_ms: Option<i64>,
    pub acknowledged_by: Option<String>,
}

impl From<AlertRow> for AlertJson {
    fn from(a: AlertRow) -> Self {
        AlertJson {
            id: a.id,
            system_id: a.system_id,
            system_name: a.system_name,
            kind: a.kind,
            subject: a.subject,
            severity: a.severity,
            message: a.message,
            opened_ms: a.opened_at,
            resolved_ms: a.resolved_at,
            acknowledged_ms: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
        }
    }
}

/// Open alerts of a system and those resolved in the last 7 days (Monitoring or
/// Administrator role; 409 without active maintenance).
#[utoipa::path(get, path = "/api/v1/systems/{id}/alerts", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = [AlertJson]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_system(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AlertJson>>> {
    let a = access::system(&st, &u, &id).await?;
    allowed(&st, &a)?;
    let rows = store::of_system(&st.db, &id, st.clock.now_ms() - RESOLVED_SHOWN_MS).await?;
    Ok(Json(rows.into_iter().map(AlertJson::from).collect()))
}

/// Alerts across all systems the caller may see alerts of.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "systems",
    responses((status = 200, body = [AlertJson]), (status = 401, body = ErrorBody)))]
pub async fn api_fleet(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<AlertJson>>> {
    Ok(Json(
        fleet_rows(&st, &u)
            .await?
            .into_iter()
            .map(AlertJson::from)
            .collect(),
    ))
}

/// Acknowledges an alert.
#[utoipa::path(post, path = "/api/v1/systems/{id}/alerts/{alert_id}/ack", tag = "systems",
    params(("id" = String, Path), ("alert_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn api_ack(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, alert)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    ack(&st, &u, &id, &alert).await?;
    Ok(StatusCode::NO_CONTENT)
}
