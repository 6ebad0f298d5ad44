-- Call records without a foreign key to `systems` (issue 11, ingest at the speed of COPY):
-- PostgreSQL checks a foreign key with one trigger query per inserted row, which halved the
-- rate of the call-record writer's COPY (75,000 instead of 153,000 rows/s). Deleting a
-- system deletes its records itself (`systems::store::delete`, after the system row, so
-- that a writer still storing a batch of it has committed first: its cursor row, which
-- keeps its foreign key, is locked by that writer). The cursor's key still makes sure a
-- batch is only stored for a system that exists.
ALTER TABLE calls DROP CONSTRAINT IF EXISTS calls_system_id_fkey;
