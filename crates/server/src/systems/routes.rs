//! Handlers of the systems pages: thin, the rules live in `service` and `access`.

use super::service;
use super::views::{COLUMNS, SystemInfo, SystemLine};
use crate::access;
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::list::{ListQuery, ListView, form_values};
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "systems_overview.html")]
struct OverviewPage {
    layout: Layout,
    list: ListView<SystemLine>,
    /// Commands of visible systems still waiting or running.
    running: Vec<crate::commands::views::CommandLine>,
}

/// Systems > All > Overview.
pub async fn overview(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    Ok(render(&OverviewPage {
        layout: Layout::page("systems-title", "systems", &user),
        list: page(&st, &user, &q, "/systems").await?,
        running: crate::commands::routes::open_lines(&st, &user).await?,
    }))
}

/// One page of the systems the user may see, filtered, sorted and paged in the database.
async fn page(
    st: &AppState,
    user: &CurrentUser,
    q: &ListQuery,
    path: &str,
) -> AppResult<ListView<SystemLine>> {
    let r = q.resolve(COLUMNS, "name", false);
    let found = access::visible_page(
        st,
        user,
        &access::SystemQuery {
            text: &r.q,
            sort: access::SystemSort::parse(&r.sort),
            desc: r.desc,
            cursor: q.cursor.as_deref(),
            limit: crate::web::paging::PAGE_ROWS,
        },
    )
    .await?;
    let ids: Vec<&str> = found.rows.iter().map(|a| a.system().id.as_str()).collect();
    let summaries = crate::registrations::store::summaries(&st.db, &ids).await?;
    let tr = user.tr();
    let lines = found
        .rows
        .iter()
        .map(|a| {
            SystemLine::new(st, a, &tr).with_summary(summaries.get(a.system().id.as_str()), &tr)
        })
        .collect();
    Ok(q.page(r, lines, (found.total, found.all), found.next, path))
}

#[derive(Template)]
#[template(path = "admin_systems.html")]
struct AdminPage {
    layout: Layout,
    list: ListView<SystemLine>,
    edit: bool,
    /// Whether any listed system may be deleted by this user (its owner).
    can_delete: bool,
    form_name: String,
    form_serial: String,
    error: String,
    created: String,
    /// The mail server each system's warnings go through (by system id).
    smtp: std::collections::HashMap<String, String>,
}

