//! The columns of `calls` a record is read with (`store::CallRow`, in this order) and
//! stored with (those and `received_at`), and the statement that creates a system's cursor:
//! shared by the list, the export's native reader and the call-record writer.

/// The columns of a `CallRow`, in its order.
pub const READ: &str = "system_id, seq, started_at, duration_s, direction, partner, \
     partner_name, invoice_no, invoice_name, real_name, connection, successful, call_type";

/// The columns a batch is stored with: [`READ`] and `received_at`.
pub fn stored() -> String {
    format!("{READ}, received_at")
}

/// Creates a system's cursor at 0 unless it exists (`$1` system, `$2` first retrieval due).
pub const ENSURE_CURSOR: &str = "INSERT INTO call_cursors (system_id, last_seq, records, \
     next_due) VALUES ($1, 0, 0, $2) ON CONFLICT (system_id) DO NOTHING";
