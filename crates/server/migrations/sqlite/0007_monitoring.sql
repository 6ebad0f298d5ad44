-- Monitoring: raw samples (kept 48 hours) and roll-ups per minute (8 days) and per hour
-- (400 days). Roll-ups keep count, min, sum and max, so averages combine exactly.
CREATE TABLE samples (
    system_id TEXT NOT NULL,
    t INTEGER NOT NULL,
    cpu REAL NOT NULL,
    mem REAL NOT NULL
);
CREATE INDEX samples_system_t ON samples(system_id, t);

CREATE TABLE rollups (
    system_id TEXT NOT NULL,
    res INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n INTEGER NOT NULL,
    cpu_min REAL NOT NULL,
    cpu_sum REAL NOT NULL,
    cpu_max REAL NOT NULL,
    mem_min REAL NOT NULL,
    mem_sum REAL NOT NULL,
    mem_max REAL NOT NULL,
    PRIMARY KEY (system_id, res, t)
);
