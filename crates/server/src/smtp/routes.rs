//! Administration › SMTP (Overview, Configure with Check) and Selected system › SMTP.

use super::service::{self, Input};
use super::store::ServerRow;
use crate::access;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::list::{ListQuery, ListRow, ListView, SortKey, form_values};
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

pub struct Line {
    pub id: String,
    pub name: String,
    pub address: String,
    pub port: i64,
    pub username: String,
    pub default: bool,
    pub systems: usize,
    pub last_error: String,
}

impl ListRow for Line {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.name, self.address, self.port, self.username
        )
    }
    fn sort_key(&self, key: &str) -> SortKey {
        match key {
            "address" => SortKey::Text(self.address.clone()),
            "port" => SortKey::Number(self.port),
            "username" => SortKey::Text(self.username.clone()),
            "default" => SortKey::Number(i64::from(self.default)),
            "systems" => SortKey::Number(self.systems as i64),
            _ => SortKey::Text(self.name.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "smtp_overview.html")]
struct Overview {
    layout: Layout,
    list: ListView<Line>,
    edit: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(flatten)]
    list: ListQuery,
    edit: Option<String>,
}

pub async fn overview(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<OverviewQuery>,
) -> AppResult<Response> {
    let rows = service::list(&st, &user).await?;
    let lines = rows
        .into_iter()
        .map(|l| Line {
            id: l.row.id,
            name: l.row.name,
            address: l.row.address,
            port: l.row.port,
            username: l.row.username,
            default: l.row.is_default == 1,
            systems: l.systems,
            last_error: l.row.last_error.unwrap_or_default(),
        })
        .collect();
    Ok(render(&Overview {
        layout: Layout::page("smtp-title", "admin-smtp", &user),
        list: q.list.apply(
            lines,
            "/admin/smtp",
            &["name", "address", "port", "username", "default", "systems"],
            "name",
        ),
        edit: q.edit.is_some(),
    }))
}

pub async fn delete_selected(
    State(st): State<AppState>,
    user: Ctx,
    body: Bytes,
) -> AppResult<Redirect> {
    let ids = form_values(&body, "id");
    if ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one-2")));
    }
    for id in &ids {
        service::delete(&st, &user, id).await?;
    }
    Ok(Redirect::to("/admin/smtp"))
}

/// The Configure form's values (the password is never filled in).
#[derive(Default, serde::Deserialize)]
pub struct FormData {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    no_tls: Option<String>,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    ca_pem: String,
}

impl FormData {
    fn of(r: &ServerRow) -> Self {
        FormData {
            name: r.name.clone(),
            address: r.address.clone(),
            port: r.port.to_string(),
            username: r.username.clone(),
            password: String::new(),
            sender: r.sender.clone(),
            recipient: r.recipient.clone(),
            no_tls: (r.no_tls == 1).then(|| "1".into()),
            default: (r.is_default == 1).then(|| "1".into()),
            ca_pem: r.ca_pem.clone(),
        }
    }

