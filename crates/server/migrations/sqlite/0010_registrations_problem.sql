-- Why the PBX's last registration report could not be taken (e.g. too large for v1).
ALTER TABLE systems ADD COLUMN registrations_problem TEXT;
