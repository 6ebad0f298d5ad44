-- Monitoring: raw samples (kept 48 hours) and roll-ups per minute (8 days) and per hour
-- (400 days). Roll-ups keep count, min, sum and max, so averages combine exactly.
CREATE TABLE samples (
    system_id TEXT NOT NULL,
    t BIGINT NOT NULL,
    cpu DOUBLE PRECISION NOT NULL,
    mem DOUBLE PRECISION NOT NULL
);
CREATE INDEX samples_system_t ON samples(system_id, t);

CREATE TABLE rollups (
    system_id TEXT NOT NULL,
    res BIGINT NOT NULL,
    t BIGINT NOT NULL,
    n BIGINT NOT NULL,
    cpu_min DOUBLE PRECISION NOT NULL,
    cpu_sum DOUBLE PRECISION NOT NULL,
    cpu_max DOUBLE PRECISION NOT NULL,
    mem_min DOUBLE PRECISION NOT NULL,
    mem_sum DOUBLE PRECISION NOT NULL,
    mem_max DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (system_id, res, t)
);
