//! HTTPS served by the node itself (rustls), for installations without a TLS proxy in front.

use crate::error::{AppError, AppResult};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// Loads a PEM certificate chain and private key.
pub fn acceptor(cert: &Path, key: &Path) -> AppResult<TlsAcceptor> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| {
            AppError::BadRequest(crate::msg!(
                "err-cannot-read-tls-certificate",
                path = cert.display(),
                e = e
            ))
        })?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        AppError::BadRequest(crate::msg!(
            "err-cannot-read-tls-key",
            path = key.display(),
            e = e
        ))
    })?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| AppError::BadRequest(crate::msg!("err-tls-certificate-key-do", e = e)))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}
