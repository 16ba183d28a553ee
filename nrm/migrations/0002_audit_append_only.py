"""On PostgreSQL the database itself refuses UPDATE and DELETE of audit rows.

TRUNCATE is left to the database owner (the test runner flushes tables with
it); production grants the application role no TRUNCATE on the table.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION nrm_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER nrm_auditevent_append_only
    BEFORE UPDATE OR DELETE ON nrm_auditevent
    FOR EACH ROW EXECUTE FUNCTION nrm_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS nrm_auditevent_append_only ON nrm_auditevent;
DROP FUNCTION IF EXISTS nrm_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("nrm", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
