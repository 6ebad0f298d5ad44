//! Operator › Companies.

use super::service;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::list::{ListQuery, ListRow, ListView, SortKey};
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct Line {
    pub name: String,
    pub users: i64,
    pub systems: i64,
    pub created: String,
    created_ms: i64,
}

impl ListRow for Line {
    fn search_text(&self) -> String {
        self.name.clone()
    }

    fn sort_key(&self, key: &str) -> SortKey {
        match key {
            "users" => SortKey::Number(self.users),
            "systems" => SortKey::Number(self.systems),
            "created" => SortKey::Number(self.created_ms),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "operator_companies.html")]
struct Page {
    layout: Layout,
    list: ListView<Line>,
    form: NewCompany,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct NewCompany {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

async fn page(
    st: &AppState,
    user: &Ctx,
    q: ListQuery,
    mut form: NewCompany,
    error: String,
    status: StatusCode,
) -> AppResult<Response> {
    let op = service::require(user)?;
    let lines = service::companies(st, &op)
        .await?
        .into_iter()
        .map(|c| Line {
            name: c.name,
            users: c.users,
            systems: c.systems,
            created: user.tr().datetime(Some(c.created_at)),
            created_ms: c.created_at,
        })
        .collect();
    form.password.clear();
    let mut resp = render(&Page {
        layout: Layout::page("operator-title", "operator", user),
        list: q.apply(
            lines,
            "/operator/companies",
            &["name", "users", "systems", "created"],
            "name",
        ),
        form,
        error,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn companies(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    page(
        &st,
        &user,
        q,
        NewCompany::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<NewCompany>,
) -> AppResult<Response> {
    let op = service::require(&user)?;
    match service::create(&st, &op, &f.name, &f.email, &f.password).await {
        Ok(()) => Ok(Redirect::to("/operator/companies").into_response()),
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_))) => {
            let status = if matches!(e, AppError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let text = e.text(&user.tr());
            page(&st, &user, ListQuery::default(), f, text, status).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    email: String,
    /// `disable` or `enable`.
    #[serde(default)]
    action: String,
}

/// Disable or enable an account (operator only): a disabled account's sessions and API
/// tokens end at once.
pub async fn account(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    let op = service::require(&user)?;
    let disabled = match f.action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => {
            return Err(AppError::BadRequest(crate::msg!(
                "err-choose-disable-enable"
            )));
        }
    };
    service::set_account_disabled(&st, &op, &f.email, disabled).await?;
    Ok(Redirect::to("/operator/companies").into_response())
}
