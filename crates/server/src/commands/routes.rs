//! Selected system › Activity: the system's commands (kind, state, progress, who, when,
//! result), live, with Cancel for queued ones; and the open commands on Systems › All.

use super::views::{self, CommandLine};
use super::{kinds, service, store};
use crate::access;
use crate::context::Ctx;
use crate::error::AppResult;
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

/// Commands per page of the Activity list.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "activity.html")]
struct Page {
    layout: Layout,
    system_id: String,
    system_name: String,
    lines: Vec<CommandLine>,
    /// The `before` of the next (older) page, if there is one.
    older: Option<i64>,
    notice: String,
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    before: Option<i64>,
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
    let rows = store::of_system(&st.db, a.system().id.as_str(), q.before, PAGE + 1).await?;
    let older = (rows.len() as i64 > PAGE).then(|| rows[PAGE as usize - 1].seq);
    let lines = rows
        .iter()
        .take(PAGE as usize)
        .filter(|c| kinds::permits(&c.kind, a.roles()))
        .map(|c| views::line(&tr, c, &a.system().name))
        .collect();
    Ok(render(&Page {
        layout: Layout::new(
            tr.t1("activity-title", "name", &a.system().name),
            "systems",
            &user,
        ),
        system_id: a.system().id.to_string(),
        system_name: a.system().name.clone(),
        lines,
        older,
        notice: q.notice.unwrap_or_default().chars().take(200).collect(),
    }))
}

/// Cancel a queued command, back to the Activity list with what happened.
pub async fn cancel(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, command)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let tr = user.tr();
    let notice = match service::cancel(&st, &user, &command).await {
        Ok(c) if c.system_id == id.as_str() => tr.t("activity-cancelled"),
        Ok(_) => return Err(crate::error::AppError::NotFound),
        Err(crate::error::AppError::Conflict(m)) => tr.msg(&m),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/systems/{id}/activity"),
        &notice,
        "",
    ))
}

/// The open commands of every system the user may see (Systems › All), oldest first.
pub async fn open_lines(st: &AppState, user: &Ctx) -> AppResult<Vec<CommandLine>> {
    let open = store::open_all(&st.db, 500).await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let visible = access::visible_systems(st, user).await?;
    let tr = user.tr();
    Ok(open
        .iter()
        .filter_map(|c| {
            let a = visible
                .iter()
                .find(|a| a.system().id.as_str() == c.system_id)?;
            kinds::permits(&c.kind, a.roles()).then(|| views::line(&tr, c, &a.system().name))
        })
        .take(50)
        .collect())
}
