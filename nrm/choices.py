"""Code lists shared by the mechanism's directory and the cases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    RECEPTION_CENTRE = "reception_centre", _("Reception centre")
    POLICE_BORDER = "police_border", _("Police / border authority")
    SOCIAL_SERVICES = "social_services", _("Social services")
    NGO = "ngo", _("Non-governmental organisation")
    CHILD_PROTECTION = "child_protection", _("Child-protection authority")
    GUARDIANSHIP = "guardianship", _("Guardianship authority")
    COMPETENT_AUTHORITY = "competent_authority", _("Competent identification authority")
    HEALTH = "health", _("Health service")
    LEGAL_AID = "legal_aid", _("Legal aid")
    INTERNATIONAL = "international", _("International organisation")
    FOREIGN_NRM = "foreign_nrm", _("Foreign NRM contact point")
    NRM_COORDINATOR = "nrm_coordinator", _("NRM co-ordinator")
    NATIONAL_RAPPORTEUR = "national_rapporteur", _("National rapporteur")


class ServiceKind(models.TextChoices):
    """What a referral asks for: its purpose."""

    IDENTIFICATION = "identification", _("Identification")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    INTERPRETATION = "interpretation", _("Interpretation")
    TRANSNATIONAL = "transnational", _("Transnational referral")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class AgeGroup(models.TextChoices):
    """Coarse age at registration; the statistics' finest band."""

    CHILD_0_11 = "0-11", _("0-11")
    CHILD_12_14 = "12-14", _("12-14")
    CHILD_15_17 = "15-17", _("15-17")
    ADULT_18_24 = "18-24", _("18-24")
    ADULT_25_34 = "25-34", _("25-34")
    ADULT_35_49 = "35-49", _("35-49")
    ADULT_50_PLUS = "50+", _("50+")
    UNKNOWN_PRESUMED_CHILD = "unknown_child", _("Unknown (presumed child)")
    UNKNOWN = "unknown", _("Unknown")


CHILD_AGE_GROUPS = frozenset(
    {
        AgeGroup.CHILD_0_11,
        AgeGroup.CHILD_12_14,
        AgeGroup.CHILD_15_17,
        AgeGroup.UNKNOWN_PRESUMED_CHILD,
    }
)


class ExploitationForm(models.TextChoices):
    SEXUAL = "sexual", _("Sexual exploitation")
    LABOUR = "labour", _("Forced labour")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    CRIMINALITY = "criminality", _("Forced criminality")
    BEGGING = "begging", _("Forced begging")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    ILLEGAL_ADOPTION = "illegal_adoption", _("Illegal adoption")
    SURROGACY = "surrogacy", _("Exploitation of surrogacy")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class PersonGroup(models.TextChoices):
    ANY = "any", _("Anyone")
    ADULT = "adult", _("Adults")
    CHILD = "child", _("Children")
