//! `/api/v1/systems/{id}/registrations`: Telephone status and Providers and Accounts.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::Registrations};
use crate::ids::SystemId;
use crate::registrations::service;
use crate::registrations::views::{account_status, phone_status};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct PhoneJson {
    pub name: String,
    pub mac: String,
    /// `ip`, `dect`, `analogue` or `other`.
    pub kind: String,
    /// e.g. `registered_encrypted`, `no_provisioning_file`, `connected`, `unknown`.
    pub status: String,
    pub status_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    pub account: String,
    pub provider: String,
    /// e.g. `registered_encoded`, `stun_offline`, `not_registered`.
    pub status: String,
    pub status_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationsJson {
    /// When the PBX reported this state; none if it has not yet.
    pub as_of_ms: Option<i64>,
    pub phones: Vec<PhoneJson>,
    pub accounts: Vec<AccountJson>,
}

async fn load(
    st: &AppState,
    cap: &access::Cap<Registrations>,
    tr: &crate::i18n::Tr,
) -> ApiResult<RegistrationsJson> {
    let (phones, accounts, as_of_ms) = service::load(st, cap).await?;
    Ok(RegistrationsJson {
        as_of_ms,
        phones: phones
            .into_iter()
            .map(|p| PhoneJson {
                status_text: tr.t(phone_status(&p.status).1),
                name: p.name,
                mac: p.mac,
                kind: p.kind,
                status: p.status,
            })
            .collect(),
        accounts: accounts
            .into_iter()
            .map(|a| AccountJson {
                status_text: tr.t(account_status(&a.status).1),
                account: a.account,
                provider: a.provider,
                status: a.status,
            })
            .collect(),
    })
}

/// Registration status as last reported (needs active maintenance on the PBX: else 409).
#[utoipa::path(get, path = "/api/v1/systems/{id}/registrations", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = RegistrationsJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<RegistrationsJson>> {
    let cap = access::require::<Registrations>(&st, &u, &id).await?;
    Ok(Json(load(&st, &cap, &u.tr()).await?))
}

/// Asks the PBX for its registration status now and returns it (409 when it is offline or
/// has no active maintenance).
#[utoipa::path(post, path = "/api/v1/systems/{id}/registrations/refresh", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = RegistrationsJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<RegistrationsJson>> {
    let cap = access::require::<Registrations>(&st, &u, &id).await?;
    service::refresh(&st, &cap).await?;
    Ok(Json(load(&st, &cap, &u.tr()).await?))
}
