//! What the server knows about each kind of command: who may see and start it, how much
//! data its transfer may carry, and what a success adds to the store.

use super::store::CommandRow;
pub use super::unapplied::Prepared;
use super::unapplied::Unapplied;
use crate::access::{Feature, RoleSet, feature};
use crate::error::AppError;
use crate::state::AppState;
use crate::transfers::store::TransferRow;
use zentrale_protocol::calls::CallsRetrieve;
use zentrale_protocol::commands::{
    BackupCompare, BackupCreate, BackupMade, BackupRestore, CommandError, CommandKind,
    FirmwareUpdate,
};

type Fut<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<serde_json::Value>, Unapplied>> + Send + 'a>,
>;
type PrepFut<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Prepared, Unapplied>> + Send + 'a>>;

fn nothing<'a>(
    _: &'a AppState,
    _: &'a CommandRow,
    _: &'a [TransferRow],
    _: &'a serde_json::Value,
) -> PrepFut<'a> {
    Box::pin(async { Ok(None) })
}

/// A kind of command as the server treats it.
pub struct KindDef {
    pub kind: &'static str,
    /// Catalog key of its name.
    pub label: &'static str,
    /// Whether these roles may see and start commands of this kind.
    pub permits: fn(RoleSet) -> bool,
    /// Largest upload its transfer takes.
    pub max_bytes: u64,
    /// The upload only carries data for `succeeded`: it is deleted once applied.
    pub consumes_upload: bool,
    /// At most one command of this kind waits or runs per system (checked in the insert).
    pub exclusive: bool,
    /// Reads and checks what a success delivered, before any transaction (it may use the
    /// pool and the blob store; a transaction must not wait for a second connection).
    pub prepare: for<'a> fn(
        &'a AppState,
        &'a CommandRow,
        &'a [TransferRow],
        &'a serde_json::Value,
    ) -> PrepFut<'a>,
    /// Applies a success (inside the transaction that records it, before the command's
    /// row changes, using only that transaction): the result as sent by the agent, the
    /// command's transfers and what `prepare` made. `Some` params: queue another command of
    /// the kind with them (in the same transaction).
    pub succeeded: for<'a> fn(
        &'a mut sqlx::AnyConnection,
        &'a CommandRow,
        &'a [TransferRow],
        serde_json::Value,
        Prepared,
    ) -> Fut<'a>,
}

pub const KINDS: &[KindDef] = &[
    KindDef {
        kind: BackupCreate::KIND,
        label: "cmd-kind-backup-create",
        permits: feature::Backup::permits,
        max_bytes: 512 * 1024 * 1024,
        consumes_upload: false,
        exclusive: false,
        prepare: nothing,
        succeeded: |tx, cmd, transfer, result, _| {
            Box::pin(async move {
                backup_made(tx, cmd, transfer, result).await?;
                Ok(None)
            })
        },
    },
    KindDef {
        kind: BackupRestore::KIND,
        label: "cmd-kind-backup-restore",
        permits: feature::Backup::permits,
        max_bytes: 0,
        consumes_upload: false,
        exclusive: true,
        prepare: nothing,
        succeeded: |_, _, _, _, _| Box::pin(async { Ok(None) }),
    },
    KindDef {
        kind: FirmwareUpdate::KIND,
        label: "cmd-kind-firmware-update",
        permits: feature::Firmware::permits,
        max_bytes: 0,
        consumes_upload: false,
        exclusive: true,
        prepare: nothing,
        succeeded: |_, _, _, _, _| Box::pin(async { Ok(None) }),
    },
    KindDef {
        kind: BackupCompare::KIND,
        label: "cmd-kind-backup-compare",
        permits: feature::Backup::permits,
        max_bytes: 0,
        consumes_upload: false,
        exclusive: false,
        prepare: nothing,
        succeeded: |_, _, _, _, _| Box::pin(async { Ok(None) }),
    },
    KindDef {
        kind: CallsRetrieve::KIND,
        label: "cmd-kind-calls-retrieve",
        permits: feature::CallData::permits,
        max_bytes: 256 * 1024 * 1024,
        consumes_upload: true,
        exclusive: true,
        prepare: |st, cmd, transfers, result| {
            Box::pin(crate::calls::ingest::read(st, cmd, transfers, result))
        },
        succeeded: |tx, cmd, _, _, prepared| {
            Box::pin(crate::calls::ingest::stored(tx, cmd, prepared))
        },
    },
];

pub fn def(kind: &str) -> Option<&'static KindDef> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Whether `roles` may see commands of `kind` (unknown kinds: administrators only).
pub fn permits(kind: &str, roles: RoleSet) -> bool {
    match def(kind) {
        Some(k) => (k.permits)(roles),
        None => feature::Manage::permits(roles),
    }
}

/// `backup.create` succeeded: the uploaded object becomes a backup of the system.
async fn backup_made(
    tx: &mut sqlx::AnyConnection,
    cmd: &CommandRow,
    transfers: &[TransferRow],
    result: serde_json::Value,
) -> Result<(), Unapplied> {
    let made: BackupMade = serde_json::from_value(result)
        .map_err(|e| AppError::internal(format!("backup result: {e}")))?;
    let Some(t) = transfers.first().filter(|t| {
        t.state == "complete"
            && t.sha256.as_deref() == Some(made.sha256.as_str())
            && t.received_bytes as u64 == made.size
    }) else {
        return Err(Unapplied::Refused(CommandError::new(
            "backup_not_received",
            "the backup was not received whole",
        )));
    };
    sqlx::query(
        "INSERT INTO backups (id, system_id, object, size, sha256, firmware, automatic, \
         created_by, command_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(crate::ids::new_id())
    .bind(&cmd.system_id)
    .bind(&t.object)
    .bind(made.size as i64)
    .bind(&made.sha256)
    .bind(made.firmware.chars().take(40).collect::<String>())
    .bind(i64::from(cmd.created_by.is_empty()))
    .bind(&cmd.created_by)
    .bind(&cmd.id)
    .bind(cmd.updated_at)
    .execute(tx)
    .await?;
    Ok(())
}
