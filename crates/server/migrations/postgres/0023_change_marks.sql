-- A change marker per company: a number that grows with every change a live list shows
-- (systems, their alerts and running commands, who may see them), kept by triggers so that
-- no write path can forget it and every node reads the same figure. A live region asks with
-- the tag of its last copy; the server compares the marker before it renders anything.
-- last_seen_at (rewritten for every online PBX each minute) is left out on purpose: the
-- lists show it only for systems that are offline, and going offline changes online_since.
ALTER TABLE companies ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION mark_company(c TEXT) RETURNS void LANGUAGE sql AS
  'UPDATE companies SET change_seq = change_seq + 1 WHERE id = c';
CREATE FUNCTION mark_by_company() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM mark_company(OLD.company_id); ELSE PERFORM mark_company(NEW.company_id); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION mark_by_system() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM mark_company((SELECT company_id FROM systems WHERE id = OLD.system_id));
  ELSE
    PERFORM mark_company((SELECT company_id FROM systems WHERE id = NEW.system_id));
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION mark_by_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM mark_company((SELECT company_id FROM user_groups WHERE id = OLD.group_id));
  ELSE
    PERFORM mark_company((SELECT company_id FROM user_groups WHERE id = NEW.group_id));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER systems_mark AFTER INSERT OR DELETE OR UPDATE OF owner_id, name, serial, token, token_expires_at, token_used_at, secret_hash, initial_registration_at, paired_at, error_code, error_detail, error_at, revoked_at, model, mac, firmware, booted_at, maintenance_active, maintenance_until, licences, capabilities, monitoring_enabled, remote_config_allowed, online_since, online_node, registrations_at, registrations_problem, remote_backup_ready, smtp_server_id, remote_since, firmware_rank ON systems FOR EACH ROW EXECUTE FUNCTION mark_by_company();
CREATE TRIGGER alerts_mark AFTER INSERT OR DELETE OR UPDATE OF resolved_at, acknowledged_at, severity, message, args ON alerts FOR EACH ROW EXECUTE FUNCTION mark_by_system();
CREATE TRIGGER commands_mark AFTER INSERT OR DELETE OR UPDATE OF state, progress, step, result, error_code ON commands FOR EACH ROW EXECUTE FUNCTION mark_by_system();
CREATE TRIGGER authorisations_mark AFTER INSERT OR DELETE OR UPDATE ON authorisations FOR EACH ROW EXECUTE FUNCTION mark_by_company();
CREATE TRIGGER group_members_mark AFTER INSERT OR DELETE OR UPDATE ON group_members FOR EACH ROW EXECUTE FUNCTION mark_by_group();
CREATE TRIGGER group_systems_mark AFTER INSERT OR DELETE OR UPDATE ON group_systems FOR EACH ROW EXECUTE FUNCTION mark_by_group();
