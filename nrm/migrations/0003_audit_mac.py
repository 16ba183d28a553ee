"""The audit chain becomes keyed (HMAC-SHA-256, key ids in the events), and
the database refuses TRUNCATE of the events and of the chain's head.

Existing events are re-sealed, in order, with the active key of
AUDIT_KEY_FILE: the unkeyed chain they had proves nothing a database owner
could not forge, so this is the moment the keyed chain starts. Run
`verify_audit` before migrating (it checks the old chain) and
`audit_anchor` after.

TRUNCATE: a statement-level trigger on both tables. Triggers do not fire in a
session with `session_replication_role = replica`, which only a superuser (or
a role granted SET on it) can set; the test runner's flush does that, and
only under the test settings (nrm/management/commands/flush.py).
"""

import json

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION nrm_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail cannot be truncated'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER nrm_auditevent_no_truncate
    BEFORE TRUNCATE ON nrm_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION nrm_audit_no_truncate();
CREATE TRIGGER nrm_auditchainhead_no_truncate
    BEFORE TRUNCATE ON nrm_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION nrm_audit_no_truncate();
CREATE TRIGGER nrm_auditchainhead_no_delete
    BEFORE DELETE ON nrm_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION nrm_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS nrm_auditchainhead_no_delete ON nrm_auditchainhead;
DROP TRIGGER IF EXISTS nrm_auditchainhead_no_truncate ON nrm_auditchainhead;
DROP TRIGGER IF EXISTS nrm_auditevent_no_truncate ON nrm_auditevent;
DROP FUNCTION IF EXISTS nrm_audit_no_truncate();
"""


def reseal(apps, schema_editor):
    from nrm import audit, audit_keys

    AuditEvent = apps.get_model("nrm", "AuditEvent")
    AuditChainHead = apps.get_model("nrm", "AuditChainHead")
    if not AuditEvent.objects.exists():
        return
    keyset = audit_keys.keys()
    key = keyset.key(keyset.active)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE nrm_auditevent DISABLE TRIGGER nrm_auditevent_append_only"
        )
    prev = audit.GENESIS
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        event.extra = json.loads(json.dumps(event.extra, default=str))
        event.key_id = keyset.active
        mac = audit.event_mac(prev, event, key)
        AuditEvent.objects.filter(pk=event.pk).update(
            key_id=event.key_id, prev_hash=prev, hash=mac
        )
        prev, last_id = mac, event.pk
    AuditChainHead.objects.update_or_create(
        pk=1, defaults={"last_id": last_id, "last_hash": prev}
    )
    if postgres:
        schema_editor.execute(
            "ALTER TABLE nrm_auditevent ENABLE TRIGGER nrm_auditevent_append_only"
        )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("nrm", "0002_audit_append_only")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