    fn input(&self) -> Input {
        Input {
            name: self.name.clone(),
            address: self.address.clone(),
            port: self.port.trim().parse().unwrap_or(0),
            username: self.username.clone(),
            password: Some(self.password.clone()),
            sender: self.sender.clone(),
            recipient: self.recipient.clone(),
            no_tls: self.no_tls.is_some(),
            default: self.default.is_some(),
            ca_pem: self.ca_pem.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "smtp_configure.html")]
struct Configure {
    layout: Layout,
    id: String,
    form: FormData,
    password_set: bool,
    error: String,
    notice: String,
    check_failed: bool,
    last_error: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
    failed: Option<String>,
}

fn page(
    user: &Ctx,
    id: &str,
    form: FormData,
    row: Option<&ServerRow>,
    error: String,
    q: NoticeQuery,
) -> Response {
    render(&Configure {
        layout: Layout::page("smtp-configure", "admin-smtp", user),
        id: id.to_owned(),
        form,
        password_set: row.is_some_and(|r| !r.password_enc.is_empty()),
        error,
        check_failed: q.failed.is_some(),
        notice: q.notice.unwrap_or_default().chars().take(1000).collect(),
        last_error: row.and_then(|r| r.last_error.clone()).unwrap_or_default(),
    })
}

pub async fn new_form(State(st): State<AppState>, user: Ctx) -> AppResult<Response> {
    service::list(&st, &user).await?; // the same right as the list
    let form = FormData {
        port: "587".into(),
        ..Default::default()
    };
    Ok(page(
        &user,
        "",
        form,
        None,
        String::new(),
        NoticeQuery::default(),
    ))
}

pub async fn edit_form(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let row = service::get(&st, &user, &id).await?;
    Ok(page(
        &user,
        &id,
        FormData::of(&row),
        Some(&row),
        String::new(),
        q,
    ))
}

pub async fn create(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<FormData>,
) -> AppResult<Response> {
    match service::create(&st, &user, f.input()).await {
        Ok(row) => Ok(Redirect::to(&format!("/admin/smtp/{}", row.id)).into_response()),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => {
            let error = user.tr().msg(&m);
            Ok(page(
                &user,
                "",
                FormData {
                    password: String::new(),
                    ..f
                },
                None,
                error,
                NoticeQuery::default(),
            ))
        }
        Err(e) => Err(e),
    }
}

pub async fn update(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FormData>,
) -> AppResult<Response> {
    match service::update(&st, &user, &id, f.input()).await {
        Ok(_) => Ok(Redirect::to("/admin/smtp").into_response()),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => {
            let row = service::get(&st, &user, &id).await?;
            let error = user.tr().msg(&m);
            Ok(page(
                &user,
                &id,
                FormData {
                    password: String::new(),
                    ..f
                },
                Some(&row),
                error,
                NoticeQuery::default(),
            ))
        }
        Err(e) => Err(e),
    }
}

/// "Check": a test mail to the recipient; the result on the form.
pub async fn check(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let tr = user.tr();
    let (notice, failed) = match service::test(&st, &user, &id).await {
        Ok(()) => (tr.t("smtp-check-sent"), ""),
        Err(AppError::Upstream(m)) => (tr.msg(&m), "&failed=1"),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/admin/smtp/{id}"),
        &notice,
        failed,
    ))
}

#[derive(Template)]
#[template(path = "system_smtp.html")]
struct SystemPage {
    layout: Layout,
    system_id: String,
    system_name: String,
    servers: Vec<(String, String, bool)>,
    chosen: String,
}

pub async fn system_page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let cap = access::require::<access::feature::Manage>(&st, &user, &id).await?;
    let rows = super::store::of_company(&st.db, cap.system().company_id.as_str()).await?;
    let chosen = super::store::choices(&st.db, cap.system().company_id.as_str())
        .await?
        .into_iter()
        .find(|(s, _)| s == cap.id())
        .and_then(|(_, c)| c)
        .unwrap_or_default();
    Ok(render(&SystemPage {
        layout: Layout::new(
            user.tr()
                .t1("smtp-system-title", "name", &cap.system().name),
            "systems",
            &user,
        ),
        system_id: id.to_string(),
        system_name: cap.system().name.clone(),
        servers: rows
            .into_iter()
            .map(|r| (r.id, r.name, r.is_default == 1))
            .collect(),
        chosen,
    }))
}

#[derive(serde::Deserialize)]
pub struct Choice {
    server: String,
}

pub async fn system_choose(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Form(c): Form<Choice>,
) -> AppResult<Redirect> {
    let cap = access::require::<access::feature::Manage>(&st, &user, &id).await?;
    service::choose(&st, &user, &cap, Some(&c.server)).await?;
    Ok(Redirect::to(&format!("/systems/{id}/smtp")))
}

pub async fn system_clear(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Redirect> {
    let cap = access::require::<access::feature::Manage>(&st, &user, &id).await?;
    service::choose(&st, &user, &cap, None).await?;
    Ok(Redirect::to(&format!("/systems/{id}/smtp")))
}
