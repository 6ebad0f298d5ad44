//! Passwords of mail servers at rest: sealed with ChaCha20-Poly1305 under a key that is not
//! in the database: `ZENTRALE_SMTP_KEY` (base64, 32 bytes) or `DATA_DIR/smtp.key` (made at
//! the first need, mode 0600). A database copy alone does not reveal them.

use crate::error::{AppError, AppResult};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub struct Sealer(ChaCha20Poly1305);

impl Sealer {
    /// The key from the environment, else from (or new in) the data directory.
    pub fn open(data_dir: &Path) -> AppResult<Sealer> {
        let key = match std::env::var("ZENTRALE_SMTP_KEY") {
            Ok(v) if !v.trim().is_empty() => B64
                .decode(v.trim())
                .map_err(|_| AppError::internal("ZENTRALE_SMTP_KEY is not base64"))?,
            _ => file_key(&data_dir.join("smtp.key"))?,
        };
        if key.len() != 32 {
            return Err(AppError::internal("the SMTP key must be 32 bytes"));
        }
        Ok(Sealer(ChaCha20Poly1305::new(Key::from_slice(&key))))
    }

    /// `nonce || ciphertext`, base64.
    pub fn seal(&self, plain: &str) -> AppResult<String> {
        let nonce: [u8; 12] = rand::random();
        let ct = self
            .0
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| AppError::internal("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(B64.encode(out))
    }

    pub fn open_sealed(&self, sealed: &str) -> AppResult<String> {
        if sealed.is_empty() {
            return Ok(String::new());
        }
        let raw = B64
            .decode(sealed)
            .map_err(|_| AppError::internal("sealed password unreadable"))?;
        if raw.len() < 12 {
            return Err(AppError::internal("sealed password too short"));
        }
        let plain = self
            .0
            .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
            .map_err(|_| {
                AppError::internal(
                    "the SMTP key does not open a stored password (was the key changed?)",
                )
            })?;
        String::from_utf8(plain).map_err(AppError::internal)
    }
}

fn file_key(path: &Path) -> AppResult<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => B64
            .decode(text.trim())
            .map_err(|_| AppError::internal(format!("{} is not base64", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::random();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(AppError::internal)?;
            }
            write_private(path, B64.encode(key).as_bytes()).map_err(AppError::internal)?;
            Ok(key.to_vec())
        }
        Err(e) => Err(AppError::internal(format!("{}: {e}", path.display()))),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(body)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, body)
}
