//! The REST API under `/api/v1`: JSON in and out, the same services and access checks as
//! the web UI, authenticated by session cookie or personal API token, described by the
//! OpenAPI document at `/api/v1/openapi.json`. Errors are `{"code", "message"}`.

pub mod account;
pub mod alerts;
pub mod audit;
pub mod authorisations;
pub mod backups;
pub mod calls;
pub mod commands;
pub mod companies;
pub mod docs;
pub mod firmware;
pub mod groups;
pub mod monitoring;
pub mod news;
pub mod registrations;
pub mod remote;
pub mod smtp;
pub mod systems;

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code: `unauthenticated`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `unavailable` (the function needs maintenance, a newer firmware or a connected PBX), `internal`.
    pub code: &'static str,
    /// What went wrong, for people, in the language of `Accept-Language`.
    pub message: String,
    /// The message's arguments (names, numbers, times in ms), where it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
    /// The request's id, as in the server's log and the `x-request-id` header.
    pub request_id: String,
}

/// An [`AppError`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError(AppError::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Unauthenticated => crate::error::shown(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                crate::i18n::Msg::new("err-api-unauthenticated"),
                true,
            ),
            AppError::Device { code, message } => (
                AppError::device_status(code),
                Json(ErrorBody {
                    code,
                    message,
                    args: None,
                    request_id: String::new(),
                }),
            )
                .into_response(),
            other => match other.parts() {
                Some((status, code, msg)) => crate::error::shown(status, code, msg, true),
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The caller of an API request (session cookie or bearer token) with its context; else 401.
pub struct ApiUser(pub Ctx);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let meta = crate::context::meta_of(parts);
        let user = match crate::auth::session::resolve(st, &parts.headers).await? {
            Some(mut u) => {
                // The API honours Accept-Language over the stored choice.
                if parts
                    .headers
                    .contains_key(axum::http::header::ACCEPT_LANGUAGE)
                {
                    u.locale = meta.locale;
                }
                u
            }
            None => match crate::auth::session::resolve_token(st, &parts.headers).await? {
                Some(u) => u,
                None => return Err(ApiError(AppError::Unauthenticated)),
            },
        };
        Ok(ApiUser(Ctx { user, meta }))
    }
}

/// A JSON body whose shape errors are answered in the API's error format.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError(AppError::BadRequest(
                crate::i18n::Msg::new("err-invalid-json").text("detail", e.body_text()),
            ))),
        }
    }
}

/// Query parameters whose errors are answered in the API's error format.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError(AppError::BadRequest(
                crate::i18n::Msg::new("err-invalid-query").text("detail", e.body_text()),
            ))),
        }
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(crate::auth::session::COOKIE_NAME),
            )),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Zentrale API", version = "1", description = "Everything the web UI does, as JSON. \
        Authenticate with a personal API token (`Authorization: Bearer zt_…`, created under Account) \
        or a session cookie. Errors are `{\"code\", \"message\", \"request_id\"}`, the message in the \
        language of `Accept-Language` (English or German)."),
    modifiers(&Security),
    security(("token" = []), ("session" = [])),
    paths(
        account::me, account::sessions, account::end_session, account::tokens, account::create_token,
        account::revoke_token,
        systems::list, systems::create, systems::get_one, systems::delete, systems::renew_token,
        systems::cancel_token, systems::rename, systems::access_paths, systems::withdraw_authorisation,
        systems::remove_from_group, registrations::get, registrations::refresh, monitoring::api,
        commands::list, commands::get_one, commands::cancel, backups::list, backups::create,
        backups::restore, backups::delete, backups::compare, backups::get_schedule, backups::put_schedule,
        calls::system_list, calls::all_list, calls::system_csv, calls::all_csv, calls::retrieve, calls::retrieve_all,
        remote::create, remote::list, remote::delete,
        firmware::list, firmware::upload, firmware::update, smtp::list, smtp::create, smtp::get_one,
        smtp::update, smtp::delete, smtp::test, smtp::choose, smtp::unchoose,
        alerts::api_system, alerts::api_fleet, alerts::api_ack,
        authorisations::list, authorisations::create, authorisations::update, authorisations::delete,
        groups::list, groups::create, groups::get_one, groups::update, groups::delete, groups::join,
        groups::leave, groups::add_member, groups::set_member, groups::remove_member, groups::add_system,
        groups::remove_system, companies::list, companies::create, audit::list, news::list,
    ),
    tags(
        (name = "account", description = "The caller's own account"),
        (name = "systems", description = "Systems (PBXes) and their pairing"),
        (name = "authorisations", description = "Roles granted to others"),
        (name = "groups", description = "User groups"),
        (name = "firmware", description = "Firmware images for PBX updates"),
        (name = "calls", description = "Call data of the PBXes"),
        (name = "remote", description = "Remote configuration of the PBXes through a tunnel"),
        (name = "smtp", description = "Outgoing mail servers for e-mail warnings"),
        (name = "operator", description = "Company management by the platform operator"),
        (name = "audit", description = "The audit log"),
    )
)]
pub struct ApiDoc;