impl AdminPage {
    fn smtp_of(&self, id: &str) -> String {
        self.smtp.get(id).cloned().unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    #[serde(flatten)]
    list: ListQuery,
    edit: Option<String>,
    created: Option<String>,
}

/// Administration > Systems.
pub async fn admin(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<AdminQuery>,
) -> AppResult<Response> {
    admin_page(&st, &user, q, NewForm::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    serial: String,
}

async fn admin_page(
    st: &AppState,
    user: &CurrentUser,
    q: AdminQuery,
    form: NewForm,
    status: StatusCode,
) -> AppResult<Response> {
    let error = if status.is_success() {
        String::new()
    } else {
        form_error(st, user, &form).await
    };
    let list = page(st, user, &q.list, "/admin/systems").await?;
    let can_delete = list.rows.iter().any(|l| l.is_owner);
    let ids: Vec<&str> = list.rows.iter().map(|l| l.id.as_str()).collect();
    let smtp = mail_servers(st, user, &ids).await?;
    let mut resp = render(&AdminPage {
        smtp,
        can_delete,
        layout: Layout::page("admin-systems-title", "admin-systems", user),
        list,
        edit: q.edit.is_some(),
        form_name: form.name,
        form_serial: form.serial,
        error,
        created: q.created.unwrap_or_default(),
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// The name of the mail server each of these systems uses (its own, else the default).
async fn mail_servers(
    st: &AppState,
    user: &CurrentUser,
    system_ids: &[&str],
) -> AppResult<std::collections::HashMap<String, String>> {
    let servers = crate::smtp::store::of_company(&st.db, user.company_id.as_str()).await?;
    let default = servers
        .iter()
        .find(|s| s.is_default == 1)
        .map(|s| s.name.clone());
    let name = |id: &str| servers.iter().find(|s| s.id == id).map(|s| s.name.clone());
    Ok(crate::smtp::store::choices_of(&st.db, system_ids)
        .await?
        .into_iter()
        .filter_map(|(system, chosen)| {
            let server = match chosen {
                Some(id) => name(&id),
                None => default.clone(),
            };
            server.map(|s| (system, s))
        })
        .collect())
}

/// Re-runs the creation checks to get the message for a refused form.
async fn form_error(st: &AppState, user: &CurrentUser, form: &NewForm) -> String {
    match check_new(st, user, form).await {
        Err(e) => match e.parts() {
            Some((_, _, m)) => user.tr().msg(&m),
            None => String::new(),
        },
        Ok(()) => String::new(),
    }
}

async fn check_new(st: &AppState, user: &CurrentUser, form: &NewForm) -> AppResult<()> {
    service::parse_name(&form.name)?;
    let serial = crate::ids::SerialNumber::parse(&form.serial)?;
    if super::store::serial_taken(&st.db, &user.company_id, serial.as_str()).await? {
        return Err(AppError::Conflict(crate::msg!(
            "err-system-with-serial-number",
            serial = serial
        )));
    }
    Ok(())
}

/// Save in the "add system" dialog.
pub async fn create(
    State(st): State<AppState>,
    user: Ctx,
    Form(form): Form<NewForm>,
) -> AppResult<Response> {
    match service::create(&st, &user, &form.name, &form.serial).await {
        // Filtered to the new system, so its code shows whichever page it sorts onto.
        Ok(sys) => Ok(Redirect::to(&format!(
            "/admin/systems?q={}&created={}",
            sys.serial, sys.id
        ))
        .into_response()),
        Err(AppError::BadRequest(_)) => {
            admin_page(
                &st,
                &user,
                AdminQuery::default(),
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            admin_page(
                &st,
                &user,
                AdminQuery::default(),
                form,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// ✓ next to the token.
pub async fn renew(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Redirect> {
    let cap = access::system(&st, &user, &id).await?.manager()?;
    let serial = cap.system().serial.clone();
    service::renew_token(&st, &user, cap).await?;
    Ok(Redirect::to(&format!(
        "/admin/systems?q={serial}&created={id}"
    )))
}

/// ✗ next to the token.
pub async fn cancel(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Redirect> {
    let cap = access::system(&st, &user, &id).await?.manager()?;
    service::cancel_token(&st, &user, cap).await?;
    Ok(Redirect::to("/admin/systems"))
}

/// "Delete" in edit mode: every ticked system, all or nothing.
pub async fn delete_selected(
    State(st): State<AppState>,
    user: Ctx,
    body: Bytes,
) -> AppResult<Redirect> {
    let ids = form_values(&body, "id");
    if ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one-2")));
    }
    let mut caps = Vec::with_capacity(ids.len());
    for id in &ids {
        caps.push(
            access::system(&st, &user, &SystemId::from_text(id.as_str()))
                .await?
                .owner()?,
        );
    }
    for cap in caps {
        service::delete(&st, &user, cap).await?;
    }
    Ok(Redirect::to("/admin/systems"))
}

#[derive(Template)]
#[template(path = "system_info.html")]
struct InfoPage {
    layout: Layout,
    info: SystemInfo,
    /// For the owner: every path that gives someone a role on the system.
    paths: Option<super::paths::AccessPaths>,
    /// The rename form's value and its error.
    rename_value: String,
    rename_error: String,
    /// Remote configuration, for those who may use it.
    remote: Option<crate::remote::routes::RemoteView>,
}

/// System information.
pub async fn info(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    info_page(&st, &user, &a, a.system().name.clone(), String::new()).await
}

async fn info_page(
    st: &AppState,
    user: &CurrentUser,
    a: &access::SystemAccess,
    rename_value: String,
    rename_error: String,
) -> AppResult<Response> {
    let info = SystemInfo::new(st, a, &user.tr());
    let remote = crate::remote::routes::view(st, &user.tr(), a).await?;
    let paths = match a.clone().owner() {
        Ok(cap) => Some(super::paths::of(st, &cap).await?),
        Err(_) => None,
    };
    Ok(render(&InfoPage {
        layout: Layout::new(
            user.tr().t1("system-title", "name", &a.system().name),
            "systems",
            user,
        ),
        info,
        paths,
        rename_value,
        rename_error,
        remote,
    }))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// Rename (owner or Administrator). A refused name is shown on the page with what was typed.
pub async fn rename(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Form(f): Form<RenameForm>,
) -> AppResult<Response> {
    let cap = access::system(&st, &user, &id).await?.manager()?;
    match service::rename(&st, &user, cap, &f.name).await {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}")).into_response()),
        Err(AppError::BadRequest(m)) => {
            let a = access::system(&st, &user, &id).await?;
            let mut resp = info_page(&st, &user, &a, f.name, user.tr().msg(&m)).await?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// The owner withdraws an authorisation on the system (whoever granted it).
pub async fn withdraw_authorisation(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, authorisation)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let cap = access::system(&st, &user, &id).await?.owner()?;
    super::paths::withdraw(&st, &user, &cap, &authorisation).await?;
    Ok(Redirect::to(&format!("/systems/{id}#access")).into_response())
}

/// The owner takes the system out of a user group (whoever added it).
pub async fn remove_from_group(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, group)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let cap = access::system(&st, &user, &id).await?.owner()?;
    super::paths::remove_from_group(&st, &user, &cap, &group).await?;
    Ok(Redirect::to(&format!("/systems/{id}#access")).into_response())
}
