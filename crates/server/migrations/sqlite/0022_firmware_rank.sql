-- The firmware as one orderable number (FirmwareVersion::rank), so that lists can filter and
-- sort by the state of device in SQL. Set with the firmware at each hello; NULL (treated as
-- "too old") until a PBX says hello after this migration, which it does on reconnecting.
ALTER TABLE systems ADD COLUMN firmware_rank INTEGER;
