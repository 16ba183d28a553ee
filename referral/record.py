"""The record of processing activities (GDPR art. 30), built from the code
and the configuration: the fields' classes (`referral.classification`), the
recipients (the organisations the pathways refer to), the retention periods
(the country profile) and the security measures (the settings). Written by
`manage.py record_of_processing` as Markdown and CSV; it names fields,
organisations and settings, never a person."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from nrm.choices import OrganisationKind, ServiceKind
from nrm.models import CountryProfile, Pathway
from nrm.roles import PERSONAL_DATA_ROLES
from nrm.selectors import active_profile
from referral import classification as cls


@dataclass(frozen=True)
class Row:
    model: str
    field: str
    data_class: str
    subjects: str
    purpose: str
    retention: str


def retention_of(label: str, entry: cls.Entry, profile: CountryProfile) -> str:
    if label == "nrm.AuditEvent":
        return f"kept at least {profile.retention_audit_days} days (append-only)"
    if label == "nrm.OutboxMessage":
        return f"deleted {profile.retention_outbox_days} days after delivery"
    if label == "sessions.Session":
        return "until the session expires"
    if entry.subjects == cls.PEOPLE:
        return (
            f"personal data erased {profile.retention_closed_case_days} days after "
            f"a case closed or was transferred, {profile.retention_refused_case_days} "
            "days after it ended without identification; coarse attributes kept"
        )
    if entry.subjects == cls.STAFF:
        return "while the staff account exists (deactivated, never deleted)"
    return "while the configuration is in force"


def rows(profile: CountryProfile) -> list[Row]:
    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        entry = cls.CLASSIFICATION.get(model._meta.label)
        if entry is None:
            continue
        for name in cls.model_fields(model):
            found.append(
                Row(
                    model=model._meta.label,
                    field=name,
                    data_class=entry.fields.get(name, "unclassified"),
                    subjects=entry.subjects,
                    purpose=entry.purpose,
                    retention=retention_of(model._meta.label, entry, profile),
                )
            )
    return found


def recipients() -> list[tuple[str, str, list[str]]]:
    """(organisation, kind, purposes) for every organisation a pathway refers
    to, in the order of the directory."""
    purposes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pathway in Pathway.objects.filter(
        is_active=True, service__is_active=True, service__organisation__is_active=True
    ).select_related("service__organisation"):
        organisation = pathway.service.organisation
        kind = OrganisationKind(organisation.kind).label
        purposes[(organisation.name, str(kind))].add(
            str(ServiceKind(pathway.purpose).label)
        )
    return [(name, kind, sorted(p)) for (name, kind), p in sorted(purposes.items())]


def security_measures() -> list[str]:
    keys = (
        "a key file (VAULT_KEY_FILE)"
        if getattr(settings, "VAULT_KEY_FILE", "")
        else ("the environment (VAULT_KEYS)")
    )
    roles = ", ".join(sorted(str(r) for r in PERSONAL_DATA_ROLES))
    measures = [
        "Personal fields encrypted in the application before they reach the "
        "database (AES-256-GCM), each person under their own data key, wrapped by "
        f"key-encryption keys from {keys}, never from the database; erasure "
        "destroys the data key (crypto-shredding).",
        "Duplicate detection by a keyed blind index (HMAC-SHA256), never by "
        "searching plaintext.",
        f"Second factor (TOTP) required for the roles that read personal data "
        f"({roles}); lockout after {settings.AXES_FAILURE_LIMIT} failures for "
        f"{int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} minutes.",
        f"Sessions end after {settings.SESSION_COOKIE_AGE // 60} minutes without "
        "activity and when the browser closes.",
        "Passwords of at least "
        f"{_min_password_length()} characters, checked against common passwords.",
        "Access by organisation: a case is visible to its registering "
        "organisation and to the organisations that accepted a referral; one "
        "policy module answers every access question, deny by default.",
        "Audit trail of every access and change, hash-chained and append-only "
        "(a database trigger refuses UPDATE and DELETE).",
        "The service's database role owns no table and has no TRUNCATE, DDL or "
        "trigger rights (deploy/runtime-role.sql).",
        "Backups encrypted (scrypt, AES-256-GCM) with the key export in a "
        "separate file under another passphrase; restores are verified.",
        "Retention applied by `manage.py apply_retention` (crypto-shredding).",
        "Statistics computed from coarse attributes only, with primary and "
        "secondary suppression below the profile's threshold.",
    ]
    if not settings.DEBUG and getattr(settings, "SESSION_COOKIE_SECURE", False):
        measures.append(
            f"HTTPS only: HSTS for {settings.SECURE_HSTS_SECONDS} seconds, secure "
            "and host-only cookies, a strict content security policy."
        )
    return measures


def _min_password_length() -> int:
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            return validator.get("OPTIONS", {}).get("min_length", 8)
    return 8


def markdown(profile: CountryProfile | None = None) -> str:
    profile = profile or active_profile()
    table = rows(profile)
    out = io.StringIO()
    w = out.write
    w("# Record of processing activities (GDPR article 30)\n\n")
    w(
        f"Generated by `manage.py record_of_processing` on "
        f"{timezone.localdate():%Y-%m-%d} from the code and the configuration of "
        f"{profile.name} ({profile.country}). The controller completes its name, "
        "contact details and those of its data protection officer.\n\n"
    )
    w("## Purposes of the processing\n\n")
    for key, text in cls.PURPOSES.items():
        w(f"- **{key}**: {text}\n")
    w("\n## Categories of data subjects\n\n")
    for key, text in cls.SUBJECTS.items():
        if key != cls.NOBODY:
            w(f"- **{key}**: {text}\n")
    w("\n## Categories of personal data\n\n")
    by_class: dict[str, list[Row]] = defaultdict(list)
    for row in table:
        by_class[row.data_class].append(row)
    for key, title in cls.CLASSES.items():
        if key == cls.OPERATIONAL:
            continue
        fields = by_class.get(key, [])
        w(f"### {title} ({len(fields)} fields)\n\n")
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in sorted(fields, key=lambda r: (r.subjects != cls.PEOPLE, r.model)):
            grouped[(row.model, row.subjects)].append(row.field)
        for (model, subjects), names in grouped.items():
            w(f"- `{model}` ({subjects}): {', '.join(names)}\n")
        w("\n")
    w(
        f"Operational fields (about no person): {len(by_class[cls.OPERATIONAL])}; "
        "every field with its class is in the CSV.\n\n"
    )
    w("## Recipients\n\n")
    w(
        "Organisations the referral pathways refer to (personal data only with "
        "the person's consent, per organisation and purpose, or as an anonymous "
        "notification):\n\n"
    )
    w("| organisation | kind | purposes |\n| --- | --- | --- |\n")
    foreign = []
    for name, kind, purposes in recipients():
        w(f"| {name} | {kind} | {', '.join(purposes)} |\n")
        if kind == str(OrganisationKind.FOREIGN_NRM.label):
            foreign.append(name)
    w("\n## Transfers to other countries\n\n")
    if foreign:
        w(
            "Transnational referrals hand a minimal, encrypted package to: "
            + ", ".join(foreign)
            + ".\n\n"
        )
    else:
        w("None configured.\n\n")
    w("## Retention\n\n")
    w(
        f"- Closed or transferred cases: {profile.retention_closed_case_days} days "
        "after the case ended, then the personal data is erased "
        "(crypto-shredding); coarse attributes stay for statistics.\n"
        f"- Cases ended without identification: "
        f"{profile.retention_refused_case_days} days.\n"
        f"- Audit events: at least {profile.retention_audit_days} days.\n"
        f"- Delivered notifications: {profile.retention_outbox_days} days.\n"
        "- Statistics releases (anonymised): "
        + (
            f"{profile.retention_statistics_release_days} days"
            if profile.retention_statistics_release_days
            else "kept"
        )
        + ".\n\n"
    )
    w("## Technical and organisational security measures\n\n")
    for measure in security_measures():
        w(f"- {measure}\n")
    return out.getvalue()


def csv_text(profile: CountryProfile | None = None) -> str:
    profile = profile or active_profile()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["model", "field", "class", "data_subjects", "purpose", "retention"]
    )
    for row in rows(profile):
        writer.writerow(
            [
                row.model,
                row.field,
                row.data_class,
                row.subjects,
                row.purpose,
                row.retention,
            ]
        )
    return out.getvalue()
