//! The databases' own tools the calls benchmark compares with: bulk load of the same rows
//! into an empty copy of the table, and CSV output of the same query.

use std::path::Path;
use std::time::Instant;

/// Runs `cmd` (it must succeed); seconds it took.
pub fn sh(cmd: &str) -> f64 {
    let t = Instant::now();
    let ok = std::process::Command::new("sh")
        .args(["-c", cmd])
        .status()
        .unwrap();
    assert!(ok.success(), "{cmd}");
    t.elapsed().as_secs_f64()
}

const COLS: &str = "system_id, seq, started_at, duration_s, direction, partner, partner_name, \
    invoice_no, invoice_name, real_name, connection, successful, call_type, received_at";

/// The database's own bulk load of the same rows into an empty copy of the table (same
/// indexes): seconds.
pub fn reference_load(db: &str, dir: &Path, csv: &Path) -> f64 {
    let csv = csv.display();
    if db.starts_with("sqlite") {
        // The call records' own file (`db::calls_file`).
        let file = zentrale_server::db::calls_file::path_for(db.trim_start_matches("sqlite://"));
        let fresh = dir.join("ref.sqlite");
        // A round before left its copy.
        let _ = std::fs::remove_file(&fresh);
        sh(&format!(
            "sqlite3 -csv '{file}' 'SELECT {COLS} FROM calls' > '{csv}'"
        ));
        sh(&format!(
            "sqlite3 '{file}' '.schema calls' | grep -v '^CREATE TABLE sqlite' > '{}/schema.sql' && sqlite3 '{}' < '{}/schema.sql'",
            dir.display(),
            fresh.display(),
            dir.display()
        ));
        sh(&format!(
            "sqlite3 '{}' 'PRAGMA foreign_keys=OFF; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;' > /dev/null",
            fresh.display()
        ));
        sh(&format!(
            "sqlite3 '{}' -cmd 'PRAGMA synchronous=NORMAL' '.import --csv {csv} calls'",
            fresh.display()
        ))
    } else {
        sh(&format!(
            "psql -q '{}' -c \"\\copy (SELECT {COLS} FROM calls) TO '{csv}' CSV\"",
            db
        ));
        sh(&format!(
            "psql -q '{}' -c 'CREATE TABLE calls_ref (LIKE calls INCLUDING ALL)'",
            db
        ));
        sh(&format!(
            "psql -q '{}' -c \"\\copy calls_ref FROM '{csv}' CSV\"",
            db
        ))
    }
}

/// The database's own CSV of one system's records in the list's order: (seconds, bytes).
pub fn reference_export(db: &str, dir: &Path, id: &str) -> (f64, u64) {
    let out = dir.join("ref_export.csv");
    let q = format!(
        "SELECT started_at, duration_s, partner, partner_name, invoice_no, invoice_name, real_name, connection, successful, call_type FROM calls WHERE system_id = '{id}' ORDER BY started_at DESC, seq DESC"
    );
    let secs = if db.starts_with("sqlite") {
        sh(&format!(
            "sqlite3 -csv '{}' \"{q}\" > '{}'",
            zentrale_server::db::calls_file::path_for(db.trim_start_matches("sqlite://")),
            out.display()
        ))
    } else {
        sh(&format!(
            "psql -q '{}' -c \"\\copy ({q}) TO '{}' CSV\"",
            db,
            out.display()
        ))
    };
    (secs, std::fs::metadata(&out).unwrap().len())
}
