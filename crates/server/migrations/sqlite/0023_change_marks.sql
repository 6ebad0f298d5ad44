-- A change marker per company: a number that grows with every change a live list shows
-- (systems, their alerts and running commands, who may see them), kept by triggers so that
-- no write path can forget it and every node reads the same figure. A live region asks with
-- the tag of its last copy; the server compares the marker before it renders anything.
-- last_seen_at (rewritten for every online PBX each minute) is left out on purpose: the
-- lists show it only for systems that are offline, and going offline changes online_since.
ALTER TABLE companies ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER systems_mark_ins AFTER INSERT ON systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER systems_mark_del AFTER DELETE ON systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = OLD.company_id; END;
CREATE TRIGGER systems_mark_upd AFTER UPDATE OF owner_id, name, serial, token, token_expires_at, token_used_at, secret_hash, initial_registration_at, paired_at, error_code, error_detail, error_at, revoked_at, model, mac, firmware, booted_at, maintenance_active, maintenance_until, licences, capabilities, monitoring_enabled, remote_config_allowed, online_since, online_node, registrations_at, registrations_problem, remote_backup_ready, smtp_server_id, remote_since, firmware_rank ON systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER alerts_mark_ins AFTER INSERT ON alerts FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = NEW.system_id); END;
CREATE TRIGGER alerts_mark_upd AFTER UPDATE OF resolved_at, acknowledged_at, severity, message, args ON alerts FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = NEW.system_id); END;
CREATE TRIGGER alerts_mark_del AFTER DELETE ON alerts FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = OLD.system_id); END;
CREATE TRIGGER commands_mark_ins AFTER INSERT ON commands FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = NEW.system_id); END;
CREATE TRIGGER commands_mark_upd AFTER UPDATE OF state, progress, step, result, error_code ON commands FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = NEW.system_id); END;
CREATE TRIGGER commands_mark_del AFTER DELETE ON commands FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM systems WHERE id = OLD.system_id); END;
CREATE TRIGGER authorisations_mark_ins AFTER INSERT ON authorisations FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER authorisations_mark_upd AFTER UPDATE ON authorisations FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER authorisations_mark_del AFTER DELETE ON authorisations FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = OLD.company_id; END;
CREATE TRIGGER group_members_mark_ins AFTER INSERT ON group_members FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_members_mark_upd AFTER UPDATE ON group_members FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_members_mark_del AFTER DELETE ON group_members FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = OLD.group_id); END;
CREATE TRIGGER group_systems_mark_ins AFTER INSERT ON group_systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_systems_mark_upd AFTER UPDATE ON group_systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_systems_mark_del AFTER DELETE ON group_systems FOR EACH ROW BEGIN UPDATE companies SET change_seq = change_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = OLD.group_id); END;
