//! `GET /device/v1/tunnels/{session}` with `Upgrade: zentrale-tunnel/1`: the agent's side
//! of a session's tunnel, with its device credential and the secret it was given in
//! `tunnel.open`. Another PBX's session, an ended one or a wrong secret is "not found".

use super::store;
use crate::error::{AppError, AppResult};
use crate::ids::hash_secret;
use crate::pairing::routes::basic_auth;
use crate::pairing::service::authenticate;
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use zentrale_protocol::pairing::codes;
use zentrale_protocol::tunnel::{SECRET_HEADER, UPGRADE_PROTOCOL};

pub async fn connect(
    State(st): State<AppState>,
    Path(session): Path<String>,
    mut req: Request,
) -> AppResult<Response> {
    let headers = req.headers();
    let (serial, secret) = basic_auth(headers)?;
    let sys = authenticate(&st, &serial, &secret).await?;
    let upgrade_ok = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case(UPGRADE_PROTOCOL));
    if !upgrade_ok {
        return Err(AppError::device(
            codes::BAD_REQUEST,
            format!("Send Upgrade: {UPGRADE_PROTOCOL} to open a tunnel."),
        ));
    }
    let given = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(hash_secret)
        .unwrap_or_default();
    let row = store::get(&st.db, &session)
        .await?
        .filter(|r| {
            r.system_id == *sys.id
                && r.ended_at.is_none()
                && !r.agent_hash.is_empty()
                && r.agent_hash == given
        })
        .ok_or_else(|| {
            AppError::device(
                codes::NO_SUCH_SESSION,
                "This PBX has no open remote-configuration session with this id and secret.",
            )
        })?;
    store::set_tunnel_node(&st.db, &row.id, &st.node).await?;
    let on_upgrade = hyper::upgrade::on(&mut req);
    let (hub, id) = (st.remote.clone(), row.id.clone());
    let counted_from = (row.bytes_up.max(0) as u64, row.bytes_down.max(0) as u64);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => hub.attach(&id, TokioIo::new(upgraded), counted_from),
            Err(e) => tracing::warn!(session = %id, error = %e, "tunnel upgrade failed"),
        }
    });
    let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static(UPGRADE_PROTOCOL));
    Ok(resp)
}
