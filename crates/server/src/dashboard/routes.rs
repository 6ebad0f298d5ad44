//! `GET /dashboard`, `POST /dashboard/preferences`, `GET /api/v1/news`.

use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, parse_tz};
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

pub struct NewsLine {
    pub id: String,
    pub title: String,
    pub body: String,
    pub publish: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    layout: Layout,
    version: &'static str,
    status: String,
    news: Vec<NewsLine>,
    /// The stored choice (`""`: the browser's).
    language: String,
    time_zone: String,
    zones: Vec<&'static str>,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct DashQuery {
    saved: Option<String>,
}

/// The status text the clipboard button copies: version, time, browser, user, company and
/// the number of systems in each state.
async fn status_text(st: &AppState, user: &Ctx, headers: &HeaderMap) -> AppResult<String> {
    let tr = user.tr();
    let mut by_state: BTreeMap<&'static str, usize> = BTreeMap::new();
    for a in crate::access::visible_systems(st, user).await? {
        let state = crate::systems::service::device_state(st, a.system());
        *by_state.entry(state.kind()).or_default() += 1;
    }
    let company = crate::companies::store::name_of(&st.db, &user.company_id).await?;
    let browser = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut lines = vec![
        format!("Zentrale {}", super::VERSION),
        format!(
            "{}: {}",
            tr.t("status-time"),
            tr.datetime(Some(st.clock.now_ms()))
        ),
        format!("{}: {}", tr.t("status-browser"), browser),
        format!("{}: {}", tr.t("status-user"), user.email),
        format!("{}: {}", tr.t("status-company"), company),
    ];
    let total: usize = by_state.values().sum();
    lines.push(format!("{}: {total}", tr.t("status-systems")));
    for (kind, n) in by_state {
        lines.push(format!("  {}: {n}", tr.t(&format!("status-state-{kind}"))));
    }
    Ok(lines.join("\n"))
}

pub async fn page(
    State(st): State<AppState>,
    user: Ctx,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<DashQuery>,
) -> AppResult<Response> {
    let tr = user.tr();
    let now = st.clock.now_ms();
    let rows =
        crate::news::store::for_reader(&st.db, &user.id, user.locale.code(), now, 20).await?;
    let unread: Vec<String> = rows
        .iter()
        .filter(|n| n.read == 0)
        .map(|n| n.id.clone())
        .collect();
    let news = rows
        .into_iter()
        .map(|n| NewsLine {
            unread: n.read == 0,
            body: crate::news::body_html(&n.body),
            publish: tr.datetime(Some(n.publish_at)),
            id: n.id,
            title: n.title,
        })
        .collect();
    // Shown once as new; read from now on.
    crate::news::store::mark_read(&st.db, &user.id, &unread, now).await?;
    let stored = crate::users::store::user_by_id(&st.db, &user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(render(&Page {
        layout: Layout::page("dashboard-title", "dashboard", &user),
        version: super::VERSION,
        status: status_text(&st, &user, &headers).await?,
        news,
        language: stored.language.unwrap_or_default(),
        time_zone: stored.time_zone.unwrap_or_default(),
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        saved: q.saved.is_some(),
    }))
}

#[derive(serde::Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
}

/// Stores the user's language and time zone (empty: follow the browser).
pub async fn preferences(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<PrefsForm>,
) -> AppResult<Response> {
    let language = match f.language.trim() {
        "" => None,
        l => Some(
            Locale::parse(l)
                .ok_or_else(|| AppError::BadRequest(crate::msg!("err-language", value = l)))?,
        ),
    };
    let tz = match f.time_zone.trim() {
        "" => None,
        z => Some(
            parse_tz(z)
                .ok_or_else(|| AppError::BadRequest(crate::msg!("err-time-zone", value = z)))?,
        ),
    };
    crate::users::store::set_preferences(
        &st.db,
        &user.id,
        language.map(|l| l.code()),
        tz.map(|z| z.name()),
    )
    .await?;
    let ev = Event::new("preferences.changed")
        .arg("language", language.map(|l| l.code()).unwrap_or(""))
        .arg("time_zone", tz.map(|z| z.name()).unwrap_or(""));
    user.audit(&st, ev).await?;
    Ok(Redirect::to("/dashboard?saved=1").into_response())
}
