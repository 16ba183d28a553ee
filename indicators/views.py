"""The questionnaire page: a catalogue's indicators for a screening interview,
grouped by dimension in interview order, in the officer's language.

Posting the ticked indicators shows the assessment on the same page and
stores nothing (the screening itself is recorded by the case workflow)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from indicators import assessment
from indicators import catalogue as catalogues

STRENGTH_LABELS = {
    "strong": pgettext_lazy("indicator strength", "strong"),
    "medium": pgettext_lazy("indicator strength", "medium"),
    "weak": pgettext_lazy("indicator strength", "weak"),
}
OUTCOME_TEXTS = {
    "presumed": _("Presumed: the combination rule is met. Refer for identification."),
    "possible": _(
        "Possible: a dimension is positive or a strong indicator is present. "
        "Refer for identification."
    ),
    "none": _(
        "None: no dimension is positive and no strong indicator is present. "
        "The person can be screened again at any stage."
    ),
}


def _base_template() -> str:
    """The site's page shell when there is one, else this app's own."""
    try:
        get_template("base.html")
    except TemplateDoesNotExist:
        return "indicators/standalone_base.html"
    return "base.html"


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire(request, catalogue_id: str):
    try:
        catalogue = catalogues.get(catalogue_id)
    except catalogues.UnknownCatalogue:
        raise Http404("No indicator catalogue with this id.") from None
    language = catalogue.language(
        request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None)
    )

    result = None
    unknown_codes: tuple[str, ...] = ()
    ticked: set[str] = set()
    if request.method == "POST":
        codes = request.POST.getlist("codes")
        ticked = set(codes)
        try:
            result = assessment.assess(catalogue.id, codes)
        except assessment.UnknownIndicators as exc:
            unknown_codes = exc.codes

    groups = [
        {
            "id": dimension.id,
            "label": dimension.label[language],
            "positive": bool(result and dimension.id in result.positive_dimensions),
            "indicators": [
                {
                    "code": indicator.code,
                    "label": indicator.label[language],
                    "prompt": indicator.prompt[language],
                    "strength": indicator.strength,
                    "strength_label": STRENGTH_LABELS[indicator.strength],
                    "checked": indicator.code in ticked,
                }
                for indicator in indicators
            ],
        }
        for dimension, indicators in catalogue.grouped()
    ]
    context = {
        "base_template": _base_template(),
        "catalogue": catalogue,
        "page_language": language,
        "title": catalogue.title[language],
        "machine_translation": catalogue.is_machine_translated(language),
        "catalogue_languages": catalogue.languages,
        "groups": groups,
        "result": result,
        "outcome_text": OUTCOME_TEXTS[result.outcome] if result else "",
        "positive_labels": [g["label"] for g in groups if g["positive"]],
        "unknown_codes": unknown_codes,
    }
    with translation.override(language):
        response = render(request, "indicators/questionnaire.html", context)
    response["Content-Language"] = language
    return response
