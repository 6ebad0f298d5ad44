//! `/api/v1/systems/{id}/monitoring`: CPU and memory of a system for a period.

use super::{ApiResult, ApiUser};
use crate::access;
use crate::ids::SystemId;
use crate::monitoring::ingest::round1;
use crate::monitoring::routes::PeriodQuery;
use crate::monitoring::service::{self, Period};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

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
    responses((status = 200, body = MonitoringJson), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn api(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    super::ApiQuery(q): super::ApiQuery<PeriodQuery>,
) -> ApiResult<Json<MonitoringJson>> {
    let cap = access::require::<access::feature::Monitoring>(&st, &u, &id).await?;
    let period = Period::parse(q.period.as_deref());
    let v = service::view(&st, &cap, period).await?;
    let points = v
        .cpu
        .iter()
        .zip(v.mem.iter())
        .map(|((t, c), (_, m))| (*t, round1(*c), round1(*m)))
        .collect();
    Ok(Json(MonitoringJson {
        period: period.key().to_owned(),
        from_ms: v.from,
        to_ms: v.to,
        current: v.current.map(|(t, c, m)| (t, round1(c), round1(m))),
        cpu: v.stats.map(|s| StatsJson {
            min: round1(s.cpu_min),
            avg: round1(s.cpu_avg()),
            max: round1(s.cpu_max),
        }),
        mem: v.stats.map(|s| StatsJson {
            min: round1(s.mem_min),
            avg: round1(s.mem_avg()),
            max: round1(s.mem_max),
        }),
        points,
    }))
}
