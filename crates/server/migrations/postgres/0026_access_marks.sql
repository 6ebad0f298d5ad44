-- A second marker per company that moves only when who may see which system can change:
-- systems added, removed or given to another owner, authorisations, groups and their
-- members and systems. The lists keep each user's count of visible systems beside it
-- (access/counts.rs); change_seq (0023) also moves with every command and alert, which on a
-- fleet of PBXes is several times a second and would make such a count useless.
ALTER TABLE companies ADD COLUMN access_seq BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION mark_access(c TEXT) RETURNS void LANGUAGE sql AS
  'UPDATE companies SET access_seq = access_seq + 1 WHERE id = c';
CREATE FUNCTION access_by_company() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM mark_access(OLD.company_id); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM mark_access(NEW.company_id); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION access_by_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM mark_access((SELECT company_id FROM user_groups WHERE id = OLD.group_id));
  ELSE
    PERFORM mark_access((SELECT company_id FROM user_groups WHERE id = NEW.group_id));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER systems_access AFTER INSERT OR DELETE OR UPDATE OF owner_id, company_id ON systems FOR EACH ROW EXECUTE FUNCTION access_by_company();
CREATE TRIGGER authorisations_access AFTER INSERT OR DELETE OR UPDATE ON authorisations FOR EACH ROW EXECUTE FUNCTION access_by_company();
CREATE TRIGGER user_groups_access AFTER DELETE ON user_groups FOR EACH ROW EXECUTE FUNCTION access_by_company();
CREATE TRIGGER group_members_access AFTER INSERT OR DELETE OR UPDATE ON group_members FOR EACH ROW EXECUTE FUNCTION access_by_group();
CREATE TRIGGER group_systems_access AFTER INSERT OR DELETE OR UPDATE ON group_systems FOR EACH ROW EXECUTE FUNCTION access_by_group();
