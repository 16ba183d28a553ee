"""The state diagrams, generated from the `@transition` declarations: the
models are the only definition of the graph."""

from __future__ import annotations

from django_fsm import RETURN_VALUE

from referral.models import Case, Referral


def _edges(model) -> list[tuple[str, str, str]]:
    field = model._meta.get_field("state")
    edges = set()
    for transition in field.get_all_transitions(model):
        targets = (
            transition.target.allowed_states
            if isinstance(transition.target, RETURN_VALUE)
            else [transition.target]
        )
        for target in targets:
            if target is None:
                continue
            edges.add((str(transition.source), str(target), transition.name))
    return sorted(edges)


def mermaid(model) -> str:
    field = model._meta.get_field("state")
    lines = ["stateDiagram-v2", f"    [*] --> {field.default}"]
    grouped: dict[tuple[str, str], list[str]] = {}
    for source, target, name in _edges(model):
        if source == target:
            continue
        grouped.setdefault((source, target), []).append(name)
    for (source, target), names in sorted(grouped.items()):
        lines.append(f"    {source} --> {target}: {', '.join(sorted(names))}")
    return "\n".join(lines)


def document() -> str:
    parts = [
        "# Workflow state machines",
        "",
        "Generated from the `@transition` declarations in `referral/models/case.py`",
        "by `python manage.py workflow_diagram`; a test fails when this file is",
        "stale. Self-loops (screening in any open state, a negative",
        "reconsideration) are omitted.",
        "",
        "## Case",
        "",
        "```mermaid",
        mermaid(Case),
        "```",
        "",
        "## Referral",
        "",
        "```mermaid",
        mermaid(Referral),
        "```",
        "",
    ]
    return "\n".join(parts)
