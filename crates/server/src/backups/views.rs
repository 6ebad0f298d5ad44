//! What the Backup page shows.

use super::store::BackupRow;
use crate::commands::views::size_text;
use crate::i18n::Tr;

#[derive(Debug, Clone)]
pub struct BackupLine {
    pub id: String,
    pub created_at: String,
    pub automatic: bool,
    pub who: String,
    pub firmware: String,
    pub size: String,
    pub sha256: String,
    pub sha_short: String,
    pub damaged: bool,
}

pub fn line(tr: &Tr, b: &BackupRow) -> BackupLine {
    BackupLine {
        id: b.id.clone(),
        created_at: tr.datetime(Some(b.created_at)),
        automatic: b.automatic == 1,
        who: if b.created_by.is_empty() {
            tr.t("cmd-by-schedule")
        } else {
            b.created_by.clone()
        },
        firmware: b.firmware.clone(),
        size: size_text(tr, b.size.max(0) as u64),
        sha_short: b.sha256.chars().take(12).collect(),
        sha256: b.sha256.clone(),
        damaged: b.damaged_at.is_some(),
    }
}

/// One changed setting of a comparison.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ChangeLine {
    pub setting: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub after: String,
}
