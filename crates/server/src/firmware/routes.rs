//! Operator › Firmware (upload, list, delete) and Selected system › Update including restart
//! with its Update status.

use super::service::{self, Upload};
use crate::access::{self, feature::Firmware};
use crate::commands::views::CommandLine;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use zentrale_protocol::commands::{CommandKind, FirmwareUpdate};

/// One image as the pages show it.
pub struct ImageLine {
    pub id: String,
    pub version: String,
    pub models: String,
    pub notes: String,
    pub size: String,
    pub sha256: String,
    pub uploaded: String,
    pub by: String,
}

fn image_line(tr: &crate::i18n::Tr, i: &super::store::ImageRow) -> ImageLine {
    ImageLine {
        id: i.id.clone(),
        version: i.version.clone(),
        models: i.model_list().join(", "),
        notes: i.notes.clone(),
        size: crate::commands::views::size_text(tr, i.size.max(0) as u64),
        sha256: i.sha256.clone(),
        uploaded: tr.datetime(Some(i.created_at)),
        by: i.uploaded_by.clone(),
    }
}

#[derive(Template)]
#[template(path = "operator_firmware.html")]
struct OperatorPage {
    layout: Layout,
    images: Vec<ImageLine>,
    keys: usize,
    notice: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn operator_page(
    State(st): State<AppState>,
    user: Ctx,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    crate::operator::service::require(&user)?;
    let tr = user.tr();
    Ok(render(&OperatorPage {
        layout: Layout::page("firmware-images", "operator-firmware", &user),
        images: service::images(&st)
            .await?
            .iter()
            .map(|i| image_line(&tr, i))
            .collect(),
        keys: st.config.firmware_keys.len(),
        notice: q.notice.unwrap_or_default().chars().take(300).collect(),
    }))
}

/// Reads a multipart upload: the text fields, and the `image` streamed into the blob store.
pub async fn read_upload(
    st: &AppState,
    mut form: Multipart,
) -> AppResult<(Upload, Option<service::Received>)> {
    let mut up = Upload {
        version: String::new(),
        models: String::new(),
        notes: String::new(),
        signature: String::new(),
    };
    let mut image = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(crate::msg!("firmware-bad-form", why = e.body_text()))
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "image" {
            if let Some(old) = image.replace(service::receive(st, field).await?) {
                discard(st, &old).await;
            }
            continue;
        }
        // Text parts are read up to a limit, never whole into memory.
        let mut field = field;
        let mut raw = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            raw.extend_from_slice(&chunk);
            if raw.len() > 20_000 {
                return Err(AppError::BadRequest(crate::msg!(
                    "firmware-field-too-long",
                    field = name
                )));
            }
        }
        let text = String::from_utf8(raw).map_err(|_| {
            AppError::BadRequest(crate::msg!("firmware-field-not-text", field = name.clone()))
        })?;
        crate::input::check_field(&name, &text).map_err(|f| AppError::BadRequest(f.message()))?;
        match name.as_str() {
            "version" => up.version = text,
            "models" => up.models = text,
            "notes" => up.notes = text,
            "signature" => up.signature = text,
            _ => {}
        }
    }
    Ok((up, image))
}

async fn discard(st: &AppState, r: &service::Received) {
    if let Some(blobs) = &st.blobs {
        let _ = crate::blobs::objects::delete(&st.db, blobs, &r.object).await;
    }
}

/// Checks and keeps an upload (an image that fails is deleted again).
pub async fn take_upload(
    st: &AppState,
    user: &Ctx,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<super::store::ImageRow> {
    crate::operator::service::require(user)?;
    let form = form
        .map_err(|e| AppError::BadRequest(crate::msg!("firmware-bad-form", why = e.body_text())))?;
    let (up, image) = match read_upload(st, form).await {
        Ok(x) => x,
        Err(e) => return Err(e),
    };
    let Some(image) = image else {
        return Err(AppError::BadRequest(crate::msg!("firmware-no-image")));
    };
    service::add(st, user, up, image).await
}

pub async fn upload(
    State(st): State<AppState>,
    user: Ctx,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    crate::operator::service::require(&user)?;
    let tr = user.tr();
    let notice = match take_upload(&st, &user, form).await {
        Ok(i) => tr.t1("firmware-uploaded", "version", &i.version),
        Err(AppError::BadRequest(m) | AppError::Conflict(m) | AppError::Unavailable(m)) => {
            tr.msg(&m)
        }
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        "/operator/firmware",
        &notice,
        "",
    ))
}

pub async fn delete(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    crate::operator::service::require(&user)?;
    service::delete(&st, &user, &id).await?;
    Ok(Redirect::to("/operator/firmware").into_response())
}

#[derive(Template)]
#[template(path = "firmware.html")]
struct SystemPage {
    layout: Layout,
    system_id: String,
    system_name: String,
    unavailable: String,
    running_version: String,
    offer: Option<ImageLine>,
    notice: String,
    lines: Vec<CommandLine>,
    events: Vec<(String, String, bool)>,
}

pub async fn system_page(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let a = access::system(&st, &user, &id).await?;
    let tr = user.tr();
    let name = a.system().name.clone();
    let mut page = SystemPage {
        layout: Layout::new(tr.t1("firmware-title", "name", &name), "systems", &user),
        system_id: id.to_string(),
        system_name: name.clone(),
        unavailable: String::new(),
        running_version: a.system().firmware.clone().unwrap_or_default(),
        offer: None,
        notice: q.notice.unwrap_or_default().chars().take(300).collect(),
        lines: Vec::new(),
        events: Vec::new(),
    };
    let cap = match a.require::<Firmware>(&st) {
        Ok(cap) => cap,
        Err(AppError::Unavailable(why)) => {
            page.unavailable = tr.msg(&why);
            let mut resp = render(&page);
            *resp.status_mut() = StatusCode::CONFLICT;
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    page.offer = service::offer(&st, &cap)
        .await?
        .map(|i| image_line(&tr, &i));
    page.lines = crate::commands::store::of_system(&st.db, cap.id(), None, 50)
        .await?
        .iter()
        .filter(|c| c.kind == FirmwareUpdate::KIND)
        .map(|c| crate::commands::views::line(&tr, c, &name))
        .collect();
    page.events = crate::alerts::store::latest_of_kind(&st.db, cap.id(), "firmware_update", 20)
        .await?
        .iter()
        .map(|a| {
            (
                tr.datetime(Some(a.opened_at)),
                a.text(&tr),
                a.resolved_at.is_some(),
            )
        })
        .collect();
    Ok(render(&page))
}

#[derive(serde::Deserialize)]
pub struct UpdateForm {
    version: String,
}

pub async fn update(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
    Form(f): Form<UpdateForm>,
) -> AppResult<Response> {
    let cap = access::require::<Firmware>(&st, &user, &id).await?;
    let tr = user.tr();
    let notice = match service::update(&st, &user, &cap, &f.version).await {
        Ok(_) => tr.t("firmware-update-started"),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => tr.msg(&m),
        Err(e) => return Err(e),
    };
    Ok(crate::web::back_with_notice(
        &format!("/systems/{id}/firmware"),
        &notice,
        "",
    ))
}
