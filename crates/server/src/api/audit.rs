//! `GET /api/v1/audit`: the audit log, with the page's rules of who sees what.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::audit::routes::scope;
use crate::audit::store::{self, Filter};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AuditEntryJson {
    /// Position in the chain (1, 2, 3 …).
    pub seq: i64,
    pub at_ms: i64,
    /// `user`, `token`, `operator`, `device`, `job`, `anonymous` or `cli`.
    pub actor_kind: String,
    pub actor_id: String,
    /// E-mail of the user, the address tried for a failed login, or the PBX's name.
    pub actor: String,
    pub company_id: String,
    pub system_id: String,
    /// e.g. `login.succeeded`, `system.renamed`.
    pub action: String,
    /// The action in the language of `Accept-Language`.
    pub action_text: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub ip: String,
    pub request_id: String,
    /// SHA-256 of the entry, over the previous entry's hash.
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub entries: Vec<AuditEntryJson>,
    /// Pass as `cursor` for the next page (read by key, fast on a long log); absent on the
    /// last one.
    pub next_cursor: Option<i64>,
}

/// Audit-log entries: the operator sees the installation; others their own actions and the
/// entries of the systems they own or administer. Filter by `who`, `what` (action prefix),
/// `system`, `from`/`to` (ms); `order=asc` for oldest first; `per_page` (≤ 500) and
/// `cursor` (the `next_cursor` of the page before; `page` still works but counts through
/// every entry before it).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Filter),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    super::ApiQuery(f): super::ApiQuery<Filter>,
) -> ApiResult<Json<AuditPage>> {
    let scope = scope(&u);
    let per = f.per_page();
    let page = f.page();
    let offset = if f.cursor.is_some() {
        0
    } else {
        (page - 1) * per
    };
    let (rows, total) = store::list(&st.db, &scope, &f, per, offset).await?;
    let next_cursor = rows
        .last()
        .filter(|_| rows.len() as i64 == per)
        .map(|e| e.seq);
    let tr = u.tr();
    let entries = rows
        .into_iter()
        .map(|e| AuditEntryJson {
            action_text: crate::audit::action_text(&tr, &e.action),
            details: serde_json::from_str(&e.args).unwrap_or_default(),
            seq: e.seq,
            at_ms: e.at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor: e.actor_label,
            company_id: e.company_id,
            system_id: e.system_id,
            action: e.action,
            ip: e.ip,
            request_id: e.request_id,
            hash: e.hash,
        })
        .collect();
    Ok(Json(AuditPage {
        total,
        page,
        per_page: per,
        entries,
        next_cursor,
    }))
}
