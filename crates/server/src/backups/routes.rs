//! Selected system › Backup: create now, the available backups (restore, delete, compare),
//! the interval for automatic backups with its retention rule, last and next periodic
//! backup, and the backup commands still running.

use super::schedule::Interval;
use super::service;
use super::views::{BackupLine, ChangeLine, line};
use crate::access::{self, Cap, feature::Backup};
use crate::commands::views::CommandLine;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::list::form_values;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use zentrale_protocol::commands::{BackupCompare, CommandKind};

#[derive(Template)]
#[template(path = "backup.html")]
struct Page {
    layout: Layout,
    system_id: String,
    system_name: String,
    unavailable: String,
    ready: bool,
    notice: String,
    backups: Vec<BackupLine>,
    running: Vec<CommandLine>,
    interval: &'static str,
    every: i64,
    keep_last: String,
    keep_days: String,
    last_periodic: String,
    next_periodic: String,
    compared: Option<(String, Vec<ChangeLine>, bool)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
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
    let name = a.system().name.clone();
    let mut page = Page {
        layout: Layout::new(tr.t1("backup-title", "name", &name), "systems", &user),
        system_id: id.to_string(),
        system_name: name,
        unavailable: String::new(),
        ready: a.system().remote_backup_ready == Some(1),
        notice: q.notice.unwrap_or_default().chars().take(300).collect(),
        backups: Vec::new(),
        running: Vec::new(),
        interval: "off",
        every: 1,
        keep_last: String::new(),
        keep_days: String::new(),
        last_periodic: String::new(),
        next_periodic: String::new(),
        compared: None,
    };
    let cap = match a.require::<Backup>(&st) {
        Ok(cap) => cap,
        Err(AppError::Unavailable(why)) => {
            page.unavailable = tr.msg(&why);
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::CONFLICT;
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    let rows = service::list(&st, &cap).await?;
    page.last_periodic = tr.datetime(service::last_periodic(&rows));
    page.backups = rows.iter().map(|b| line(&tr, b)).collect();
    let sched = service::schedule_of(&st, &cap).await?;
    page.next_periodic = tr.datetime(sched.next_ms);
    (page.interval, page.every) = match Interval::from_minutes(sched.interval_min) {
        Interval::Off => ("off", 1),
        Interval::Hours(h) => ("hours", h),
        Interval::Days(d) => ("days", d),
    };
    page.keep_last = sched.keep_last.map(|n| n.to_string()).unwrap_or_default();
    page.keep_days = sched.keep_days.map(|n| n.to_string()).unwrap_or_default();
    let commands = crate::commands::store::of_system(&st.db, cap.id(), None, 50).await?;
    page.running = commands
        .iter()
        .filter(|c| c.is_open() && c.kind.starts_with("backup."))
        .map(|c| crate::commands::views::line(&tr, c, &page.system_name))
        .collect();
    page.compared = commands
        .iter()
        .find(|c| c.kind == BackupCompare::KIND && c.state == "succeeded")
        .and_then(|c| {
            let v: serde_json::Value = serde_json::from_str(c.result.as_deref()?).ok()?;
            let changes: Vec<ChangeLine> = serde_json::from_value(v["changes"].clone()).ok()?;
            Some((
                tr.datetime(Some(c.updated_at)),
                changes,
                v["truncated"] == true,
            ))
        });
    Ok(render(&page))
}

async fn cap(st: &AppState, user: &Ctx, id: &SystemId) -> AppResult<Cap<Backup>> {
    access::require::<Backup>(st, user, id).await
}

/// Back to the page with what happened (a refusal in words, not an error page).
fn back(user: &Ctx, id: &SystemId, done: AppResult<String>) -> AppResult<Response> {
    let notice = match done {
        Ok(text) => text,
        Err(AppError::Conflict(m) | AppError::Unavailable(m) | AppError::BadRequest(m)) => {
            user.tr().msg(&m)
        }
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/systems/{id}/backup"),
        &notice,
        "",
    ))
}

pub async fn create(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let cap = cap(&st, &user, &id).await?;
    let done = service::create_now(&st, &user, &cap)
        .await
        .map(|_| user.tr().t("backup-started"));
    back(&user, &id, done)
}

pub async fn restore(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, backup)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let cap = cap(&st, &user, &id).await?;
    let done = service::restore(&st, &user, &cap, &backup)
        .await
        .map(|_| user.tr().t("backup-restore-started"));
    back(&user, &id, done)
}

pub async fn delete(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, backup)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let cap = cap(&st, &user, &id).await?;
    let done = service::delete(&st, &user, &cap, &backup)
        .await
        .map(|()| user.tr().t("backup-deleted"));
    back(&user, &id, done)
}

pub async fn compare(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    body: Bytes,
) -> AppResult<Response> {
    let cap = cap(&st, &user, &id).await?;
    let picked = form_values(&body, "backup");
    let done = match picked.as_slice() {
        [a, b] => service::compare(&st, &user, &cap, a, b)
            .await
            .map(|_| user.tr().t("backup-compare-started")),
        _ => Err(AppError::BadRequest(crate::msg!("backup-compare-two"))),
    };
    back(&user, &id, done)
}

#[derive(serde::Deserialize)]
pub struct ScheduleForm {
    interval: String,
    #[serde(default)]
    every: String,
    #[serde(default)]
    keep_last: String,
    #[serde(default)]
    keep_days: String,
}

/// A whole number from a form field; empty is "not set".
fn optional_number(v: &str) -> AppResult<Option<i64>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| AppError::BadRequest(crate::msg!("backup-retention-range")))
}

pub fn interval_of(kind: &str, every: &str) -> AppResult<Interval> {
    let n = || -> AppResult<i64> {
        every
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest(crate::msg!("backup-interval-range")))
    };
    match kind {
        "off" => Ok(Interval::Off),
        "hours" => Ok(Interval::Hours(n()?)),
        "days" => Ok(Interval::Days(n()?)),
        _ => Err(AppError::BadRequest(crate::msg!("backup-interval-range"))),
    }
}

pub async fn schedule(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Form(f): Form<ScheduleForm>,
) -> AppResult<Response> {
    let cap = cap(&st, &user, &id).await?;
    let done = async {
        let interval = interval_of(&f.interval, &f.every)?;
        let (last, days) = (
            optional_number(&f.keep_last)?,
            optional_number(&f.keep_days)?,
        );
        service::set_schedule(&st, &user, &cap, interval, last, days).await?;
        Ok(user.tr().t("backup-schedule-saved"))
    }
    .await;
    back(&user, &id, done)
}
