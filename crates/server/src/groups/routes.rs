//! Handlers of User Groups › Groups and › Own groups (list, create, delete, join, leave).

use super::service::{self, Settings};
use super::store::{self, GroupRow};
use crate::access::{Role, RoleSet};
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
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
    pub name: String,
    pub description: String,
    pub role: String,
    pub owner: String,
    pub members: i64,
    pub systems: i64,
    pub public: bool,
    pub created: String,
    created_ms: i64,
    pub is_owner: bool,
    pub is_member: bool,
}

impl Line {
    pub(super) fn new(g: GroupRow, user: &CurrentUser) -> Self {
        let tr = user.tr();
        Line {
            public: g.is_public(),
            is_member: g.viewer_is_member(),
            is_owner: g.owner_id == user.id,
            id: g.id,
            name: g.name,
            description: g.description,
            role: RoleSet::from_bits(g.default_roles).labels(&tr),
            owner: g.owner_email,
            members: g.members,
            systems: g.systems,
            created: tr.datetime(Some(g.created_at)),
            created_ms: g.created_at,
        }
    }
}

impl ListRow for Line {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.name, self.description, self.role, self.owner
        )
    }

    fn sort_key(&self, key: &str) -> SortKey {
        match key {
            "description" => SortKey::Text(self.description.clone()),
            "role" => SortKey::Text(self.role.clone()),
            "owner" => SortKey::Text(self.owner.clone()),
            "members" => SortKey::Number(self.members),
            "systems" => SortKey::Number(self.systems),
            "type" => SortKey::Text(if self.public { "public" } else { "private" }.into()),
            "created" => SortKey::Number(self.created_ms),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

const COLUMNS: &[&str] = &[
    "name",
    "description",
    "role",
    "owner",
    "members",
    "systems",
    "type",
    "created",
];

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    layout: Layout,
    list: ListView<Line>,
    own: bool,
    edit: bool,
    roles: Vec<RoleOption>,
    form: GroupForm,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(flatten)]
    list: ListQuery,
    edit: Option<String>,
}

async fn list_page(
    st: &AppState,
    user: &CurrentUser,
    own: bool,
    q: PageQuery,
    form: GroupForm,
    error: String,
    status: StatusCode,
) -> AppResult<Response> {
    let lines: Vec<Line> = store::visible(&st.db, &user.company_id, &user.id)
        .await?
        .into_iter()
        .map(|g| Line::new(g, user))
        .filter(|l| !own || l.is_owner)
        .collect();
    let path = if own { "/groups/own" } else { "/groups" };
    let mut resp = render(&GroupsPage {
        layout: Layout::page(
            if own {
                "groups-title-own"
            } else {
                "groups-title"
            },
            "groups",
            user,
        ),
        list: q.list.apply(lines, path, COLUMNS, "name"),
        own,
        edit: q.edit.is_some(),
        roles: role_options(RoleSet::default().with(Role::Monitoring), &user.tr()),
        form,
        error,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// User Groups › Groups.
pub async fn groups(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    list_page(
        &st,
        &user,
        false,
        q,
        GroupForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// User Groups › Own groups.
pub async fn own(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    list_page(
        &st,
        &user,
        true,
        q,
        GroupForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub public: Option<String>,
}

impl GroupForm {
    pub(super) fn settings(&self) -> AppResult<Settings> {
        Settings::parse(
            &self.name,
            &self.description,
            &self.role,
            self.public.is_some(),
        )
    }
}

pub(super) fn status_of(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::BadRequest(_) => Some(StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Conflict(_) => Some(StatusCode::CONFLICT),
        AppError::Forbidden(_) => Some(StatusCode::FORBIDDEN),
        _ => None,
    }
}

/// Create in Own groups.
pub async fn create(
    State(st): State<AppState>,
    user: Ctx,
    axum::Form(f): axum::Form<GroupForm>,
) -> AppResult<Response> {
    let result = match f.settings() {
        Ok(s) => service::create(&st, &user, s).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/groups/{id}")).into_response()),
        Err(e) => match status_of(&e) {
            Some(status) => {
                list_page(
                    &st,
                    &user,
                    true,
                    PageQuery::default(),
                    f,
                    e.text(&user.tr()),
                    status,
                )
                .await
            }
            None => Err(e),
        },
    }
}

pub async fn delete_selected(
    State(st): State<AppState>,
    user: Ctx,
    body: Bytes,
) -> AppResult<Redirect> {
    service::delete(&st, &user, &form_values(&body, "id")).await?;
    Ok(Redirect::to("/groups/own"))
}

pub async fn join(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    service::join(&st, &user, &id).await?;
    Ok(Redirect::to("/groups"))
}

pub async fn leave(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    service::leave(&st, &user, &id).await?;
    Ok(Redirect::to("/groups"))
}
