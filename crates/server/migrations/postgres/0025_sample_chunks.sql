-- Raw monitoring samples: a flush appends the samples it took as one row of `sample_log`
-- (monitoring::log); every few seconds the log is settled into rows packed per system and
-- hour (monitoring::chunk), and the monitoring job merges an hour's rows into one. The old
-- table `samples` is no longer written; it is still read and pruned until its last rows
-- pass the 48-hour retention.
CREATE TABLE sample_chunks (
    system_id TEXT NOT NULL,
    t0 BIGINT NOT NULL,
    t1 BIGINT NOT NULL,
    n BIGINT NOT NULL,
    data BYTEA NOT NULL
);
CREATE INDEX sample_chunks_system_t0 ON sample_chunks(system_id, t0);
CREATE INDEX sample_chunks_t0 ON sample_chunks(t0);

CREATE TABLE sample_log (
    id BIGSERIAL PRIMARY KEY,
    data BYTEA NOT NULL
);
