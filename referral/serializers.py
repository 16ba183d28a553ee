"""Input parsing and output shapes for the API. No rules here: serializers
check types and choices; the services decide."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from core.serializers import OptionalBooleanField, QuerySerializer, StrictSerializer
from indicators.assessment import Outcome
from nrm.audit import Event
from nrm.choices import AgeGroup, ExploitationForm, OrganisationKind, ServiceKind, Sex
from nrm.roles import Role
from referral.models import (
    AgeAssessmentMethod,
    AgeAssessmentResult,
    AsylumStatus,
    BestInterestsRecommendation,
    CaseState,
    CloseReason,
    ConsentGiver,
    DeadlineKind,
    DecisionKind,
    DeclineReason,
    HandoverDeclineReason,
    HandoverDirection,
    HandoverKind,
    HandoverStatus,
    PersonRequestKind,
    ReceptionStage,
    ReferralState,
    ResidencePermitStatus,
    ReturnKind,
    RightsScript,
    RiskLevel,
    SuspendReason,
    Urgency,
)

TEXT = {"required": False, "allow_blank": True, "default": ""}
DEADLINE_STATUSES = ["open", "overdue", "met", "met_late", "cancelled"]
OUTCOMES = [o.value for o in Outcome]
# An audit event's from and to states: a case's or a referral's.
STATES = sorted({*CaseState.values, *ReferralState.values})


def code(choices, **kwargs) -> serializers.ChoiceField:
    """A read-only code field: documented with its enum (a blank value where
    the column may be blank, `allow_blank=True`)."""
    return serializers.ChoiceField(choices=choices, read_only=True, **kwargs)


def moment(**kwargs) -> serializers.DateTimeField:
    """A read-only date-time that is null until the event happens."""
    return serializers.DateTimeField(read_only=True, allow_null=True, **kwargs)


# Query parameters


class CaseListQuery(QuerySerializer):
    state = serializers.ChoiceField(
        choices=CaseState.choices, required=False, help_text="Filter by state."
    )
    overdue = OptionalBooleanField(help_text="Only cases with overdue work.")


class ReferralListQuery(QuerySerializer):
    state = serializers.ChoiceField(choices=ReferralState.choices, required=False)


class DeadlineListQuery(QuerySerializer):
    overdue = OptionalBooleanField(help_text="Only overdue deadlines.")


class OrganisationListQuery(QuerySerializer):
    purpose = serializers.ChoiceField(
        choices=ServiceKind.choices,
        required=False,
        help_text="Only organisations offering this service.",
    )


class LanguageCodeField(serializers.RegexField):
    """An ISO 639 code (with an optional region): never free text, because
    the language is shown to a receiving organisation before it accepts."""

    def __init__(self, **kwargs):
        super().__init__(
            r"^([a-z]{2,3}(-[A-Za-z0-9]{2,8})?)?$", max_length=16, **kwargs
        )


class CountryCodeField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(r"^([A-Z]{2})?$", max_length=2, **kwargs)


# Cases


class CaseCreateSerializer(StrictSerializer):
    organisation_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The registering organisation, for a user acting for several.",
    )
    given_names = serializers.CharField(max_length=200)
    family_name = serializers.CharField(max_length=200, **TEXT)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Sex.choices)
    age_group = serializers.ChoiceField(choices=AgeGroup.choices)
    is_child = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also true when the age is uncertain: a person presumed to be "
        "a child is treated as one until the age is assessed.",
    )
    citizenship = CountryCodeField(required=False, allow_blank=True, default="")
    reception_stage = serializers.ChoiceField(choices=ReceptionStage.choices)
    language = LanguageCodeField(**TEXT)
    asylum_status = serializers.ChoiceField(
        choices=AsylumStatus.choices, required=False, default=AsylumStatus.UNKNOWN
    )
    exploitation_forms = serializers.ListField(
        child=serializers.ChoiceField(choices=ExploitationForm.choices),
        required=False,
        default=list,
        max_length=len(ExploitationForm.choices),
    )
    aliases = serializers.CharField(max_length=500, **TEXT)
    place_of_birth = serializers.CharField(max_length=200, **TEXT)
    contact_details = serializers.CharField(max_length=500, **TEXT)
    identity_documents = serializers.CharField(max_length=500, **TEXT)
    notes = serializers.CharField(max_length=20000, **TEXT)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = code(OrganisationKind.choices)


class CaseListSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    reference = serializers.CharField(read_only=True)
    state = code(CaseState.choices)
    organisation = OrganisationRefSerializer(read_only=True)
    region = serializers.CharField(read_only=True)
    reception_stage = code(ReceptionStage.choices)
    is_child = serializers.BooleanField(source="person.is_child", read_only=True)
    age_group = code(AgeGroup.choices, source="person.age_group")
    sex = code(Sex.choices, source="person.sex")
    citizenship = serializers.CharField(source="person.citizenship", read_only=True)
    exploitation_forms = serializers.SerializerMethodField()
    latest_outcome = code(OUTCOMES, allow_blank=True)
    registered_at = serializers.DateTimeField(read_only=True)
    state_changed_at = serializers.DateTimeField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True, default=False)

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(ExploitationForm.choices))
    )
    def get_exploitation_forms(self, case) -> list[str]:
        return [row.form for row in case.forms.all()]


class DeadlineSerializer(serializers.Serializer):
    """A deadline; its case id only when the reader may see the case (the
    recipient of a referral owes an answer before it may)."""

    id = serializers.UUIDField(read_only=True)
    case_id = serializers.SerializerMethodField()
    kind = code(DeadlineKind.choices)
    organisation = OrganisationRefSerializer(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    met_at = moment()
    cancelled_at = moment()
    status = serializers.SerializerMethodField()

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_case_id(self, deadline) -> str | None:
        visible = self.context.get("visible_case_ids")
        if visible is not None and deadline.case_id not in visible:
            return None
        return str(deadline.case_id)

    @extend_schema_field(serializers.ChoiceField(choices=DEADLINE_STATUSES))
    def get_status(self, deadline) -> str:

        return deadline.status(clock.now())


class PersonSerializer(serializers.Serializer):
    """Opened only through `services.person_read`, which audits the read."""

    erased = serializers.BooleanField(read_only=True, default=False)
    given_names = serializers.CharField(read_only=True, required=False)
    family_name = serializers.CharField(read_only=True, required=False)
    aliases = serializers.CharField(read_only=True, required=False)
    date_of_birth = serializers.DateField(
        read_only=True, required=False, allow_null=True
    )
    place_of_birth = serializers.CharField(read_only=True, required=False)
    contact_details = serializers.CharField(read_only=True, required=False)
    identity_documents = serializers.CharField(read_only=True, required=False)
    notes = serializers.CharField(read_only=True, required=False)


class CaseDetailSerializer(CaseListSerializer):
    language = serializers.CharField(read_only=True)
    asylum_status = code(AsylumStatus.choices)
    state_before_suspension = code(CaseState.choices, allow_blank=True)
    first_screened_at = moment()
    referred_at = moment()
    assessment_started_at = moment()
    rg_decided_at = moment()
    recovery_ends_on = serializers.DateField(read_only=True, allow_null=True)
    cg_decided_at = moment()
    transferred_at = moment()
    transfer_country = serializers.CharField(read_only=True)
    closed_at = moment()
    close_reason = code(CloseReason.choices, allow_blank=True)
    # Both come from the view's context: the person only ever through the
    # audited read (services.person_read), never from the model here.
    deadlines = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    duplicate_review = serializers.SerializerMethodField()

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, case) -> list[dict]:
        return DeadlineSerializer(self.context.get("deadlines", []), many=True).data

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_person(self, case) -> dict | None:
        person = self.context.get("person")
        return PersonSerializer(person).data if person is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=["pending"], allow_null=True))
    def get_duplicate_review(self, case) -> str | None:
        """On a registration's answer: "pending" when a supervisor will review
        a possible duplicate; nothing about the matches."""
        return self.context.get("duplicate_review")


# Screening


class ScreeningCreateSerializer(StrictSerializer):
    catalogue_id = serializers.CharField(max_length=64)
    indicator_codes = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=True, max_length=500
    )
    interpreter_language = LanguageCodeField(**TEXT)
    notes = serializers.CharField(max_length=20000, **TEXT)


class ScreeningSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    catalogue_id = serializers.CharField(read_only=True)
    indicator_codes = serializers.ListField(
        child=serializers.CharField(), read_only=True
    )
    outcome = code(OUTCOMES)
    assessment = serializers.JSONField(read_only=True)
    interpreter_language = serializers.CharField(read_only=True)
    screened_at = serializers.DateTimeField(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)


# Consent


class ConsentCreateSerializer(StrictSerializer):
    to_organisation_id = serializers.UUIDField(
        label=_("Organisation the data may go to")
    )
    purpose = serializers.ChoiceField(choices=ServiceKind.choices)
    given = serializers.BooleanField()
    language = LanguageCodeField()
    interpreter_used = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(max_length=5000, label=_("Notes"), **TEXT)


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    case_id = serializers.UUIDField(read_only=True)
    to_organisation = OrganisationRefSerializer(read_only=True)
    purpose = code(ServiceKind.choices)
    given = serializers.BooleanField(read_only=True)
    given_by = code(ConsentGiver.choices)
    language = serializers.CharField(read_only=True)
    interpreter_used = serializers.BooleanField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    withdrawn_at = moment()
    is_effective = serializers.BooleanField(read_only=True)


# Referrals


class ReferralCreateSerializer(StrictSerializer):
    to_organisation_id = serializers.UUIDField(label=_("Receiving organisation"))
    purpose = serializers.ChoiceField(choices=ServiceKind.choices)
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, default=Urgency.ROUTINE
    )


class ReferralDeclineSerializer(StrictSerializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)


class ReferralSerializer(serializers.Serializer):
    """What the sender, or a recipient that accepted, sees."""

    id = serializers.UUIDField(read_only=True)
    case_id = serializers.UUIDField(read_only=True)
    from_organisation = OrganisationRefSerializer(read_only=True)
    to_organisation = OrganisationRefSerializer(read_only=True)
    purpose = code(ServiceKind.choices)
    urgency = code(Urgency.choices)
    state = code(ReferralState.choices)
    sent_at = serializers.DateTimeField(read_only=True)
    answer_due_at = moment()
    answered_at = moment()
    decline_reason = code(DeclineReason.choices, allow_blank=True)
    completed_at = moment()


class ReferralMinimalSerializer(serializers.Serializer):
    """What a receiving organisation sees before it accepts: what it needs to
    decide, never names, narratives or the case."""

    id = serializers.UUIDField(read_only=True)
    from_organisation = OrganisationRefSerializer(read_only=True)
    purpose = code(ServiceKind.choices)
    urgency = code(Urgency.choices)
    state = code(ReferralState.choices)
    sent_at = serializers.DateTimeField(read_only=True)
    answer_due_at = moment()
    age_group = code(AgeGroup.choices, source="case.person.age_group")
    is_child = serializers.BooleanField(source="case.person.is_child", read_only=True)
    sex = code(Sex.choices, source="case.person.sex")
    language = serializers.CharField(source="case.language", read_only=True)


class AnonymousNotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    from_organisation = OrganisationRefSerializer(read_only=True)
    sex = code(Sex.choices)
    age_group = code(AgeGroup.choices)
    citizenship = serializers.CharField(read_only=True)
    exploitation_forms = serializers.ListField(
        child=serializers.ChoiceField(choices=ExploitationForm.choices), read_only=True
    )
    sent_at = serializers.DateTimeField(read_only=True)


# Decisions


class DecisionSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    case_id = serializers.UUIDField(read_only=True)
    kind = code(DecisionKind.choices)
    positive = serializers.BooleanField(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)
    person_request_id = serializers.UUIDField(read_only=True, allow_null=True)
    reconsiders_id = serializers.UUIDField(read_only=True, allow_null=True)


# Transition inputs


class NoInputSerializer(StrictSerializer):
    pass


# Labels and help texts here are also the staff pages' (the generic step
# form is built from these serializers); `style["textarea"]` asks the page for
# a text area, `style["choices"]` names a boolean's two answers.
REASON = {"label": _("Reason")}
SEALED = _("Stored encrypted; shown to nobody outside the case.")


class FlagSerializer(StrictSerializer):
    reason_code = serializers.ChoiceField(
        choices=[
            ("professional_judgement", _("Professional judgement")),
            ("urgent_danger", _("Urgent danger")),
        ],
        **REASON,
    )


class SuspendSerializer(StrictSerializer):
    reason = serializers.ChoiceField(choices=SuspendReason.choices, **REASON)


def _person_request_field(label):
    return serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        label=label,
        help_text=_("Only while the recovery and reflection period runs."),
    )


class TransferSerializer(StrictSerializer):
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        label=_("Country (ISO code)"),
        help_text=_("Two capital letters, for example XB."),
    )
    to_organisation_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        label=_("Receiving organisation"),
    )
    person_request_id = _person_request_field(
        _("The person's recorded request to be transferred")
    )


class CloseSerializer(StrictSerializer):
    reason = serializers.ChoiceField(choices=CloseReason.choices, **REASON)
    return_kind = serializers.ChoiceField(
        choices=ReturnKind.choices,
        required=False,
        allow_blank=True,
        default="",
        label=_("Return"),
        help_text=_("For a return only."),
    )
    partner_organisation_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        label=_("Receiving partner organisation"),
        help_text=_("For a return: the partner in the country of return."),
    )
    partner_name = serializers.CharField(
        max_length=500,
        label=_("Partner not in the directory"),
        help_text=SEALED,
        **TEXT,
    )
    person_request_id = _person_request_field(
        _("The person's recorded request to return")
    )


class GuardianAppointSerializer(StrictSerializer):
    guardian_id = serializers.UUIDField(label=_("Guardian"))


class BestInterestsSerializer(StrictSerializer):
    recommendation = serializers.ChoiceField(
        choices=BestInterestsRecommendation.choices, label=_("Recommendation")
    )
    summary = serializers.CharField(
        max_length=20000,
        label=_("Summary"),
        help_text=_("Stored encrypted."),
        style={"textarea": True},
    )


class RightsInformationCreateSerializer(StrictSerializer):
    script = serializers.ChoiceField(
        choices=RightsScript.choices, label=_("Script or leaflet given")
    )
    language = LanguageCodeField(label=_("Language (ISO 639)"))
    interpreter_present = serializers.BooleanField(
        required=False, default=False, label=_("An interpreter was present")
    )
    informed_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        label=_("Date informed"),
        help_text=_("Empty: today."),
    )


class ChildViewsCreateSerializer(StrictSerializer):
    views = serializers.CharField(
        max_length=20000,
        label=_("The child's views"),
        help_text=SEALED,
        style={"textarea": True},
    )
    language = LanguageCodeField(label=_("Language (ISO 639)"))
    interpreter_present = serializers.BooleanField(
        required=False, default=False, label=_("An interpreter was present")
    )


class AgeAssessmentCreateSerializer(StrictSerializer):
    method = serializers.ChoiceField(
        choices=AgeAssessmentMethod.choices, label=_("Method")
    )
    result = serializers.ChoiceField(
        choices=AgeAssessmentResult.choices,
        label=_("Result"),
        help_text=_("When in doubt, the person is presumed a child."),
    )
    assessed_on = serializers.DateField(label=_("Date of the assessment"))


class ReconsiderationRequestCreateSerializer(StrictSerializer):
    by_person = serializers.BooleanField(
        label=_("Who asks"),
        style={
            "choices": (
                (True, _("The person, through us")),
                (False, _("The registering organisation")),
            )
        },
    )
    grounds = serializers.CharField(
        max_length=20000,
        label=_("Grounds"),
        help_text=SEALED,
        style={"textarea": True},
    )


class AnonymousNotifySerializer(StrictSerializer):
    to_organisation_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        label=_("Receiving organisation"),
    )


def _outcome_field():
    return serializers.BooleanField(
        label=_("Outcome"),
        style={"choices": ((True, _("Positive")), (False, _("Negative")))},
    )


def _reasons_field():
    return serializers.CharField(
        max_length=20000,
        label=_("Written reasons"),
        help_text=SEALED,
        style={"textarea": True},
    )


class ReasonableGroundsSerializer(StrictSerializer):
    positive = _outcome_field()
    reasons = _reasons_field()


class ConclusiveGroundsSerializer(StrictSerializer):
    positive = _outcome_field()
    reasons = _reasons_field()
    person_request_id = _person_request_field(
        _("The person's recorded request for an early decision")
    )


class ReconsiderationSerializer(StrictSerializer):
    positive = _outcome_field()
    reasons = _reasons_field()


class ScreeningResultSerializer(serializers.Serializer):
    """What a screening step returns: the screening, and what it set off."""

    screening = ScreeningSerializer(read_only=True)
    child_protection_referral = serializers.UUIDField(
        source="child_protection_referral.pk", read_only=True, default=None
    )
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)


class GuardianAppointmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    guardian_id = serializers.UUIDField(read_only=True)
    appointed_at = serializers.DateTimeField(read_only=True)


class BestInterestsAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    recommendation = serializers.CharField(read_only=True)
    assessed_at = serializers.DateTimeField(read_only=True)


class RightsInformationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    script = code(RightsScript.choices)
    language = serializers.CharField(read_only=True)
    interpreter_present = serializers.BooleanField(read_only=True)
    informed_on = serializers.DateField(read_only=True)
    informed_by_id = serializers.UUIDField(read_only=True)


class ChildViewsSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    language = serializers.CharField(read_only=True)
    interpreter_present = serializers.BooleanField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class AgeAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    method = code(AgeAssessmentMethod.choices)
    result = code(AgeAssessmentResult.choices)
    assessed_on = serializers.DateField(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)


class ReconsiderationRequestRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    decision_id = serializers.UUIDField(read_only=True)
    by_person = serializers.BooleanField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    actor = serializers.CharField(
        source="actor.username", read_only=True, default=None, allow_null=True
    )
    organisation = serializers.CharField(
        source="organisation.name", read_only=True, default=None, allow_null=True
    )
    role = code(Role.choices, allow_blank=True)
    action = code(Event.choices)
    object_type = serializers.CharField(read_only=True)
    object_id = serializers.CharField(read_only=True)
    from_state = code(STATES, allow_blank=True)
    to_state = code(STATES, allow_blank=True)
    reason_code = serializers.CharField(read_only=True)


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    method = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    fields = serializers.ListField(child=serializers.DictField(), read_only=True)


# The protections (referral/services/protection.py)


class PersonRequestCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=PersonRequestKind.choices, label=_("The person asks for")
    )
    language = LanguageCodeField()
    interpreter_present = serializers.BooleanField(
        required=False, default=False, label=_("An interpreter was present")
    )
    text = serializers.CharField(
        max_length=5000,
        label=_("The request, in the person's words"),
        help_text=SEALED,
        style={"textarea": True},
    )


class PersonRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    kind = code(PersonRequestKind.choices)
    language = serializers.CharField(read_only=True)
    interpreter_present = serializers.BooleanField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class NonPunishmentCreateSerializer(StrictSerializer):
    notified_organisation_id = serializers.UUIDField(
        label=_("Prosecutor or police notified")
    )
    notified_on = serializers.DateField(label=_("Notified on"))


class NonPunishmentNoticeSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    notified_organisation = OrganisationRefSerializer(read_only=True)
    notified_on = serializers.DateField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class RiskAssessmentCreateSerializer(StrictSerializer):
    retrafficking_risk = serializers.ChoiceField(
        choices=RiskLevel.choices, label=_("Risk of re-trafficking")
    )
    return_risk = serializers.ChoiceField(
        choices=RiskLevel.choices, label=_("Risk on return")
    )
    reasons = serializers.CharField(
        max_length=20000,
        label=_("Reasons"),
        help_text=SEALED,
        style={"textarea": True},
    )


class RiskAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    retrafficking_risk = code(RiskLevel.choices)
    return_risk = code(RiskLevel.choices)
    assessed_at = serializers.DateTimeField(read_only=True)


class ReintegrationFollowUpSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(
        choices=[
            ("in_contact", _("In contact, reintegrating")),
            ("needs_support", _("In contact, needs support")),
            ("not_reached", _("Could not be reached")),
        ],
        label=_("Outcome"),
    )


class ResidencePermitCreateSerializer(StrictSerializer):
    status = serializers.ChoiceField(
        choices=ResidencePermitStatus.choices, label=_("Residence permit")
    )
    status_on = serializers.DateField(label=_("Date"))


class ResidencePermitSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    status = code(ResidencePermitStatus.choices)
    status_on = serializers.DateField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


# The transnational exchange (referral/services/transnational.py)


class HandoverAnswerSerializer(StrictSerializer):
    accept = serializers.BooleanField(
        label=_("Take the case on"),
        style={"choices": ((True, _("Accept")), (False, _("Decline")))},
    )
    reason_code = serializers.ChoiceField(
        choices=HandoverDeclineReason.choices,
        required=False,
        allow_blank=True,
        default="",
        label=_("Reason for declining"),
    )


class PartnerRefSerializer(serializers.Serializer):
    mechanism_id = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class HandoverSerializer(serializers.Serializer):
    """A hand-over sent or received, with what the other side acknowledged;
    never the package's content."""

    id = serializers.UUIDField(read_only=True)
    case_id = serializers.UUIDField(read_only=True)
    direction = code(HandoverDirection.choices)
    kind = code(HandoverKind.choices)
    partner = PartnerRefSerializer(read_only=True)
    package_id = serializers.UUIDField(read_only=True)
    made_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    partner_reference = serializers.CharField(
        read_only=True,
        help_text="The other side's case number (the sender's, or the receiver's "
        "from its acknowledgement).",
    )
    status = code(HandoverStatus.choices)
    status_at = serializers.DateTimeField(read_only=True)
    reason_code = serializers.CharField(read_only=True)


class DeliverySerializer(serializers.Serializer):
    """One queued message to a partner's inbox and its delivery attempts."""

    id = serializers.UUIDField(read_only=True)
    handover_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    last_error = serializers.CharField(read_only=True)
    next_attempt_at = moment()
    delivered_at = moment()


class InboxSerializer(StrictSerializer):
    package = serializers.CharField(
        max_length=1_000_000,
        trim_whitespace=True,
        help_text="A hand-over package or an acknowledgement: a JWE (compact).",
    )
