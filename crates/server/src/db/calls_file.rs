//! On SQLite the call records and their cursors live in a file of their own beside the
//! database (`<database file>.calls`), attached to every connection as `calls_db`, so that
//! statements name `calls` and `call_cursors` as before. SQLite has one writer per file:
//! with the records in the main file, the call-record writer's long transactions and the
//! thousands of small ones of a fleet's retrieval (commands, transfers, audit) queued for
//! the same lock, and SQLite's busy handler, which sleeps up to 100 ms between tries, left
//! the lock idle while both sides waited (docs/architecture.md, "Call data at size").
//!
//! There is no foreign key between the files: deleting a system deletes its records and
//! cursor in the same transaction (`systems::store::delete`), and the writer checks each
//! batch's system. A lost `.calls` file is made again, empty, at the next start; the
//! records are then retrieved again from the PBXes, for as long as they keep them.

/// The schema name of the attached file.
pub const SCHEMA: &str = "calls_db";

/// The file beside the database file `main`.
pub fn path_for(main: &str) -> String {
    format!("{main}.calls")
}

/// Attaches the file to a connection of the database `main`, with the pool's settings
/// (synchronous, memory map and cache are settings of each attached file).
pub fn attach_sql(main: &str) -> String {
    format!(
        "ATTACH DATABASE '{}' AS {SCHEMA}; PRAGMA {SCHEMA}.journal_mode=WAL; \
         PRAGMA {SCHEMA}.synchronous=NORMAL; PRAGMA {SCHEMA}.mmap_size=268435456;",
        path_for(main).replace('\'', "''")
    )
}

/// The file's tables (as migration 0020 made them in the main file, without the foreign
/// keys), made when missing.
pub const CREATE: &str = "\
CREATE TABLE IF NOT EXISTS calls_db.calls (
    system_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_s INTEGER NOT NULL,
    direction TEXT NOT NULL,
    partner TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    invoice_no TEXT NOT NULL,
    invoice_name TEXT NOT NULL,
    real_name TEXT NOT NULL,
    connection TEXT NOT NULL,
    successful INTEGER NOT NULL,
    call_type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (system_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS calls_db.calls_system_time ON calls (system_id, started_at, seq);
CREATE INDEX IF NOT EXISTS calls_db.calls_time ON calls (started_at, system_id, seq);
CREATE TABLE IF NOT EXISTS calls_db.call_cursors (
    system_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    retrieved_at INTEGER,
    next_due INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_db.call_cursors_due ON call_cursors (next_due);";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_in_the_path_stays_inside_the_string() {
        let sql = attach_sql("/data/it's/zentrale.sqlite");
        assert!(sql.starts_with("ATTACH DATABASE '/data/it''s/zentrale.sqlite.calls' AS"));
    }
}
