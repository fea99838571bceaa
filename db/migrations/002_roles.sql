-- Least privilege for the history: two NOLOGIN group roles, which the login users created at setup
-- (lib/db/setup.ts: pingpong_writer, pingpong_reader, with generated passwords) are members of.
--   pingpong_history_write  record-hop: SELECT and INSERT on the history, UPDATE only on ball
--                           (the one row that changes: a ball ends); no DELETE, no DDL.
--   pingpong_history_read   the history UI and people: SELECT only.
-- Neither owns a table (so neither can DROP or ALTER one) and neither may CREATE in the schema or
-- make temporary tables. Roles are global to the server, so they are created only if absent.
-- A table added by a later migration must be granted there too.

-- Up Migration

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pingpong_history_write') THEN
    CREATE ROLE pingpong_history_write NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pingpong_history_read') THEN
    CREATE ROLE pingpong_history_read NOLOGIN;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO pingpong_history_write, pingpong_history_read', current_database());
  -- PUBLIC may make temporary tables by default: that is DDL our users do not need.
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

-- PostgreSQL 15+ already denies CREATE on public to PUBLIC; older servers did not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pingpong_history_write, pingpong_history_read;

GRANT SELECT, INSERT ON event, ball, hop, scale_change, pod_event, pod_snapshot, pong, coin_flip, dead_letter
  TO pingpong_history_write;
GRANT UPDATE ON ball TO pingpong_history_write;

GRANT SELECT ON event, ball, hop, scale_change, pod_event, pod_snapshot, pong, coin_flip, dead_letter
  TO pingpong_history_read;

-- Down Migration

REVOKE ALL ON event, ball, hop, scale_change, pod_event, pod_snapshot, pong, coin_flip, dead_letter
  FROM pingpong_history_write, pingpong_history_read;
REVOKE USAGE ON SCHEMA public FROM pingpong_history_write, pingpong_history_read;
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM pingpong_history_write, pingpong_history_read', current_database());
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
-- Roles belong to the whole server: another database there may still grant them privileges, and
-- then they stay (with a notice) for that database's sake.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pingpong_history_write', 'pingpong_history_read'] LOOP
    BEGIN
      EXECUTE format('DROP ROLE IF EXISTS %I', r);
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % kept: another database on this server still uses it', r;
    END;
  END LOOP;
END
$$;
