"""The services' and the policy's refusal messages, marked for translation.

The services raise `ApplicationError`s with English messages (the API's
contract); the pages show them in the reader's language by looking each
message up in the catalogue (`views.common.message_of`). Listing them here
puts them in referral/locale/*/django.po; a message missing from this list is
shown in English.
"""

from django.utils.translation import gettext_noop

MESSAGES = [
    gettext_noop("Not found."),
    gettext_noop("Your role does not allow this on this case."),
    gettext_noop("Your role does not allow this."),
    gettext_noop("You act for several organisations: name one."),
    gettext_noop("Not a valid organisation id."),
    gettext_noop("Your role does not allow answering this referral."),
    gettext_noop("Only the sending organisation may do this."),
    gettext_noop(
        "Only a decision maker of the competent authority that accepted the "
        "identification referral may decide."
    ),
    gettext_noop("This step is not possible in the current state."),
    gettext_noop("The case is not open."),
    gettext_noop("A guardian must be appointed for this child first."),
    gettext_noop(
        "No consent in force for sharing this person's data with that "
        "organisation for that purpose."
    ),
    gettext_noop("A guardian consents for the children appointed to them."),
    gettext_noop("A child's consent is given by the appointed guardian."),
    gettext_noop("Unknown or inactive organisation."),
    gettext_noop("That organisation does not offer this service."),
    gettext_noop("Identification referrals go to a competent authority."),
    gettext_noop("A referral for this purpose to this organisation is already open."),
    gettext_noop(
        "Children are referred to child protection; no anonymous notification."
    ),
    gettext_noop("Record the person's refusal of consent first."),
    gettext_noop("The recovery and reflection period is still running."),
    gettext_noop("There is no negative decision to reconsider."),
    gettext_noop("The reconsideration window has closed."),
    gettext_noop("A best-interests assessment is needed before a child's transfer."),
    gettext_noop(
        "A best-interests assessment is needed before closing a child's case."
    ),
    gettext_noop("This step is for children only."),
    gettext_noop("Unknown indicator catalogue."),
    gettext_noop("Unknown indicator codes."),
    gettext_noop("Unknown organisation."),
    gettext_noop("This consent is not in force."),
    gettext_noop("A transnational referral is made by transferring the case."),
    gettext_noop("The referral's answer is not yet due."),
    gettext_noop("No identification pathway is configured."),
    gettext_noop("No transnational pathway is configured."),
    gettext_noop("A decision needs written reasons."),
    gettext_noop("Unknown decision kind."),
    gettext_noop("Unknown guardian."),
    gettext_noop("That user is not a guardian."),
    gettext_noop("Only the registering organisation may erase."),
    gettext_noop("Unknown transition."),
]
