-- Remote backups: whether the PBX has remote backup set up, the order of a command's
-- transfers, integrity checks of stored backups, and the automatic-backup schedule with its
-- retention rule per system.
ALTER TABLE systems ADD COLUMN remote_backup_ready INTEGER;
ALTER TABLE transfers ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backups ADD COLUMN checked_at INTEGER;
ALTER TABLE backups ADD COLUMN damaged_at INTEGER;
CREATE TABLE backup_schedules (
    system_id TEXT PRIMARY KEY REFERENCES systems(id) ON DELETE CASCADE,
    interval_min INTEGER,
    anchor_ms INTEGER,
    next_ms INTEGER,
    keep_last INTEGER,
    keep_days INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX backup_schedules_next ON backup_schedules (next_ms);
