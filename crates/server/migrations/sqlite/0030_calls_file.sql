-- The call records and their cursors move to their own file (`calls_db`, attached to every
-- connection and made when missing before the migrations run: db/calls_file.rs), so that
-- the call-record writer and the other writers each have a file's lock of their own.
INSERT OR IGNORE INTO calls_db.calls (system_id, seq, started_at, duration_s, direction,
    partner, partner_name, invoice_no, invoice_name, real_name, connection, successful,
    call_type, received_at)
SELECT system_id, seq, started_at, duration_s, direction, partner, partner_name, invoice_no,
    invoice_name, real_name, connection, successful, call_type, received_at FROM main.calls;
INSERT OR IGNORE INTO calls_db.call_cursors (system_id, last_seq, records, retrieved_at,
    next_due)
SELECT system_id, last_seq, records, retrieved_at, next_due FROM main.call_cursors;
DROP TABLE main.calls;
DROP TABLE main.call_cursors;
