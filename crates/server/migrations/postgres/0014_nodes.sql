-- Several nodes on one database: which node holds a system's connection (a starting node
-- marks offline only its own), and leases that let exactly one node run each job.
ALTER TABLE systems ADD COLUMN online_node TEXT;
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    runs BIGINT NOT NULL DEFAULT 0
);
