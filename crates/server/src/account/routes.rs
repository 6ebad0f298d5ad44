//! The Account page and its actions.

use super::service;
use crate::audit::Event;
use crate::auth::client::ClientIp;
use crate::auth::session::{self, CurrentUser, Origin};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct SessionLine {
    pub handle: String,
    pub created: String,
    pub last_seen: String,
    pub user_agent: String,
    pub ip: String,
    pub current: bool,
}

pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

/// A message of the Account page, shown in the section it belongs to.
#[derive(Default)]
pub struct Message {
    /// `password`, `totp`, `tokens`, `sessions`, or empty for the top of the page.
    pub at: &'static str,
    pub error: String,
    pub notice: String,
    error_msg: Option<crate::i18n::Msg>,
    notice_key: &'static str,
}

impl Message {
    fn error(at: &'static str, text: crate::i18n::Msg) -> Self {
        Message {
            at,
            error: String::new(),
            notice: String::new(),
            error_msg: Some(text),
            notice_key: "",
        }
    }

    fn notice(at: &'static str, key: &'static str) -> Self {
        Message {
            at,
            error: String::new(),
            notice: String::new(),
            error_msg: None,
            notice_key: key,
        }
    }

    /// Renders the message in the reader's language.
    fn rendered(mut self, tr: &crate::i18n::Tr) -> Self {
        if let Some(m) = self.error_msg.take() {
            self.error = tr.msg(&m);
        }
        if !self.notice_key.is_empty() {
            self.notice = tr.t(self.notice_key);
        }
        self
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct Page {
    layout: Layout,
    sessions: Vec<SessionLine>,
    tokens: Vec<TokenLine>,
    new_token: String,
    msg: Message,
    /// `sso` (no local password), `on`, `setup` (pending secret shown) or `off`.
    totp_state: String,
    totp_secret: String,
    totp_uri: String,
    /// The `otpauth://` URI as a QR code (SVG), while setting up.
    totp_qr: String,
}

async fn page(
    st: &AppState,
    user: &CurrentUser,
    new_token: String,
    msg: Message,
    status: StatusCode,
) -> AppResult<Response> {
    let tr = user.tr();
    let msg = msg.rendered(&tr);
    let sessions = session::list(st, &user.id)
        .await?
        .into_iter()
        .map(|s| SessionLine {
            current: user.session.as_deref() == Some(s.id_hash.as_str()),
            handle: s.id_hash.chars().take(16).collect(),
            created: tr.datetime(Some(s.created_at)),
            last_seen: tr.datetime(Some(s.last_seen_at)),
            user_agent: describe_user_agent(&tr, &s.user_agent),
            ip: s.ip,
        })
        .collect();
    let tokens = service::tokens(st, user)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: t.id,
            name: t.name,
            created: tr.datetime(Some(t.created_at)),
            expires: t
                .expires_at
                .map_or(tr.t("account-never"), |e| tr.datetime(Some(e))),
            last_used: t
                .last_used_at
                .map_or(tr.t("account-never"), |e| tr.datetime(Some(e))),
        })
        .collect();
    let local = crate::users::store::user_by_id(&st.db, &user.id)
        .await?
        .is_some_and(|u| u.password_hash.is_some());
    let pending = crate::auth::totp::pending(st, &user.id).await?;
    let (totp_state, totp_secret) = if !local {
        ("sso", String::new())
    } else if crate::auth::totp::enabled(st, &user.id).await? {
        ("on", String::new())
    } else if let Some(p) = pending {
        ("setup", p)
    } else {
        ("off", String::new())
    };
    let totp_uri = if totp_secret.is_empty() {
        String::new()
    } else {
        crate::auth::totp::uri(&totp_secret, &user.email)
    };
    let mut resp = render(&Page {
        layout: Layout::page("account-title", "account", user),
        sessions,
        tokens,
        new_token,
        msg,
        totp_state: totp_state.to_owned(),
        totp_secret,
        totp_qr: qr_svg(&totp_uri),
        totp_uri,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn show(State(st): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    page(
        &st,
        &user,
        String::new(),
        Message::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn end_session(
    State(st): State<AppState>,
    user: Ctx,
    Path(handle): Path<String>,
) -> AppResult<Redirect> {
    session::revoke(&st, &user.id, &handle).await?;
    user.audit(&st, Event::new("session.ended")).await?;
    Ok(Redirect::to("/account"))
}

pub async fn end_other_sessions(State(st): State<AppState>, user: Ctx) -> AppResult<Redirect> {
    session::revoke_others(&st, &user.id, user.session.as_deref()).await?;
    user.audit(&st, Event::new("session.ended_others")).await?;
    Ok(Redirect::to("/account"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    user: Ctx,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    match service::change_password(&st, &user, &f.current, &f.new, &f.repeat).await {
        Ok(()) => {
            let cookie = session::start(&st, &user.id, &Origin::of(&headers, ip)).await?;
            let mut user = user;
            user.session = None;
            let resp = page(
                &st,
                &user,
                String::new(),
                Message::notice("password", "account-password-changed"),
                StatusCode::OK,
            )
            .await?;
            Ok(session::with_cookie(resp, cookie))
        }
        Err(AppError::BadRequest(m)) => {
            page(
                &st,
                &user,
                String::new(),
                Message::error("password", m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    #[serde(default)]
    days: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let days = match f.days.trim() {
        "" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| AppError::BadRequest(crate::msg!("err-not-number-days", d = d)))?,
        ),
    };
    match service::create_token(&st, &user, &f.name, days).await {
        Ok((_, secret)) => page(&st, &user, secret, Message::default(), StatusCode::OK).await,
        Err(AppError::BadRequest(m)) => {
            page(
                &st,
                &user,
                String::new(),
                Message::error("tokens", m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn revoke_token(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    service::revoke_token(&st, &user, &id).await?;
    Ok(Redirect::to("/account"))
}

pub async fn totp_setup(State(st): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let local = crate::users::store::user_by_id(&st.db, &user.id)
        .await?
        .is_some_and(|u| u.password_hash.is_some());
    if !local {
        return Err(AppError::BadRequest(crate::msg!(
            "err-identity-provider-handles-second"
        )));
    }
    crate::auth::totp::begin_setup(&st, &user.id).await?;
    Ok(Redirect::to("/account#totp").into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn totp_confirm(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    let result = crate::auth::totp::confirm_setup(&st, &user.id, &f.code).await;
    if result.is_ok() {
        user.audit(&st, Event::new("totp.enabled")).await?;
    }
    totp_outcome(&st, &user, result, "account-totp-on").await
}

pub async fn totp_disable(
    State(st): State<AppState>,
    user: Ctx,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    let result = service::disable_totp(&st, &user, &f.code).await;
    totp_outcome(&st, &user, result, "account-totp-off").await
}

/// The account page after a second-factor change: the notice, or the reason it was refused.
async fn totp_outcome(
    st: &AppState,
    user: &CurrentUser,
    result: AppResult<()>,
    notice: &'static str,
) -> AppResult<Response> {
    match result {
        Ok(()) => {
            page(
                st,
                user,
                String::new(),
                Message::notice("totp", notice),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::BadRequest(m)) => {
            page(
                st,
                user,
                String::new(),
                Message::error("totp", m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// "Firefox 128 on Linux" instead of the raw `User-Agent` header.
pub fn describe_user_agent(tr: &crate::i18n::Tr, ua: &str) -> String {
    if ua.trim().is_empty() {
        return tr.t("ua-unknown");
    }
    let Some(r) = woothee::parser::Parser::new().parse(ua) else {
        return tr.t("ua-other");
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let major = r.version.split('.').next().unwrap_or("");
    let browser = match (known(r.name), known(major)) {
        (true, true) => format!("{} {major}", r.name),
        (true, false) => r.name.to_owned(),
        _ => tr.t("ua-unknown-browser"),
    };
    if known(r.os) {
        tr.msg(
            &crate::i18n::Msg::new("ua-on")
                .text("browser", browser)
                .text("os", r.os),
        )
    } else {
        browser
    }
}

/// The QR code of `uri` as an SVG element (empty for an empty URI).
fn qr_svg(uri: &str) -> String {
    if uri.is_empty() {
        return String::new();
    }
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build();
            // Drop the XML declaration: the SVG is embedded in the page.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_owned(),
                None => svg,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "QR code not rendered");
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_described() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/126.0.6478.126 Safari/537.36";
        let en = crate::i18n::Tr::default();
        assert_eq!(describe_user_agent(&en, chrome), "Chrome 126 on Linux");
        assert_eq!(describe_user_agent(&en, ""), "unknown");
        let de = crate::i18n::Tr::new(crate::i18n::Locale::De, chrono_tz::Tz::UTC);
        assert_eq!(describe_user_agent(&de, chrome), "Chrome 126 unter Linux");
        assert!(qr_svg("otpauth://totp/x?secret=ABC").starts_with("<svg"));
    }
}
