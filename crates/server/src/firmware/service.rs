//! Firmware images (the operator uploads them, signed) and firmware updates of a system
//! (the newest image for its model that is newer than what it runs, as a durable command).

use super::store::{self, ImageRow};
use crate::access::Cap;
use crate::access::feature::Firmware;
use crate::audit::Event;
use crate::blobs::objects;
use crate::commands::service::{self as commands, Download};
use crate::commands::store::CommandRow;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::commands::{
    CommandKind, FirmwareUpdate, FirmwareUpdateParams, firmware_statement,
};

/// Largest image the server takes.
pub const MAX_IMAGE_BYTES: u64 = 1024 * 1024 * 1024;

/// What the operator says about an image.
pub struct Upload {
    pub version: String,
    pub models: String,
    pub notes: String,
    pub signature: String,
}

/// An image streamed into the blob store, not yet checked.
pub struct Received {
    pub object: String,
    pub size: u64,
    pub sha256: String,
}

/// Stores an uploaded image as a new object (checked by [`add`]).
pub async fn receive<S, E>(st: &AppState, body: S) -> AppResult<Received>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let blobs = st
        .blobs
        .clone()
        .ok_or_else(|| AppError::internal("no blob store"))?;
    let object = format!("fw-{}", crate::ids::new_id());
    let (name, size, hash) = objects::write_chunk(
        &blobs,
        &object,
        0,
        body,
        MAX_IMAGE_BYTES,
        sha2::Sha256::default(),
    )
    .await
    .map_err(|e| match e {
        AppError::BadRequest(_) => AppError::BadRequest(crate::msg!(
            "firmware-too-large",
            max = MAX_IMAGE_BYTES / 1024 / 1024
        )),
        other => other,
    })?;
    let mut conn = st.db.pool.acquire().await?;
    objects::commit_chunk(&mut conn, &object, 0, size, &name).await?;
    use sha2::Digest;
    Ok(Received {
        object,
        size,
        sha256: hex::encode(hash.finalize()),
    })
}

/// Checks and records a received image: the fields, the signature against the configured
/// keys, its signed version (and models) against what the operator entered. Anything wrong
/// deletes the image again.
pub async fn add(st: &AppState, op: &Ctx, up: Upload, image: Received) -> AppResult<ImageRow> {
    let checked = check(st, &up, &image, &op.email).await;
    let row = match checked {
        Ok(row) => row,
        Err(e) => {
            if let Some(blobs) = &st.blobs {
                let _ = objects::delete(&st.db, blobs, &image.object).await;
            }
            return Err(e);
        }
    };
    store::insert(&st.db, &row).await?;
    op.audit(
        st,
        Event::new("firmware.uploaded")
            .arg("version", row.version.clone())
            .arg("sha256", row.sha256.clone()),
    )
    .await?;
    Ok(row)
}

async fn check(st: &AppState, up: &Upload, image: &Received, by: &str) -> AppResult<ImageRow> {
    if st.config.firmware_keys.is_empty() {
        return Err(AppError::Unavailable(crate::msg!("firmware-no-key")));
    }
    let version: FirmwareVersion = up
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest(crate::msg!("firmware-bad-version")))?;
    let models: Vec<String> = up
        .models
        .split(',')
        .map(|m| m.trim().chars().take(64).collect::<String>())
        .filter(|m| !m.is_empty())
        .collect();
    if models.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("firmware-no-models")));
    }
    if image.size == 0 {
        return Err(AppError::BadRequest(crate::msg!("firmware-no-image")));
    }
    let sig = minisign::SignatureBox::from_string(up.signature.trim())
        .map_err(|_| AppError::BadRequest(crate::msg!("firmware-bad-signature")))?;
    let (signed, signed_models) = firmware_statement(&sig.trusted_comment().unwrap_or_default());
    if signed
        .as_deref()
        .and_then(|v| v.parse::<FirmwareVersion>().ok())
        != Some(version)
    {
        return Err(AppError::BadRequest(crate::msg!(
            "firmware-version-not-signed",
            version = version
        )));
    }
    if !signed_models.is_empty() && models.iter().any(|m| !signed_models.contains(m)) {
        return Err(AppError::BadRequest(crate::msg!(
            "firmware-models-not-signed"
        )));
    }
    if store::by_version(&st.db, &version.to_string())
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(crate::msg!(
            "firmware-version-exists",
            version = version
        )));
    }
    verify(st, &image.object, sig).await?;
    Ok(ImageRow {
        id: crate::ids::new_id(),
        version: version.to_string(),
        models: models.join(","),
        notes: up.notes.chars().take(10_000).collect(),
        object: image.object.clone(),
        size: image.size as i64,
        sha256: image.sha256.clone(),
        signature: up.signature.trim().to_owned(),
        uploaded_by: by.to_owned(),
        created_at: st.clock.now_ms(),
    })
}

