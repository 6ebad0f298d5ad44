//! `HEAD`, `PUT` and `GET /device/v1/transfers/{id}`: the agent's side of a transfer, with
//! its device credential. Another system's transfer is "not found", as is an unknown id.

use super::store::{self, TransferRow};
use crate::blobs::objects;
use crate::error::{AppError, AppResult};
use crate::pairing::routes::basic_auth;
use crate::pairing::service::authenticate;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use zentrale_protocol::pairing::codes;
use zentrale_protocol::transfers::{CONTENT_SHA256, UPLOAD_LENGTH, UPLOAD_OFFSET};

/// The transfer `id` of the calling PBX in `direction`, if it can still be used (a finished
/// upload only for `HEAD`, so a PBX whose last answer was lost learns that it is complete).
async fn open(
    st: &AppState,
    headers: &HeaderMap,
    id: &str,
    direction: &str,
    complete_ok: bool,
) -> AppResult<TransferRow> {
    let (serial, secret) = basic_auth(headers)?;
    let sys = authenticate(st, &serial, &secret).await?;
    let t = store::get(&st.db, id)
        .await?
        .filter(|t| t.system_id == sys.id && t.direction == direction)
        .ok_or_else(|| {
            AppError::device(
                codes::NO_SUCH_TRANSFER,
                format!("This PBX has no {direction} transfer with this id."),
            )
        })?;
    if t.state != "open" && !(complete_ok && t.state == "complete") {
        return Err(closed(&t));
    }
    if t.expires_at < st.clock.now_ms() {
        return Err(closed(&t));
    }
    Ok(t)
}

fn closed(t: &TransferRow) -> AppError {
    AppError::device(
        codes::TRANSFER_CLOSED,
        format!(
            "The transfer is {}; nothing more can be sent or fetched.",
            match t.state.as_str() {
                "open" => "past its deadline",
                other => other,
            }
        ),
    )
}

fn offset_header(resp: &mut Response, offset: i64) {
    resp.headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(offset.max(0)));
}

fn number(headers: &HeaderMap, name: &str) -> AppResult<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            AppError::device(
                codes::BAD_REQUEST,
                format!("Send the header {name} with a whole number of bytes."),
            )
        })
}

/// How far an upload is: `Upload-Offset` (and `Upload-Length` once known).
pub async fn head(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = open(&st, &headers, &id, "upload", true).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    offset_header(&mut resp, t.received_bytes);
    if let Some(total) = t.total_bytes {
        resp.headers_mut()
            .insert(UPLOAD_LENGTH, HeaderValue::from(total));
    }
    Ok(resp)
}

