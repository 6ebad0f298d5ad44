//! Selected system › Monitoring (page and API).

use super::chart::{Series, line_chart};
use super::service::{self, Period};
use crate::access;
use crate::api::{ApiResult, ApiUser};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{Layout, format, render};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    period: Option<String>,
}

pub struct Figure {
    pub label: &'static str,
    pub current: String,
    pub min: String,
    pub avg: String,
    pub max: String,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct Page {
    layout: Layout,
    system_id: String,
    system_name: String,
    period: &'static str,
    unavailable: String,
    cpu_chart: String,
    mem_chart: String,
    figures: Vec<Figure>,
    current_at: String,
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1} %")).unwrap_or_else(|| "–".into())
}

pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let period = Period::parse(q.period.as_deref());
    let layout = Layout::new(
        format!("Monitoring › {}", a.system().name),
        "systems",
        &user,
    );
    let mut page = Page {
        layout,
        system_id: id.clone(),
        system_name: a.system().name.clone(),
        period: period.key(),
        unavailable: String::new(),
        cpu_chart: String::new(),
        mem_chart: String::new(),
        figures: Vec::new(),
        current_at: String::new(),
    };
    match service::view(&st, &a, period).await {
        Ok(v) => {
            page.cpu_chart = line_chart(
                "CPU load",
                v.from,
                v.to,
                &[Series {
                    label: "CPU load (%)",
                    class: "cpu",
                    points: &v.cpu,
                }],
            );
            page.mem_chart = line_chart(
                "Memory",
                v.from,
                v.to,
                &[Series {
                    label: "Memory in use (%)",
                    class: "mem",
                    points: &v.mem,
                }],
            );
            page.current_at = format::datetime(v.current.map(|c| c.0));
            page.figures = vec![
                Figure {
                    label: "CPU load",
                    current: pct(v.current.map(|c| c.1)),
                    min: pct(v.stats.map(|s| s.cpu_min)),
                    avg: pct(v.stats.map(|s| s.cpu_avg())),
                    max: pct(v.stats.map(|s| s.cpu_max)),
                },
                Figure {
                    label: "Memory",
                    current: pct(v.current.map(|c| c.2)),
                    min: pct(v.stats.map(|s| s.mem_min)),
                    avg: pct(v.stats.map(|s| s.mem_avg())),
                    max: pct(v.stats.map(|s| s.mem_max)),
                },
            ];
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

#[derive(Serialize, ToSchema)]
pub struct StatsJson {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

#[derive(Serialize, ToSchema)]
pub struct MonitoringJson {
    pub period: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The newest sample: `[t_ms, cpu %, mem %]`.
    pub current: Option<(i64, f64, f64)>,
    pub cpu: Option<StatsJson>,
    pub mem: Option<StatsJson>,
    /// `[t_ms, cpu %, mem %]`, averaged to at most 360 points.
    pub points: Vec<(i64, f64, f64)>,
}

/// CPU and memory of a system for `period` = hour, day, week or month (Monitoring or
/// Administrator role; 409 without maintenance or when the PBX records no system data).
#[utoipa::path(get, path = "/api/v1/systems/{id}/monitoring", tag = "systems",
    params(("id" = String, Path), ("period" = Option<String>, Query)),
    responses((status = 200, body = MonitoringJson), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody)))]
pub async fn api(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<MonitoringJson>> {
    let a = access::system(&st, &u, &id).await?;
    let period = Period::parse(q.period.as_deref());
    let v = service::view(&st, &a, period).await?;
    let points = v
        .cpu
        .iter()
        .zip(v.mem.iter())
        .map(|((t, c), (_, m))| (*t, *c, *m))
        .collect();
    Ok(Json(MonitoringJson {
        period: period.key().to_owned(),
        from_ms: v.from,
        to_ms: v.to,
        current: v.current,
        cpu: v.stats.map(|s| StatsJson {
            min: s.cpu_min,
            avg: s.cpu_avg(),
            max: s.cpu_max,
        }),
        mem: v.stats.map(|s| StatsJson {
            min: s.mem_min,
            avg: s.mem_avg(),
            max: s.mem_max,
        }),
        points,
    }))
}