/// Reads the stored image back through the signature check (any configured key).
async fn verify(st: &AppState, object: &str, sig: minisign::SignatureBox) -> AppResult<()> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    // minisign reads the data twice (it seeks), so the image is read back into a file.
    let blobs = st
        .blobs
        .clone()
        .ok_or_else(|| AppError::internal("no blob store"))?;
    let dir = st.config.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(AppError::internal)?;
    let path = dir.join(format!("verify-{}", crate::ids::new_id()));
    let mut out = tokio::io::BufWriter::new(
        tokio::fs::File::create(&path)
            .await
            .map_err(AppError::internal)?,
    );
    let mut body = Box::pin(objects::read(&st.db, &blobs, object, 0).await?);
    while let Some(piece) = body.next().await {
        out.write_all(&piece?).await.map_err(AppError::internal)?;
    }
    out.flush().await.map_err(AppError::internal)?;
    drop(out);
    let keys = st.config.firmware_keys.clone();
    let file = path.clone();
    let ok = tokio::task::spawn_blocking(move || {
        keys.iter().any(|key| {
            let Ok(pk) = minisign::PublicKey::from_base64(key) else {
                return false;
            };
            let Ok(f) = std::fs::File::open(&file) else {
                return false;
            };
            minisign::verify(&pk, &sig, std::io::BufReader::new(f), true, false, false).is_ok()
        })
    })
    .await
    .map_err(AppError::internal);
    let _ = tokio::fs::remove_file(&path).await;
    if ok? {
        Ok(())
    } else {
        Err(AppError::BadRequest(crate::msg!("firmware-bad-signature")))
    }
}

pub async fn images(st: &AppState) -> AppResult<Vec<ImageRow>> {
    store::all(&st.db).await
}

/// Deletes an image (the operator); systems being updated with it keep their download.
pub async fn delete(st: &AppState, op: &Ctx, id: &str) -> AppResult<()> {
    let row = store::delete(&st.db, id).await?.ok_or(AppError::NotFound)?;
    if let Some(blobs) = &st.blobs {
        objects::delete(&st.db, blobs, &row.object).await?;
    }
    op.audit(
        st,
        Event::new("firmware.deleted").arg("version", row.version),
    )
    .await
}

fn running(cap: &Cap<Firmware>) -> Option<FirmwareVersion> {
    cap.system()
        .firmware
        .as_deref()
        .and_then(|f| f.parse().ok())
}

/// The newest image for the system's model that is newer than what it runs.
pub async fn offer(st: &AppState, cap: &Cap<Firmware>) -> AppResult<Option<ImageRow>> {
    let model = cap.system().model.clone().unwrap_or_default();
    let now = running(cap);
    Ok(store::all(&st.db)
        .await?
        .into_iter()
        .filter(|i| i.model_list().contains(&model.as_str()))
        .filter_map(|i| i.version.parse::<FirmwareVersion>().ok().map(|v| (v, i)))
        .filter(|(v, _)| now.is_none_or(|n| *v > n))
        .max_by_key(|(v, _)| *v)
        .map(|(_, i)| i))
}

/// Starts the update of the system to `version` (202 with the command).
pub async fn update(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<Firmware>,
    version: &str,
) -> AppResult<CommandRow> {
    let image = store::by_version(&st.db, version.trim())
        .await?
        .ok_or_else(|| AppError::BadRequest(crate::msg!("firmware-unknown-version")))?;
    let model = cap.system().model.clone().unwrap_or_default();
    if !image.model_list().contains(&model.as_str()) {
        return Err(AppError::Conflict(crate::msg!(
            "firmware-not-for-model",
            model = model
        )));
    }
    let to: FirmwareVersion = image.version.parse().map_err(AppError::internal)?;
    if running(cap).is_some_and(|now| to <= now) {
        return Err(AppError::Conflict(crate::msg!(
            "firmware-not-newer",
            version = to
        )));
    }
    if crate::commands::store::has_open(&st.db, cap.id(), &[FirmwareUpdate::KIND]).await? {
        return Err(AppError::Conflict(crate::msg!("firmware-update-open")));
    }
    let params = FirmwareUpdateParams {
        version: image.version.clone(),
        signature: image.signature.clone(),
    };
    let download = Download {
        object: &image.object,
        size: image.size.max(0) as u64,
        sha256: &image.sha256,
    };
    commands::create_downloading::<FirmwareUpdate, _>(st, ctx, cap, &params, &[download]).await
}
