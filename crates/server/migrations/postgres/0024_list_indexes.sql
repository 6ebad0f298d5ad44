-- Indexes for the lists at fleet scale (bench/lists.py, docs/benchmarks.md):
-- the systems lists' default order (name) read in index order and stopped after a page;
-- the count of visible systems answered from the index alone;
-- the fleet's alerts read newest first and stopped after a page, and counted per system
-- without reading the alert rows.
CREATE INDEX systems_company_name ON systems(company_id, LOWER(name), id);
CREATE INDEX systems_company_owner ON systems(company_id, owner_id, id);
CREATE INDEX alerts_opened ON alerts(opened_at, id);
CREATE INDEX alerts_system_resolved ON alerts(system_id, resolved_at);
