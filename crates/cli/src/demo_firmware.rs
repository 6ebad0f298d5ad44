//! A signed newer firmware image for the simulated PBXes, so that an update can be tried
//! right away: a demo key pair (kept in the given directory, made once) and an image for
//! every simulated model, signed with it. The simulated PBXes trust the demo key.

use anyhow::Context;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use zentrale_protocol::FirmwareVersion;

/// The version the demo image has: newer than the simulated PBXes run (2.6.2).
pub const VERSION: FirmwareVersion = FirmwareVersion::new(2, 6, 3);
/// The models of the simulated COMtrexx.
pub const MODELS: &str = "COMtrexx Advanced,COMtrexx Business,COMtrexx Advanced 2";

pub struct DemoFirmware {
    /// The demo public key (minisign, base64): what the server and the PBXes trust.
    pub public_key: String,
    pub image: PathBuf,
    pub signature: PathBuf,
}

/// Makes (or finds) the demo key and the signed image in `dir`.
pub fn prepare(dir: &Path) -> anyhow::Result<DemoFirmware> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let sk_path = dir.join("demo-firmware.key");
    let pk_path = dir.join("demo-firmware.pub");
    let (pk, sk) = if sk_path.exists() && pk_path.exists() {
        let pk = minisign::PublicKeyBox::from_string(&std::fs::read_to_string(&pk_path)?)?
            .into_public_key()?;
        let sk = minisign::SecretKeyBox::from_string(&std::fs::read_to_string(&sk_path)?)?
            .into_unencrypted_secret_key()?;
        (pk, sk)
    } else {
        let minisign::KeyPair { pk, sk } = minisign::KeyPair::generate_unencrypted_keypair()?;
        std::fs::write(&pk_path, pk.to_box()?.to_string())?;
        std::fs::write(
            &sk_path,
            sk.to_box(Some("zentrale demo firmware key"))?.to_string(),
        )?;
        (pk, sk)
    };
    let image = dir.join(format!("comtrexx-{VERSION}.bin"));
    let signature = dir.join(format!("comtrexx-{VERSION}.bin.minisig"));
    if !image.exists() || !signature.exists() {
        // A deterministic 2 MB "image".
        let bytes: Vec<u8> = (0..2_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let comment = format!("version={VERSION} models={MODELS}");
        let sig = minisign::sign(Some(&pk), &sk, Cursor::new(&bytes), Some(&comment), None)?;
        std::fs::write(&image, &bytes)?;
        std::fs::write(&signature, sig.to_string())?;
    }
    Ok(DemoFirmware {
        public_key: pk.to_base64(),
        image,
        signature,
    })
}

/// Stores the demo image in the control center (once) as if the operator had uploaded it.
pub async fn store(
    st: &zentrale_server::AppState,
    fw: &DemoFirmware,
    by: &zentrale_server::context::Ctx,
) -> anyhow::Result<()> {
    use zentrale_server::firmware::{service, store};
    if store::by_version(&st.db, &VERSION.to_string())
        .await?
        .is_some()
    {
        return Ok(());
    }
    let file = tokio::fs::File::open(&fw.image).await?;
    let received = service::receive(st, tokio_util::io::ReaderStream::new(file)).await?;
    let up = service::Upload {
        version: VERSION.to_string(),
        models: MODELS.to_owned(),
        notes: "Demo image for the simulated PBXes: try the update.".to_owned(),
        signature: std::fs::read_to_string(&fw.signature)?,
    };
    service::add(st, by, up, received).await?;
    Ok(())
}
