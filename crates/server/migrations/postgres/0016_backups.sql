-- Remote backups: whether the PBX has remote backup set up, the order of a command's
-- transfers, integrity checks of stored backups, and the automatic-backup schedule with its
-- retention rule per system.
ALTER TABLE systems ADD COLUMN remote_backup_ready BIGINT;
ALTER TABLE transfers ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE backups ADD COLUMN checked_at BIGINT;
ALTER TABLE backups ADD COLUMN damaged_at BIGINT;
CREATE TABLE backup_schedules (
    system_id TEXT PRIMARY KEY REFERENCES systems(id) ON DELETE CASCADE,
    interval_min BIGINT,
    anchor_ms BIGINT,
    next_ms BIGINT,
    keep_last BIGINT,
    keep_days BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX backup_schedules_next ON backup_schedules (next_ms);
