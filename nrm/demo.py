"""The demo mechanism: a country profile, organisations in two regions, one
user per role, pathways. Synthetic throughout; idempotent."""

from __future__ import annotations

from django.db import transaction

from nrm import services
from nrm.choices import OrganisationKind as K
from nrm.choices import PersonGroup, ServiceKind
from nrm.models import CountryProfile, Membership, Organisation, Pathway, Service, User
from nrm.roles import Role

COUNTRY = "XA"  # a user-assigned ISO code: the demo country is fictional

ORGANISATIONS = [
    ("North Reception Centre", K.RECEPTION_CENTRE, "north", []),
    ("South Reception Centre", K.RECEPTION_CENTRE, "south", []),
    ("North Border Police", K.POLICE_BORDER, "north", []),
    (
        "North Social Services",
        K.SOCIAL_SERVICES,
        "north",
        [ServiceKind.PSYCHOLOGICAL, ServiceKind.INTERPRETATION],
    ),
    (
        "Safe Harbour NGO",
        K.NGO,
        "north",
        [ServiceKind.SHELTER, ServiceKind.PSYCHOLOGICAL],
    ),
    ("South Anti-Trafficking NGO", K.NGO, "south", [ServiceKind.SHELTER]),
    (
        "North Child Protection Authority",
        K.CHILD_PROTECTION,
        "north",
        [ServiceKind.CHILD_PROTECTION],
    ),
    (
        "South Guardianship Authority",
        K.GUARDIANSHIP,
        "south",
        [ServiceKind.CHILD_PROTECTION],
    ),
    (
        "National Identification Authority",
        K.COMPETENT_AUTHORITY,
        "national",
        [ServiceKind.IDENTIFICATION],
    ),
    ("North Health Centre", K.HEALTH, "north", [ServiceKind.MEDICAL]),
    ("South Legal Aid Clinic", K.LEGAL_AID, "south", [ServiceKind.LEGAL_AID]),
    ("Foreign NRM Contact Point", K.FOREIGN_NRM, "abroad", [ServiceKind.TRANSNATIONAL]),
    ("NRM Co-ordination Office", K.NRM_COORDINATOR, "national", []),
    ("Office of the National Rapporteur", K.NATIONAL_RAPPORTEUR, "national", []),
]

# (purpose, region, person group, organisation, priority)
PATHWAYS = [
    (
        ServiceKind.IDENTIFICATION,
        "",
        PersonGroup.ANY,
        "National Identification Authority",
        1,
    ),
    (
        ServiceKind.CHILD_PROTECTION,
        "north",
        PersonGroup.CHILD,
        "North Child Protection Authority",
        1,
    ),
    (
        ServiceKind.CHILD_PROTECTION,
        "south",
        PersonGroup.CHILD,
        "South Guardianship Authority",
        1,
    ),
    (
        ServiceKind.CHILD_PROTECTION,
        "",
        PersonGroup.CHILD,
        "North Child Protection Authority",
        5,
    ),
    (ServiceKind.SHELTER, "north", PersonGroup.ANY, "Safe Harbour NGO", 1),
    (ServiceKind.SHELTER, "south", PersonGroup.ANY, "South Anti-Trafficking NGO", 1),
    (ServiceKind.SHELTER, "", PersonGroup.ADULT, "Safe Harbour NGO", 5),
    (ServiceKind.PSYCHOLOGICAL, "", PersonGroup.ANY, "Safe Harbour NGO", 1),
    (ServiceKind.PSYCHOLOGICAL, "north", PersonGroup.ANY, "North Social Services", 2),
    (ServiceKind.MEDICAL, "", PersonGroup.ANY, "North Health Centre", 1),
    (ServiceKind.LEGAL_AID, "", PersonGroup.ANY, "South Legal Aid Clinic", 1),
    (ServiceKind.INTERPRETATION, "", PersonGroup.ANY, "North Social Services", 1),
    (ServiceKind.TRANSNATIONAL, "", PersonGroup.ANY, "Foreign NRM Contact Point", 1),
]

# (username, role, organisation, password). Demo credentials, printed by the
# command; the demo database is local and synthetic.
USERS = [
    ("reception", Role.RECEPTION_OFFICER, "North Reception Centre"),
    ("caseworker", Role.CASE_WORKER, "Safe Harbour NGO"),
    ("decider", Role.DECISION_MAKER, "National Identification Authority"),
    ("guardian", Role.GUARDIAN, "South Guardianship Authority"),
    ("supervisor", Role.SUPERVISOR, "North Reception Centre"),
    ("rapporteur", Role.RAPPORTEUR, "Office of the National Rapporteur"),
    ("admin", Role.ADMINISTRATOR, "NRM Co-ordination Office"),
    # A second team so the demo shows referrals between organisations.
    ("childworker", Role.CASE_WORKER, "North Child Protection Authority"),
    ("idworker", Role.CASE_WORKER, "National Identification Authority"),
    # The other side of the transit and second-region pathways.
    ("foreign", Role.CASE_WORKER, "Foreign NRM Contact Point"),
    ("southreception", Role.RECEPTION_OFFICER, "South Reception Centre"),
]

# What each demo user can try, printed by `load_demo` (and in the README).
TRY = {
    "reception": "register a person, screen, record consent, refer; find a case",
    "caseworker": "answer shelter referrals; the case once accepted",
    "decider": "the decision queue: reasonable-grounds and conclusive decisions",
    "guardian": "consent for the children appointed to them",
    "supervisor": "overdue work, possible duplicates, erasure",
    "rapporteur": "the statistics dashboard (no one-time password needed)",
    "admin": "the Django admin: organisations, staff, pathways",
    "childworker": "child-protection referrals; appoint a guardian",
    "idworker": "accept identification referrals; anonymous notifications",
    "foreign": "accept a transferred case at the foreign contact point",
    "southreception": "register in the south region (its own pathways)",
}


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


@transaction.atomic
def load_directory() -> list[tuple[str, str, str, str]]:
    """Create (or find) the demo mechanism; returns the users' credentials."""
    CountryProfile.objects.get_or_create(
        country=COUNTRY, defaults={"name": "Demo Republic", "is_active": True}
    )
    organisations: dict[str, Organisation] = {}
    for name, kind, region, kinds in ORGANISATIONS:
        organisation = Organisation.objects.filter(name=name).first()
        if organisation is None:
            organisation = services.organisation_create(
                name=name,
                kind=kind,
                region=region,
                country=COUNTRY,
                email=f"{name.lower().replace(' ', '.')}@demo.invalid",
            )
        organisations[name] = organisation
        for service_kind in kinds:
            Service.objects.get_or_create(organisation=organisation, kind=service_kind)
    for purpose, region, group, name, priority in PATHWAYS:
        service = Service.objects.get(organisation=organisations[name], kind=purpose)
        Pathway.objects.get_or_create(
            purpose=purpose,
            region=region,
            person_group=group,
            service=service,
            defaults={"priority": priority},
        )
    credentials = []
    for username, role, org_name in USERS:
        user = User.objects.filter(username=username).first()
        password = demo_password(username)
        if user is None:
            user = services.user_create(
                username=username,
                password=password,
                email=f"{username}@demo.invalid",
            )
            if role == Role.ADMINISTRATOR:
                user.is_staff = True
                user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        organisation = organisations[org_name]
        if not Membership.objects.filter(
            user=user, organisation=organisation, role=role
        ).exists():
            services.membership_create(user=user, organisation=organisation, role=role)
        credentials.append((username, password, role, org_name))
    return credentials
