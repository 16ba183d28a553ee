"""What every published figure counts, and the disclosure rule applied.

Every statistics response carries these texts ("definitions", "rule"), so a
reader of an exported file knows what it counts without this code.

Counting rules
    The unit is a case: one person's journey through the mechanism, counted
    where it was registered (a person registered twice counts twice).
    "Ever reached" measures read the case's milestone dates, not its current
    state, so a case that moved on (recognised, closed, transferred) still
    counts at every milestone it reached. Each measure counts a case once, in
    the calendar month (the mechanism's time zone) of its milestone:

    registered       registration date (`registered_at`)
    screened         first screening (`first_screened_at`)
    referred         first identification referral sent (`referred_at`)
    presumed_victim  a positive reasonable-grounds decision, or a positive
                     reconsideration of a negative one (`recovery_ends_on`
                     is set by these and nothing else), at `rg_decided_at`;
                     still counted when later recognised or negatively
                     concluded: Eurostat counts identified and presumed victims
    recognised       a positive conclusive-grounds decision, or a positive
                     reconsideration of a negative one, at `cg_decided_at`
    not_identified   the case's first negative reasonable- or
                     conclusive-grounds decision, at its date; still counted
                     when later reversed on reconsideration
    transferred      handed to another country's mechanism (`transferred_at`)

    Referrals declined: referrals of any purpose declined, in the month of the
    answer, by the reason given.
    Deadline compliance: answers to referrals (accepted or declined), against
    the referral's answer deadline; reasonable-grounds decisions, against the
    decision deadline set when the identification referral was sent (the
    profile's working days); in the month of the answer or decision; a share
    is published only where both of its counts are.
    Durations, in whole days: registration to the first identification
    referral (cases referred in the period); that referral to the positive
    reasonable-grounds decision (presumed victims of the period); that
    referral to the positive conclusive-grounds decision (recognised
    victims of the period); median and 90th percentile (linear
    interpolation); published only where the count they describe (the
    overview's cell, or the age group's for children and adults) is
    published and holds at least twice the threshold.

Breakdowns, from the coarse clear columns: sex; age group at registration
(children 0-11, 12-14, 15-17 and unknown age presumed a child; adults 18-24,
25-34, 35-49, 50+; unknown); citizenship (ISO 3166 code, published on its
own when at least four times the threshold were registered in the calendar
year, otherwise grouped as "other"; stateless and unknown apart); form of
exploitation (the single recorded form, "several forms", or unknown);
reception stage; kind and region of the registering organisation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nrm.choices import AgeGroup, ExploitationForm, OrganisationKind, Sex
from referral.models import DeadlineKind, DeclineReason, ReceptionStage

CITIZENSHIP_FACTOR = 4
"""A citizenship is published on its own when at least this many times the
threshold were registered in the calendar year."""

MEASURE_LABELS = {
    "registered": _("Registered"),
    "screened": _("Screened"),
    "referred": _("Referred for identification"),
    "presumed_victim": _("Presumed victims"),
    "recognised": _("Recognised victims"),
    "not_identified": _("Not identified"),
    "transferred": _("Transferred abroad"),
}

DEFINITIONS = {
    "unit": _(
        "A case: one person's journey through the mechanism, counted where it "
        "was registered. Each measure counts a case once, in the calendar month "
        "of its milestone (the mechanism's time zone), whatever its state now."
    ),
    "registered": _("Cases registered."),
    "screened": _("Cases screened for the first time."),
    "referred": _("Cases whose first identification referral was sent."),
    "presumed_victim": _(
        "Cases with a positive reasonable-grounds decision (or a positive "
        "reconsideration of a negative one), at its date; still counted when "
        "later recognised or not identified."
    ),
    "recognised": _(
        "Cases with a positive conclusive-grounds decision (or a positive "
        "reconsideration of a negative one), at its date."
    ),
    "not_identified": _(
        "Cases whose first negative reasonable- or conclusive-grounds decision "
        "was taken; still counted when later reversed on reconsideration."
    ),
    "transferred": _("Cases handed to another country's mechanism."),
    "referrals_declined": _(
        "Referrals of any purpose declined, in the month of the answer, by the "
        "reason given."
    ),
    "deadline_compliance": _(
        "Answers to referrals against the referral's answer deadline, and "
        "reasonable-grounds decisions against the decision deadline set when the "
        "identification referral was sent; on time when given by the deadline. "
        "The share on time is published only where both counts are."
    ),
    "durations": _(
        "Whole days from registration to the first identification referral, and "
        "from that referral to the positive reasonable-grounds and to the "
        "positive conclusive-grounds decision, for the cases reaching the later "
        "step in the period. Median and 90th percentile, published only where "
        "the count they describe is published and holds at least twice the "
        "threshold."
    ),
    "citizenship": _(
        "A citizenship is shown on its own when at least four times the "
        "threshold were registered in the calendar year; others are grouped as "
        "'other'. Stateless and unknown are shown apart."
    ),
    "exploitation_form": _(
        "The single form of exploitation recorded; cases with several forms are "
        "counted once, under 'several forms'."
    ),
    "age_group": _("Age group at registration."),
    "organisation_kind": _("The kind of the organisation that registered the case."),
    "region": _("The region of the organisation that registered the case."),
}


def rule_text(threshold: int) -> str:
    return str(
        _(
            "Counts from 1 to %(below)s are suppressed (primary suppression); "
            "further cells are suppressed (secondary suppression) until, for "
            "every suppressed cell, linear programming over everything published "
            "for the calendar year (every release, table, breakdown, period and "
            "scope, national and each organisation's, and the case-level export) "
            "leaves an interval of at least %(threshold)s whole numbers. Zeros "
            "are published. Each month is published once, when it has ended, and "
            "never changes. Durations are published only where their count is "
            "published and holds at least twice the threshold; a share only "
            "where both of its counts are published."
        )
        % {"below": threshold - 1, "threshold": threshold}
    )


BREAKDOWN_LABELS = {
    "sex": _("Sex"),
    "age_group": _("Age group"),
    "citizenship": _("Citizenship"),
    "exploitation_form": _("Form of exploitation"),
    "reception_stage": _("Reception stage"),
    "organisation_kind": _("Registering organisation"),
    "region": _("Region"),
}

CATEGORY_LABELS = {
    "total": _("Total"),
    "sex": dict(Sex.choices),
    "age_group": {
        **dict(AgeGroup.choices),
        "child": _("Children"),
        "adult": _("Adults"),
        "unknown": _("Age unknown"),
    },
    "citizenship": {
        "other": _("Other citizenships"),
        "stateless": _("Stateless"),
        "unknown": _("Unknown"),
    },
    "exploitation_form": {
        **dict(ExploitationForm.choices),
        "multiple": _("Several forms"),
    },
    "reception_stage": dict(ReceptionStage.choices),
    "organisation_kind": dict(OrganisationKind.choices),
    "region": {},
    "decline_reason": dict(DeclineReason.choices),
    "deadline_kind": {
        DeadlineKind.REFERRAL_ANSWER: _("Answers to referrals"),
        DeadlineKind.RG_DECISION: _("Reasonable-grounds decisions"),
    },
    "interval": {
        "registration_to_referral": _("Registration to referral"),
        "referral_to_presumed_victim": _(
            "Referral to positive reasonable-grounds decision"
        ),
        "referral_to_recognised": _("Referral to positive conclusive-grounds decision"),
    },
}

TABLE_TITLES = {
    "overview": _("People at each step, by month"),
    "by-sex": _("By sex"),
    "by-age-group": _("By age group"),
    "by-citizenship": _("By citizenship"),
    "by-exploitation-form": _("By form of exploitation"),
    "by-reception-stage": _("By reception stage"),
    "by-organisation-kind": _("By registering organisation"),
    "by-region": _("By region"),
    "durations": _("Durations in days"),
    "deadline-compliance": _("Deadline compliance"),
    "referrals-declined": _("Referrals declined, by reason"),
}


def label(kind: str, code: str) -> str:
    if code == "total":
        return str(CATEGORY_LABELS["total"])
    labels = CATEGORY_LABELS.get(kind, {})
    value = labels.get(code) if isinstance(labels, dict) else None
    return str(value) if value is not None else code
