-- A second marker per company that moves only when who may see which system can change:
-- systems added, removed or given to another owner, authorisations, groups and their
-- members and systems. The lists keep each user's count of visible systems beside it
-- (access/counts.rs); change_seq (0023) also moves with every command and alert, which on a
-- fleet of PBXes is several times a second and would make such a count useless.
ALTER TABLE companies ADD COLUMN access_seq BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER systems_access_ins AFTER INSERT ON systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER systems_access_del AFTER DELETE ON systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = OLD.company_id; END;
CREATE TRIGGER systems_access_upd AFTER UPDATE OF owner_id, company_id ON systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id IN (OLD.company_id, NEW.company_id); END;
CREATE TRIGGER authorisations_access_ins AFTER INSERT ON authorisations FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = NEW.company_id; END;
CREATE TRIGGER authorisations_access_upd AFTER UPDATE ON authorisations FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id IN (OLD.company_id, NEW.company_id); END;
CREATE TRIGGER authorisations_access_del AFTER DELETE ON authorisations FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = OLD.company_id; END;
CREATE TRIGGER user_groups_access_del AFTER DELETE ON user_groups FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = OLD.company_id; END;
CREATE TRIGGER group_members_access_ins AFTER INSERT ON group_members FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_members_access_upd AFTER UPDATE ON group_members FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_members_access_del AFTER DELETE ON group_members FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = OLD.group_id); END;
CREATE TRIGGER group_systems_access_ins AFTER INSERT ON group_systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_systems_access_upd AFTER UPDATE ON group_systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = NEW.group_id); END;
CREATE TRIGGER group_systems_access_del AFTER DELETE ON group_systems FOR EACH ROW BEGIN UPDATE companies SET access_seq = access_seq + 1 WHERE id = (SELECT company_id FROM user_groups WHERE id = OLD.group_id); END;
