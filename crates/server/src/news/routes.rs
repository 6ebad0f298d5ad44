//! Operator › News (write, list, delete) and `GET /api/v1/news`.

use super::store;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::state::AppState;
use crate::web::list::form_values;
use crate::web::{Layout, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub struct Line {
    pub id: String,
    pub title: String,
    pub body: String,
    pub publish: String,
    pub languages: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "operator_news.html")]
struct Page {
    layout: Layout,
    news: Vec<Line>,
    error: String,
    title: String,
    body: String,
}

async fn page(
    st: &AppState,
    user: &Ctx,
    error: String,
    title: String,
    body: String,
) -> AppResult<Response> {
    crate::operator::service::require(user)?;
    let tr = user.tr();
    let news = store::all(&st.db)
        .await?
        .into_iter()
        .map(|n| Line {
            body: super::body_html(&n.body),
            publish: tr.datetime(Some(n.publish_at)),
            id: n.id,
            title: n.title,
            languages: n.languages,
            by: n.created_by,
        })
        .collect();
    Ok(render(&Page {
        layout: Layout::page("news-admin-title", "operator-news", user),
        news,
        error,
        title,
        body,
    }))
}

pub async fn list(State(st): State<AppState>, user: Ctx) -> AppResult<Response> {
    page(&st, &user, String::new(), String::new(), String::new()).await
}

/// `2026-11-27T09:30` in the user's time zone, or now when empty.
fn publish_time(user: &Ctx, text: &str, now: i64) -> AppResult<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(now);
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::BadRequest(crate::msg!("err-news-time", value = text)))?;
    local
        .and_local_timezone(user.tz)
        .earliest()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| AppError::BadRequest(crate::msg!("err-news-time", value = text)))
}

pub async fn create(State(st): State<AppState>, user: Ctx, body: Bytes) -> AppResult<Response> {
    let op = crate::operator::service::require(&user)?;
    let one = |name: &str| {
        form_values(&body, name)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let (title, text) = (one("title"), one("body"));
    let languages: Vec<Locale> = form_values(&body, "language")
        .iter()
        .filter_map(|l| Locale::parse(l))
        .collect();
    let result = async {
        let publish_at = publish_time(&user, &one("publish_at"), st.clock.now_ms())?;
        let draft = super::Draft {
            title: &title,
            body: &text,
            publish_at,
            languages,
        };
        super::create(&st, &op, &user, draft).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/operator/news").into_response()),
        Err(AppError::BadRequest(m)) => {
            let mut resp = page(&st, &user, user.tr().msg(&m), title, text).await?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

pub async fn delete(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let op = crate::operator::service::require(&user)?;
    super::delete(&st, &op, &user, &id).await?;
    Ok(Redirect::to("/operator/news").into_response())
}
