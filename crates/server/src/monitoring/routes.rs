//! Selected system › Monitoring (the page; the API is `api/monitoring.rs`).

use super::chart::{Series, line_chart};
use super::service::{self, Period};
use crate::access;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    pub period: Option<String>,
}

pub struct Figure {
    /// `cpu` or `memory` (for tests and styles).
    pub key: &'static str,
    pub label: String,
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

fn pct(tr: &Tr, v: Option<f64>) -> String {
    v.map(|v| format!("{} %", tr.number(v, 1)))
        .unwrap_or_else(|| "–".into())
}

pub async fn page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let period = Period::parse(q.period.as_deref());
    let tr = user.tr();
    let layout = Layout::new(
        tr.t1("monitoring-title", "name", &a.system().name),
        "systems",
        &user,
    );
    let mut page = Page {
        layout,
        system_id: id.to_string(),
        system_name: a.system().name.clone(),
        period: period.key(),
        unavailable: String::new(),
        cpu_chart: String::new(),
        mem_chart: String::new(),
        figures: Vec::new(),
        current_at: String::new(),
    };
    let viewed = match a.clone().require::<access::feature::Monitoring>(&st) {
        Ok(cap) => service::view(&st, &cap, period).await,
        Err(e) => Err(e),
    };
    match viewed {
        Ok(v) => {
            page.cpu_chart = line_chart(
                &tr,
                &tr.t("monitoring-cpu"),
                v.from,
                v.to,
                &[Series {
                    label: &tr.t("monitoring-cpu-series"),
                    class: "cpu",
                    points: &v.cpu,
                }],
            );
            page.mem_chart = line_chart(
                &tr,
                &tr.t("monitoring-memory"),
                v.from,
                v.to,
                &[Series {
                    label: &tr.t("monitoring-memory-series"),
                    class: "mem",
                    points: &v.mem,
                }],
            );
            page.current_at = tr.datetime(v.current.map(|c| c.0));
            page.figures = vec![
                Figure {
                    key: "cpu",
                    label: tr.t("monitoring-cpu"),
                    current: pct(&tr, v.current.map(|c| c.1)),
                    min: pct(&tr, v.stats.map(|s| s.cpu_min)),
                    avg: pct(&tr, v.stats.map(|s| s.cpu_avg())),
                    max: pct(&tr, v.stats.map(|s| s.cpu_max)),
                },
                Figure {
                    key: "memory",
                    label: tr.t("monitoring-memory"),
                    current: pct(&tr, v.current.map(|c| c.2)),
                    min: pct(&tr, v.stats.map(|s| s.mem_min)),
                    avg: pct(&tr, v.stats.map(|s| s.mem_avg())),
                    max: pct(&tr, v.stats.map(|s| s.mem_max)),
                },
            ];
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
