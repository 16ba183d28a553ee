"""Django's `flush`, able to empty the audit tables under the test settings.

The database refuses TRUNCATE of the audit events and the chain's head
(nrm/migrations/0003_audit_mac.py). The test runner empties every table with
TRUNCATE between transactional tests, so with AUDIT_FLUSH_BYPASSES_TRIGGERS
(test settings only) the flush's statements run with
`session_replication_role = replica`, which keeps triggers from firing for
that transaction only. PostgreSQL lets only a superuser (or a role granted SET
on that parameter) set it: an application role cannot, so production's
`flush` (setting off, or a non-superuser role) is refused by the triggers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if not (
            getattr(settings, "AUDIT_FLUSH_BYPASSES_TRIGGERS", False)
            and connection.vendor == "postgresql"
        ):
            return super().handle(**options)
        original = connection.ops.execute_sql_flush

        def execute_sql_flush(sql_list):
            with transaction.atomic(using=connection.alias):
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                original(sql_list)
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = DEFAULT")

        connection.ops.execute_sql_flush = execute_sql_flush
        try:
            return super().handle(**options)
        finally:
            del connection.ops.execute_sql_flush
