-- The change marker without a hot row (issue 16, a cluster under a connect storm). Until now
-- every change of a system, alert or command added one to its company's row in `companies`,
-- so every transaction that changed a system held that one row until it committed: all
-- writers of a company queued on it, and two transactions that each held a system row the
-- other needed deadlocked on it (PostgreSQL aborted one; three nodes saw this every few
-- seconds while 15,000 PBXes reconnected). Now a change appends a row here: appends take no
-- lock another writer waits for. The marker a live list compares is the number of rows of
-- the company together with the highest sequence number (a change that commits after one
-- with a higher number still adds a row). A job keeps only each company's last row.
CREATE SEQUENCE company_change_numbers;
CREATE TABLE company_changes (
    company_id TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT nextval('company_change_numbers')
);
CREATE INDEX company_changes_by_company ON company_changes (company_id, seq);
-- A row whose company is gone with it (a group or system deleted with its members, alerts
-- and commands) names no company: nothing to mark, as the UPDATE before did nothing then.
CREATE OR REPLACE FUNCTION mark_company(c TEXT) RETURNS void LANGUAGE sql AS
  'INSERT INTO company_changes (company_id) SELECT c WHERE c IS NOT NULL';
