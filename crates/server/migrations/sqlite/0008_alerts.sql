-- Alerts: one open alert per (system, kind, subject); resolved ones are kept for the record.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL REFERENCES systems(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    resolved_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by TEXT
);
CREATE UNIQUE INDEX alerts_one_open ON alerts(system_id, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_system ON alerts(system_id, opened_at);