pub async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// The API's routes.
pub fn routes() -> Vec<crate::route::RouteDef> {
    use axum::routing::{delete, get, patch, post, put};
    let r = crate::route::RouteDef::new;
    vec![
        r("GET", "/api/v1/openapi.json", get(openapi)),
        r("GET", "/api/docs", get(docs::page)),
        r("GET", "/api/v1/me", get(account::me)),
        r("GET", "/api/v1/audit", get(audit::list)),
        r("GET", "/api/v1/news", get(news::list)),
        r("GET", "/api/v1/account/sessions", get(account::sessions)),
        r(
            "DELETE",
            "/api/v1/account/sessions/{handle}",
            delete(account::end_session),
        ),
        r("GET", "/api/v1/account/tokens", get(account::tokens)),
        r(
            "POST",
            "/api/v1/account/tokens",
            post(account::create_token),
        ),
        r(
            "DELETE",
            "/api/v1/account/tokens/{id}",
            delete(account::revoke_token),
        ),
        r("GET", "/api/v1/systems", get(systems::list)),
        r("POST", "/api/v1/systems", post(systems::create)),
        r("GET", "/api/v1/systems/{id}", get(systems::get_one)),
        r("DELETE", "/api/v1/systems/{id}", delete(systems::delete)),
        r("PATCH", "/api/v1/systems/{id}", patch(systems::rename)),
        r(
            "GET",
            "/api/v1/systems/{id}/access",
            get(systems::access_paths),
        ),
        r(
            "DELETE",
            "/api/v1/systems/{id}/authorisations/{authorisation_id}",
            delete(systems::withdraw_authorisation),
        ),
        r(
            "DELETE",
            "/api/v1/systems/{id}/groups/{group_id}",
            delete(systems::remove_from_group),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/token",
            post(systems::renew_token),
        ),
        r(
            "DELETE",
            "/api/v1/systems/{id}/token",
            delete(systems::cancel_token),
        ),
        r(
            "GET",
            "/api/v1/systems/{id}/registrations",
            get(registrations::get),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/registrations/refresh",
            post(registrations::refresh),
        ),
        r(
            "GET",
            "/api/v1/systems/{id}/monitoring",
            get(monitoring::api),
        ),
        r("GET", "/api/v1/systems/{id}/commands", get(commands::list)),
        r("GET", "/api/v1/commands/{id}", get(commands::get_one)),
        r(
            "POST",
            "/api/v1/commands/{id}/cancel",
            post(commands::cancel),
        ),
        r("GET", "/api/v1/smtp-servers", get(smtp::list)),
        r("POST", "/api/v1/smtp-servers", post(smtp::create)),
        r("GET", "/api/v1/smtp-servers/{id}", get(smtp::get_one)),
        r("PATCH", "/api/v1/smtp-servers/{id}", patch(smtp::update)),
        r("DELETE", "/api/v1/smtp-servers/{id}", delete(smtp::delete)),
        r("POST", "/api/v1/smtp-servers/{id}/test", post(smtp::test)),
        r("PUT", "/api/v1/systems/{id}/smtp", put(smtp::choose)),
        r(
            "DELETE",
            "/api/v1/systems/{id}/smtp",
            delete(smtp::unchoose),
        ),
        r("GET", "/api/v1/firmware", get(firmware::list)),
        r(
            "POST",
            "/api/v1/firmware",
            post(firmware::upload).layer(axum::extract::DefaultBodyLimit::max(1100 * 1024 * 1024)),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/firmware-update",
            post(firmware::update),
        ),
        r("GET", "/api/v1/systems/{id}/calls", get(calls::system_list)),
        r(
            "GET",
            "/api/v1/systems/{id}/calls.csv",
            get(calls::system_csv),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/calls/retrieve",
            post(calls::retrieve),
        ),
        r("GET", "/api/v1/calls", get(calls::all_list)),
        r("POST", "/api/v1/calls/retrieve", post(calls::retrieve_all)),
        r(
            "POST",
            "/api/v1/systems/{id}/remote-sessions",
            post(remote::create),
        ),
        r(
            "GET",
            "/api/v1/systems/{id}/remote-sessions",
            get(remote::list),
        ),
        r(
            "DELETE",
            "/api/v1/systems/{id}/remote-sessions/{session_id}",
            delete(remote::delete),
        ),
        r("GET", "/api/v1/calls.csv", get(calls::all_csv)),
        r("GET", "/api/v1/systems/{id}/backups", get(backups::list)),
        r(
            "POST",
            "/api/v1/systems/{id}/backups",
            post(backups::create),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/backups/compare",
            post(backups::compare),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/backups/{backup_id}/restore",
            post(backups::restore),
        ),
        r(
            "DELETE",
            "/api/v1/systems/{id}/backups/{backup_id}",
            delete(backups::delete),
        ),
        r(
            "GET",
            "/api/v1/systems/{id}/backup-schedule",
            get(backups::get_schedule),
        ),
        r(
            "PUT",
            "/api/v1/systems/{id}/backup-schedule",
            put(backups::put_schedule),
        ),
        r(
            "GET",
            "/api/v1/systems/{id}/alerts",
            get(alerts::api_system),
        ),
        r(
            "POST",
            "/api/v1/systems/{id}/alerts/{alert_id}/ack",
            post(alerts::api_ack),
        ),
        r("GET", "/api/v1/alerts", get(alerts::api_fleet)),
        r("GET", "/api/v1/authorisations", get(authorisations::list)),
        r(
            "POST",
            "/api/v1/authorisations",
            post(authorisations::create),
        ),
        r(
            "PATCH",
            "/api/v1/authorisations/{id}",
            patch(authorisations::update),
        ),
        r(
            "DELETE",
            "/api/v1/authorisations/{id}",
            delete(authorisations::delete),
        ),
        r("GET", "/api/v1/groups", get(groups::list)),
        r("POST", "/api/v1/groups", post(groups::create)),
        r("GET", "/api/v1/groups/{id}", get(groups::get_one)),
        r("PATCH", "/api/v1/groups/{id}", patch(groups::update)),
        r("DELETE", "/api/v1/groups/{id}", delete(groups::delete)),
        r("POST", "/api/v1/groups/{id}/join", post(groups::join)),
        r("POST", "/api/v1/groups/{id}/leave", post(groups::leave)),
        r(
            "POST",
            "/api/v1/groups/{id}/members",
            post(groups::add_member),
        ),
        r(
            "PATCH",
            "/api/v1/groups/{id}/members/{user_id}",
            patch(groups::set_member),
        ),
        r(
            "DELETE",
            "/api/v1/groups/{id}/members/{user_id}",
            delete(groups::remove_member),
        ),
        r(
            "POST",
            "/api/v1/groups/{id}/systems",
            post(groups::add_system),
        ),
        r(
            "DELETE",
            "/api/v1/groups/{id}/systems/{system_id}",
            delete(groups::remove_system),
        ),
        r("GET", "/api/v1/companies", get(companies::list)),
        r("POST", "/api/v1/companies", post(companies::create)),
    ]
}
