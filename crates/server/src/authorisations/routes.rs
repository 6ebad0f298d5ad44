//! The Authorisations page: handlers only; rules in `service`, access in `crate::access`.

use super::service;
use super::store::{self, AuthorisationRow};
use crate::access::{self, RoleSet};
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::users::store as users;
use crate::web::list::{ListQuery, ListRow, ListView, SortKey, form_values};
use crate::web::roles::{RoleOption, role_options};
use crate::web::{Layout, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct Line {
    pub id: String,
    pub user: String,
    pub roles: String,
    pub system: String,
    pub serial: String,
    pub system_id: String,
    pub created: String,
}

impl Line {
    fn of(a: AuthorisationRow, tr: &Tr) -> Self {
        Line {
            id: a.id,
            user: a.user_email,
            roles: RoleSet::from_bits(a.roles).labels(tr),
            system: a.system_name,
            serial: a.system_serial,
            system_id: a.system_id,
            created: tr.datetime(Some(a.created_at)),
        }
    }
}

impl ListRow for Line {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.user, self.roles, self.system, self.serial
        )
    }

    fn sort_key(&self, key: &str) -> SortKey {
        SortKey::Text(match key {
            "roles" => self.roles.clone(),
            "system" => self.system.clone(),
            _ => self.user.clone(),
        })
    }
}

/// Up to this many systems the form offers a select box; with more, a field for the serial.
const MAX_CHOICES: i64 = 200;

/// A choice in a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
    /// Chosen in the form as sent (kept after an error).
    pub selected: bool,
}

/// What the user entered in the create form, shown again after an error.
#[derive(Default)]
struct Entered {
    user: String,
    system: String,
    roles: RoleSet,
}

#[derive(Template)]
#[template(path = "authorisations.html")]
struct Page {
    layout: Layout,
    list: ListView<Line>,
    edit: bool,
    users: Vec<Choice>,
    systems: Vec<Choice>,
    /// More systems than a select box can offer: the form asks for the serial number.
    systems_typed: bool,
    system_entered: String,
    roles: Vec<RoleOption>,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(flatten)]
    list: ListQuery,
    edit: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    render_page(
        &st,
        &user,
        q,
        Entered::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn render_page(
    st: &AppState,
    user: &CurrentUser,
    q: PageQuery,
    entered: Entered,
    error: String,
    status: StatusCode,
) -> AppResult<Response> {
    let tr = user.tr();
    let lines: Vec<Line> = store::granted_by(&st.db, &user.id)
        .await?
        .into_iter()
        .map(|a| Line::of(a, &tr))
        .collect();
    let users = users::of_company(&st.db, &user.company_id)
        .await?
        .into_iter()
        .filter(|u| u.id != user.id)
        .map(|u| Choice {
            selected: u.email.eq_ignore_ascii_case(entered.user.trim()),
            value: u.email.clone(),
            label: u.email,
        })
        .collect();
    let mut systems: Vec<Choice> = access::managed_choices(st, user, MAX_CHOICES + 1)
        .await?
        .into_iter()
        .map(|(id, name, serial)| Choice {
            selected: id == entered.system,
            value: id,
            label: format!("{name} ({serial})"),
        })
        .collect();
    let systems_typed = systems.len() as i64 > MAX_CHOICES;
    if systems_typed {
        systems.truncate(1);
    }
    let mut resp = render(&Page {
        layout: Layout::page("authorisations-title", "authorisations", user),
        list: q.list.apply(
            lines,
            "/authorisations",
            &["user", "roles", "system"],
            "user",
        ),
        edit: q.edit.is_some(),
        users,
        systems,
        systems_typed,
        system_entered: entered.system.clone(),
        roles: role_options(entered.roles, &user.tr()),
        error,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Create: user, one or more roles, system.
pub async fn create(State(st): State<AppState>, user: Ctx, body: Bytes) -> AppResult<Response> {
    let first = |name: &str| {
        form_values(&body, name)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let entered = Entered {
        user: first("user"),
        system: first("system"),
        roles: RoleSet::parse(form_values(&body, "role").iter().map(String::as_str))
            .unwrap_or_default(),
    };
    let result = async {
        let roles = RoleSet::parse(form_values(&body, "role").iter().map(String::as_str))?;
        let cap = service::chosen_system(&st, &user, &entered.system).await?;
        service::grant(&st, &user, &cap, &entered.user, roles).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/authorisations").into_response()),
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let status = match e {
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_page(
                &st,
                &user,
                PageQuery::default(),
                entered,
                e.text(&user.tr()),
                status,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "authorisation_edit.html")]
struct EditPage {
    layout: Layout,
    line: Line,
    roles: Vec<RoleOption>,
    error: String,
}

pub async fn edit_page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let a = service::own(&st, &user, &id).await?;
    let tr = user.tr();
    let roles = role_options(RoleSet::from_bits(a.roles), &tr);
    Ok(render(&EditPage {
        layout: Layout::page("authorisation-edit-title", "authorisations", &user),
        line: Line::of(a, &tr),
        roles,
        error: String::new(),
    }))
}

pub async fn update(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let roles = RoleSet::parse(form_values(&body, "role").iter().map(String::as_str))?;
    match service::change(&st, &user, &id, roles).await {
        Ok(()) => Ok(Redirect::to("/authorisations").into_response()),
        Err(AppError::BadRequest(m)) => {
            let a = service::own(&st, &user, &id).await?;
            let tr = user.tr();
            let mut resp = render(&EditPage {
                layout: Layout::page("authorisation-edit-title", "authorisations", &user),
                roles: role_options(RoleSet::from_bits(a.roles), &tr),
                line: Line::of(a, &tr),
                error: tr.msg(&m),
            });
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

pub async fn delete_selected(
    State(st): State<AppState>,
    user: Ctx,
    body: Bytes,
) -> AppResult<Redirect> {
    service::withdraw(&st, &user, &form_values(&body, "id")).await?;
    Ok(Redirect::to("/authorisations"))
}
