//! Rules of pairing and device authentication. Tokens and secrets are never logged.

use crate::audit::{self, Actor, Event};
use crate::context::ReqMeta;
use crate::error::{AppError, AppResult};
use crate::ids::{ConfirmationCode, SerialNumber, hash_secret, new_secret};
use crate::state::AppState;
use crate::systems::store::{self, SystemRow};
use zentrale_protocol::MIN_PAIRING_FIRMWARE;
use zentrale_protocol::pairing::{PairRequest, PairResponse, codes};

/// Confirms access: checks the token against the serial, expiry, use and firmware, and on
/// success hands out the device credential. Failures are recorded on the system so its
/// owner sees them under "State of device".
pub async fn pair(st: &AppState, meta: &ReqMeta, req: &PairRequest) -> AppResult<PairResponse> {
    let serial = SerialNumber::parse(&req.serial)
        .map_err(|e| AppError::device(codes::BAD_REQUEST, e.to_string()))?;
    let now = st.clock.now_ms();
    let found = match ConfirmationCode::parse(&req.token) {
        Some(code) => store::by_token(&st.db, code.as_str()).await?,
        None => None,
    };
    let Some(sys) = found else {
        tracing::info!(%serial, "pairing refused: unknown token");
        return Err(AppError::device(
            codes::UNKNOWN_TOKEN,
            "No system waits for this confirmation code. Check it, or renew it in the control center.",
        ));
    };
    let device = Actor::Device {
        system: &sys.id,
        label: &sys.name,
    };
    let refuse = async |code: &'static str, detail: String, message: String| {
        store::record_error(&st.db, &sys.id, code, &detail, now).await?;
        tracing::info!(system = %sys.id, serial = %sys.serial, code, "pairing refused");
        let ev = Event::new("system.pairing_refused")
            .system(&sys.id)
            .company(&sys.company_id)
            .arg("code", code);
        audit::record(&st.db, &device, meta, now, ev).await?;
        Err::<PairResponse, AppError>(AppError::device(code, message))
    };
    if sys.serial != serial.as_str() {
        return refuse(
            codes::SERIAL_MISMATCH,
            serial.to_string(),
            "This confirmation code belongs to a system with another serial number.".into(),
        )
        .await;
    }
    if sys.token_used_at.is_some() {
        return refuse(
            codes::TOKEN_USED,
            String::new(),
            "This confirmation code was already used. Renew it in the control center.".into(),
        )
        .await;
    }
    if sys.token_expires_at.is_none_or(|exp| exp <= now) {
        return refuse(
            codes::TOKEN_EXPIRED,
            String::new(),
            "This confirmation code has expired (valid 24 hours). Renew it in the control center."
                .into(),
        )
        .await;
    }
    if req.firmware < MIN_PAIRING_FIRMWARE {
        return refuse(
            codes::FIRMWARE_TOO_OLD,
            req.firmware.to_string(),
            format!(
                "Firmware {} is too old: the PBX needs at least {MIN_PAIRING_FIRMWARE}.",
                req.firmware
            ),
        )
        .await;
    }
    let secret = new_secret();
    let token = sys.token.clone().unwrap_or_default();
    if !store::mark_paired(&st.db, &sys.id, &token, &hash_secret(&secret), now).await? {
        return Err(AppError::device(
            codes::TOKEN_USED,
            "This confirmation code was just used by another request. Renew it in the control center.",
        ));
    }
    // A previous pairing of the same system (re-paired after a renew) loses its access.
    st.link.revoke(&sys.id, "the system was paired again");
    tracing::info!(system = %sys.id, %serial, "paired");
    let ev = Event::new("system.paired")
        .system(&sys.id)
        .company(&sys.company_id)
        .arg("serial", serial.as_str())
        .arg("firmware", req.firmware.to_string());
    audit::record(&st.db, &device, meta, now, ev).await?;
    Ok(PairResponse {
        system_id: sys.id.into(),
        secret,
    })
}

/// The system a device credential belongs to, or 401.
pub async fn authenticate(st: &AppState, serial: &str, secret: &str) -> AppResult<SystemRow> {
    let unauthorized = || {
        AppError::device(
            codes::UNAUTHORIZED,
            "The device credential is not valid (the access was deleted or the system re-paired). \
             Confirm access again with a new token.",
        )
    };
    let db = st.db.clone();
    let read = move |hashes: Vec<String>| {
        let db = db.clone();
        async move {
            let rows = store::by_secret_hashes(&db, &hashes).await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| Some((r.secret_hash.clone()?, r)))
                .collect())
        }
    };
    let sys = st
        .lookups
        .get(hash_secret(secret), read)
        .await?
        .ok_or_else(unauthorized)?;
    if !sys.serial.eq_ignore_ascii_case(serial.trim()) {
        return Err(unauthorized());
    }
    Ok(sys)
}

/// The PBX deleted its access: the connection is removed completely on the server side.
pub async fn revoke_by_device(st: &AppState, meta: &ReqMeta, sys: &SystemRow) -> AppResult<()> {
    let now = st.clock.now_ms();
    store::revoke_by_device(&st.db, &sys.id, now).await?;
    let device = Actor::Device {
        system: &sys.id,
        label: &sys.name,
    };
    let ev = Event::new("system.access_deleted")
        .system(&sys.id)
        .company(&sys.company_id);
    audit::record(&st.db, &device, meta, now, ev).await?;
    st.link.revoke(&sys.id, "the access was deleted on the PBX");
    tracing::info!(system = %sys.id, "access deleted by the PBX");
    Ok(())
}
