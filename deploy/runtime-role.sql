-- The database role the service runs as: it reads and writes rows, nothing
-- more. The tables belong to the owner role that runs the migrations; the
-- runtime role gets no TRUNCATE, no DDL (no CREATE on the schema, owns no
-- table, so it can neither alter nor drop a table or disable a trigger), no
-- UPDATE or DELETE on the audit trail, and is no superuser.
--
-- Run it as the owner role, connected to the service's database, after every
-- `manage.py migrate` (it is idempotent):
--
--   psql -v ON_ERROR_STOP=1 -v app_role=nrm_app -v app_password='...' \
--        -d nrm -U nrm_owner -f deploy/runtime-role.sql
--
-- `app_role` defaults to nrm_app; `app_password` sets the role's password
-- (omit it to keep the current one, or for peer authentication).

\set ON_ERROR_STOP on
\if :{?app_role}
\else
  \set app_role nrm_app
\endif

SELECT format('CREATE ROLE %I LOGIN', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
ALTER ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS NOINHERIT;
\if :{?app_password}
  ALTER ROLE :"app_role" PASSWORD :'app_password';
\endif

-- Connect, but create nothing: no schemas, no temporary tables.
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
REVOKE CREATE, TEMPORARY ON DATABASE :"DBNAME" FROM PUBLIC, :"app_role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

-- Rows only. TRUNCATE, REFERENCES and TRIGGER are never granted.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
-- The audit trail is append-only (a trigger refuses UPDATE and DELETE too).
REVOKE UPDATE, DELETE ON nrm_auditevent FROM :"app_role";

-- Tables that later migrations create (as this owner) get the same rights;
-- re-run this file after migrating all the same, for the audit trail's rule.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
