//! `GET /api/v1/news`: the published news for the caller, newest first.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct NewsJson {
    pub id: String,
    pub title: String,
    /// The text as the operator wrote it (Markdown).
    pub body_markdown: String,
    /// The text as sanitised HTML.
    pub body_html: String,
    pub published_ms: i64,
    /// Whether the caller has seen it on the Dashboard.
    pub read: bool,
}

/// Published news in the caller's language (`Accept-Language`, else their choice), newest
/// first; reading them here does not mark them read.
#[utoipa::path(get, path = "/api/v1/news", tag = "account",
    responses((status = 200, body = [NewsJson]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<NewsJson>>> {
    let rows =
        crate::news::store::for_reader(&st.db, &u.id, u.locale.code(), st.clock.now_ms(), 100)
            .await?;
    Ok(Json(
        rows.into_iter()
            .map(|n| NewsJson {
                body_html: crate::news::body_html(&n.body),
                id: n.id,
                title: n.title,
                body_markdown: n.body,
                published_ms: n.publish_at,
                read: n.read != 0,
            })
            .collect(),
    ))
}
