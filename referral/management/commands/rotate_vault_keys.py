"""Re-wrap every data key under the active key-encryption key (KEK).

Runs while the service serves: each batch is its own short transaction that
locks only the data-key rows it re-wraps (FOR UPDATE SKIP LOCKED), never a
person or a case. Resumable: it selects the keys still wrapped under another
KEK, so running it again after an interruption finishes the work. With
`--retire`, after a complete rotation it removes from the key file every KEK
no data key uses any more.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from nrm import audit
from referral import vault
from referral.models import DataKey


def _save_rewrapped(data_keys: list[DataKey]) -> None:
    """Write a batch of re-wrapped keys in one statement on PostgreSQL (an
    UPDATE joined to VALUES); one UPDATE a key elsewhere (the SQLite demo)."""
    if not data_keys:
        return
    meta, quote = DataKey._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in ("wrapped", "kek_id", "rewrapped_at")]
    rows = [
        [meta.pk.get_db_prep_save(key.pk, connection)]
        + [
            field.get_db_prep_save(getattr(key, field.attname), connection)
            for field in fields
        ]
        for key in data_keys
    ]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            row = "(%s::uuid, %s::bytea, %s::varchar, %s::timestamptz)"
            sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
            names = ", ".join(quote(f.column) for f in fields)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES "  # noqa: S608
                f"{', '.join([row] * len(rows))}) AS v(pk, {names}) "
                f"WHERE {table}.{pk} = v.pk",
                [value for values in rows for value in values],
            )
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                [values[1:] + values[:1] for values in rows],
            )


class Command(BaseCommand):
    help = "Re-wrap every data key under the active vault key (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Stop after re-wrapping this many keys (run again to go on).",
        )
        parser.add_argument(
            "--sweeps",
            type=int,
            default=3,
            help="Passes over keys that other transactions held locked.",
        )
        parser.add_argument(
            "--retire",
            action="store_true",
            help="After a complete rotation, remove unused KEKs from the key file.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, batch_size, limit, sweeps, retire, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        vault.reload_keys()
        ring = vault.keyring()
        active = ring.active
        pending = DataKey.objects.filter(wrapped__isnull=False).exclude(kek_id=active)
        unknown = set(pending.values_list("kek_id", flat=True).distinct()) - set(
            ring.kek_ids
        )
        if unknown:
            raise CommandError(
                f"Data keys are wrapped under KEKs missing from the key set: "
                f"{', '.join(sorted(unknown))}. Restore them before rotating."
            )
        self.total = pending.count()
        self.started = time.monotonic()
        self.show = not no_progress
        done = 0
        failed: set[str] = set()
        limited = False
        for _sweep in range(max(sweeps, 1)):
            last = None
            while True:
                size = batch_size
                if limit is not None:
                    size = min(size, limit - done)
                    if size <= 0:
                        limited = True
                        break
                with transaction.atomic():
                    queryset = pending.exclude(person_id__in=failed).order_by(
                        "person_id"
                    )
                    if last is not None:
                        queryset = queryset.filter(person_id__gt=last)
                    batch = list(
                        queryset.select_for_update(skip_locked=True).only(
                            "person_id", "kek_id", "wrapped"
                        )[:size]
                    )
                    if not batch:
                        break
                    changed = []
                    for data_key in batch:
                        try:
                            if vault.rewrap_data_key(data_key):
                                changed.append(data_key)
                        except vault.VaultError:
                            failed.add(str(data_key.person_id))
                    _save_rewrapped(changed)
                last = batch[-1].person_id
                done += len(changed)
                self.progress(done)
            if limited:
                break
            remaining = pending.exclude(person_id__in=failed).count()
            if not remaining:
                break
            time.sleep(0.5)
        remaining = pending.count()
        if self.show and self.total:
            self.stderr.write("", style_func=str)
        if done:
            audit.record(
                audit.Event.KEY_ROTATED,
                actor=None,
                object_type="vault.kek",
                object_id=active,
                extra={"rewrapped": done, "remaining": remaining},
            )
        self.stdout.write(
            f"Re-wrapped {done} data keys under {active}; {remaining} remain "
            "under older keys."
        )
        if failed:
            raise CommandError(
                f"{len(failed)} data keys did not open (wrong key or altered): "
                f"persons {', '.join(sorted(failed)[:20])}."
            )
        if limited:
            self.stdout.write("Stopped at --limit; run the command again to go on.")
            return
        if remaining:
            raise CommandError(
                f"{remaining} data keys were held locked by other transactions; "
                "run the command again."
            )
        if retire:
            self.retire(active)

    def retire(self, active: str) -> None:
        in_use = set(
            DataKey.objects.filter(wrapped__isnull=False)
            .values_list("kek_id", flat=True)
            .distinct()
        )
        unused = set(vault.keyring().kek_ids) - in_use - {active}
        if not unused:
            self.stdout.write("No unused keys to retire.")
            return
        if getattr(settings, "VAULT_KEYS", ""):
            self.stdout.write(
                f"Remove these keys from VAULT_KEYS: {', '.join(sorted(unused))}."
            )
            return
        removed = vault.remove_keks(settings.VAULT_KEY_FILE, unused)
        self.stdout.write(f"Retired from the key file: {', '.join(removed)}.")

    def progress(self, done: int) -> None:
        if not self.show:
            return
        total = max(self.total, done, 1)
        width = 30
        filled = int(width * done / total)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.stderr.write(
            f"\rre-wrapping data keys [{'#' * filled}{'.' * (width - filled)}] "
            f"{done}/{total} {done * 100 // total}% {rate:,.0f}/s",
            style_func=str,
            ending="",
        )
        self.stderr.flush()
