//! Confirming access with the confirmation code (token).

use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::net;
use crate::state::AgentState;
use hyper::Method;
use zentrale_protocol::pairing::{DeviceError, PairRequest, PairResponse};
use zentrale_protocol::{FirmwareVersion, PAIR_PATH};

/// Sends the token and returns the credential (not yet saved).
pub async fn pair(
    cfg: &AgentConfig,
    token: &str,
    model: &str,
    firmware: FirmwareVersion,
) -> Result<AgentState, AgentError> {
    let req = PairRequest {
        serial: cfg.serial.clone(),
        token: token.to_owned(),
        model: model.to_owned(),
        firmware,
    };
    let body = serde_json::to_vec(&req).map_err(|e| AgentError::Config(e.to_string()))?;
    let (status, body) = net::request(cfg, Method::POST, PAIR_PATH, None, Some(body)).await?;
    if status.is_success() {
        let resp: PairResponse = serde_json::from_slice(&body)
            .map_err(|e| AgentError::Network(format!("unexpected pairing answer: {e}")))?;
        return Ok(AgentState {
            server: cfg.server.to_string(),
            serial: cfg.serial.clone(),
            system_id: resp.system_id,
            secret: resp.secret,
            commands: Vec::new(),
        });
    }
    match serde_json::from_slice::<DeviceError>(&body) {
        Ok(e) if status.is_client_error() => Err(AgentError::Refused {
            code: e.code,
            message: e.message,
        }),
        _ => Err(AgentError::Network(format!(
            "pairing failed with HTTP {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        ))),
    }
}
