//! Handlers of User Groups › Configure: settings, members and systems of an own group.

use super::routes::{GroupForm, Line, status_of};
use super::service::{self, GroupOwner};
use super::store::{self, GroupSystemRow};
use crate::access::{self, RoleSet};
use crate::auth::CurrentUser;
use crate::authorisations::routes::Choice;
use crate::context::Ctx;
use crate::error::AppResult;
use crate::state::AppState;
use crate::users::store as users;
use crate::web::list::form_values;
use crate::web::roles::{RoleOption, role_options};
use crate::web::{Layout, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct MemberLine {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<RoleOption>,
    pub is_owner: bool,
}

#[derive(Template)]
#[template(path = "group_configure.html")]
struct ConfigurePage {
    layout: Layout,
    group: Line,
    roles: Vec<RoleOption>,
    members: Vec<MemberLine>,
    systems: Vec<GroupSystemRow>,
    candidate_users: Vec<Choice>,
    candidate_systems: Vec<Choice>,
    error: String,
}

async fn configure_page(
    st: &AppState,
    user: &CurrentUser,
    cap: GroupOwner,
    error: String,
    status: StatusCode,
) -> AppResult<Response> {
    let g = cap.group().clone();
    let members = store::members(&st.db, &g.id).await?;
    let systems = store::systems(&st.db, &g.id).await?;
    let candidate_users = users::of_company(&st.db, &user.company_id)
        .await?
        .into_iter()
        .filter(|u| !members.iter().any(|m| m.user_id == u.id))
        .map(|u| Choice {
            selected: false,
            value: u.email.clone(),
            label: u.email,
        })
        .collect();
    let candidate_systems = access::managed_systems(st, user)
        .await?
        .into_iter()
        .filter(|a| !systems.iter().any(|s| s.system_id == a.system().id))
        .map(|a| Choice {
            selected: false,
            value: a.system().id.to_string(),
            label: format!("{} ({})", a.system().name, a.system().serial),
        })
        .collect();
    let members = members
        .into_iter()
        .map(|m| MemberLine {
            is_owner: m.user_id == g.owner_id,
            user_id: m.user_id,
            email: m.email,
            roles: role_options(RoleSet::from_bits(m.roles), &user.tr()),
        })
        .collect();
    let mut resp = render(&ConfigurePage {
        layout: Layout::new(
            user.tr().t1("groups-configure", "name", &g.name),
            "groups",
            user,
        ),
        roles: role_options(RoleSet::from_bits(g.default_roles), &user.tr()),
        group: Line::new(g, user),
        members,
        systems,
        candidate_users,
        candidate_systems,
        error,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// User Groups › Configure.
pub async fn configure(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let cap = service::owned(&st, &user, &id).await?;
    configure_page(&st, &user, cap, String::new(), StatusCode::OK).await
}

/// Runs a configure action; on a user error re-renders the page with the message.
async fn act<F>(st: &AppState, user: &Ctx, id: &str, f: F) -> AppResult<Response>
where
    F: AsyncFnOnce(&GroupOwner) -> AppResult<()>,
{
    let cap = service::owned(st, user, id).await?;
    match f(&cap).await {
        Ok(()) => Ok(Redirect::to(&format!("/groups/{id}")).into_response()),
        Err(e) => match status_of(&e) {
            Some(status) => {
                let cap = service::owned(st, user, id).await?;
                configure_page(st, user, cap, e.text(&user.tr()), status).await
            }
            None => Err(e),
        },
    }
}

pub async fn update(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<GroupForm>,
) -> AppResult<Response> {
    act(&st, &user, &id, async |cap| {
        service::update(&st, cap, f.settings()?).await
    })
    .await
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn add_member(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<MemberForm>,
) -> AppResult<Response> {
    act(&st, &user, &id, async |cap| {
        service::add_member(&st, cap, &f.email, &f.role).await
    })
    .await
}

pub async fn set_member_role(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, member)): Path<(String, String)>,
    axum::Form(f): axum::Form<MemberForm>,
) -> AppResult<Response> {
    act(&st, &user, &id, async |cap| {
        service::set_member_role(&st, cap, &member, &f.role).await
    })
    .await
}

pub async fn remove_members(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let ids = form_values(&body, "user");
    act(&st, &user, &id, async |cap| {
        service::remove_members(&st, cap, &ids).await
    })
    .await
}

#[derive(Deserialize)]
pub struct SystemForm {
    #[serde(default)]
    system: String,
}

pub async fn add_system(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<SystemForm>,
) -> AppResult<Response> {
    act(&st, &user, &id, async |cap| {
        service::add_system(&st, &user, cap, &f.system).await
    })
    .await
}

pub async fn remove_systems(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let ids = form_values(&body, "system");
    act(&st, &user, &id, async |cap| {
        service::remove_systems(&st, cap, &ids).await
    })
    .await
}