/// One piece of an upload, starting at `Upload-Offset`, of an upload of `Upload-Length`
/// bytes; the piece that completes it carries (or an earlier one carried) the SHA-256.
pub async fn put(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> AppResult<Response> {
    let t = open(&st, &headers, &id, "upload", false).await?;
    let offset = number(&headers, UPLOAD_OFFSET)?;
    let total = number(&headers, UPLOAD_LENGTH)?;
    let sha = headers
        .get(CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    if total > t.max_bytes as u64 {
        super::discard(&st, &t, "failed").await?;
        return Err(AppError::device(
            codes::TOO_LARGE,
            format!(
                "The upload has {total} bytes; this transfer takes at most {} bytes. Nothing was kept.",
                t.max_bytes
            ),
        ));
    }
    if t.total_bytes.is_some_and(|known| known as u64 != total) {
        return Err(AppError::device(
            codes::BAD_REQUEST,
            "Upload-Length differs from the length given with the earlier pieces.",
        ));
    }
    if offset != t.received_bytes as u64 {
        let mut resp = AppError::device(
            codes::WRONG_OFFSET,
            format!(
                "The server holds {} bytes of this upload: send the next piece from there.",
                t.received_bytes
            ),
        )
        .into_response();
        offset_header(&mut resp, t.received_bytes);
        return Ok(resp);
    }
    let Some(blobs) = st.blobs.clone() else {
        return Err(AppError::internal("no blob store"));
    };
    let mut piece = match st.receiving.begin(&id).await {
        Ok(p) => p,
        Err(super::inflight::Busy::Transfer) => {
            let mut resp = AppError::device(
                codes::WRONG_OFFSET,
                "Another piece of this upload is arriving now; go on from Upload-Offset when it is done.",
            )
            .into_response();
            offset_header(&mut resp, t.received_bytes);
            return Ok(resp);
        }
        Err(super::inflight::Busy::Node) => {
            return Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                axum::Json(zentrale_protocol::pairing::DeviceError {
                    code: "busy".into(),
                    message: "The server takes many uploads at once; retry in a moment.".into(),
                }),
            )
                .into_response());
        }
    };
    let seed = match offset {
        0 => Some(Sha256::new()),
        at => st.transfer_hashes.take(&id, at),
    };
    let body = body.into_data_stream().map_err(|e| e.to_string());
    let (name, size, hash) = match objects::write_chunk(
        &blobs,
        &t.object,
        offset,
        body,
        total - offset,
        seed.clone().unwrap_or_default(),
    )
    .await
    {
        Ok(ok) => ok,
        Err(AppError::BadRequest(_)) => {
            return Err(AppError::device(
                codes::TOO_LARGE,
                format!("The piece goes beyond Upload-Length ({total} bytes); it was not kept."),
            ));
        }
        Err(e) => return Err(e),
    };
    // The body is read and stored: the next piece may take this place while this one
    // waits for the database.
    piece.release_place();
    let end = offset + size;
    let mut tx = st.db.pool.begin().await?;
    let won = store::advance(&mut tx, &id, offset as i64, end as i64, total as i64).await?;
    if won && size > 0 {
        objects::commit_chunk(&mut tx, &t.object, offset, size, &name).await?;
    }
    tx.commit().await?;
    if !won || size == 0 {
        blobs.delete(&name).await?;
    }
    if !won {
        let now = store::get(&st.db, &id)
            .await?
            .map(|t| t.received_bytes)
            .unwrap_or(0);
        let mut resp = AppError::device(
            codes::WRONG_OFFSET,
            "Another piece of this upload arrived at the same time; go on from Upload-Offset.",
        )
        .into_response();
        offset_header(&mut resp, now);
        return Ok(resp);
    }
    if end < total {
        if seed.is_some() {
            st.transfer_hashes.keep(&id, end, hash);
        }
        let mut resp = StatusCode::NO_CONTENT.into_response();
        offset_header(&mut resp, end as i64);
        return Ok(resp);
    }
    // Complete: check the SHA-256 the agent gives (and the one expected, if any).
    let actual = match seed {
        Some(_) => hex::encode(hash.finalize()),
        None => objects::sha256(&st.db, &blobs, &t.object).await?,
    };
    let Some(claimed) = sha else {
        super::discard(&st, &t, "failed").await?;
        return Err(AppError::device(
            codes::BAD_REQUEST,
            format!(
                "Send {CONTENT_SHA256} with the piece that completes the upload. Nothing was kept."
            ),
        ));
    };
    let expected_ok = t.expected_sha256.as_ref().is_none_or(|e| *e == actual);
    if claimed != actual || !expected_ok {
        super::discard(&st, &t, "failed").await?;
        return Err(AppError::device(
            codes::SHA256_MISMATCH,
            format!(
                "The server received data with SHA-256 {actual}, not {claimed}. Nothing was kept; start the command again."
            ),
        ));
    }
    store::finish(&st.db, &id, "complete", Some(&actual)).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    offset_header(&mut resp, end as i64);
    resp.headers_mut().insert(
        CONTENT_SHA256,
        HeaderValue::from_str(&actual).map_err(AppError::internal)?,
    );
    Ok(resp)
}

/// A download, whole or from `Range: bytes=N-`.
pub async fn get(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = open(&st, &headers, &id, "download", true).await?;
    let Some(blobs) = st.blobs.clone() else {
        return Err(AppError::internal("no blob store"));
    };
    let size = t.total_bytes.unwrap_or(t.max_bytes).max(0) as u64;
    let from = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => 0,
        Some(r) => r
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n <= size)
            .ok_or_else(|| {
                AppError::device(
                    codes::BAD_REQUEST,
                    format!("Only a Range of the form bytes=N- with N up to {size} is supported."),
                )
            })?,
    };
    let stream = objects::read(&st.db, &blobs, &t.object, from).await?;
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size - from));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(sha) = &t.expected_sha256 {
        h.insert(
            CONTENT_SHA256,
            HeaderValue::from_str(sha).map_err(AppError::internal)?,
        );
    }
    if from > 0 {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {from}-{}/{size}", size.saturating_sub(1));
        resp.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).map_err(AppError::internal)?,
        );
    }
    Ok(resp)
}
