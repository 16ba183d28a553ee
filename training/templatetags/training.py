"""The interview card: a persona's scripted answers on the screening page
of a training mechanism (as the actor's card in a live exercise)."""

from __future__ import annotations

from django import template

from core.training import is_training

register = template.Library()


@register.simple_tag
def persona_answers(case, language: str) -> dict:
    """{indicator code: the persona's answer} for an exercise persona's
    case, in the page's language if the pack has it; {} otherwise."""
    if not is_training() or case is None:
        return {}
    from training import packs
    from training.models import ExercisePersona

    persona = (
        ExercisePersona.objects.filter(case_id=case.pk)
        .select_related("exercise")
        .first()
    )
    if persona is None:
        return {}
    try:
        pack = packs.load(packs.find(persona.exercise.pack_id))
    except (packs.PackError, OSError):
        return {}
    spec = pack.persona(persona.key)
    languages = pack.data["languages"]
    chosen = language if language in languages else languages[0]
    answers = {code: texts.get(chosen, "") for code, texts in spec["answers"].items()}
    return {"persona": persona.key, "story": spec.get("story", ""), "answers": answers}


@register.filter
def answer_for(card: dict, code: str) -> str:
    return (card or {}).get("answers", {}).get(code, "")
