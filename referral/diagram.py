"""The state diagrams, generated from the `@transition` declarations (the
models are the only definition of the graph), and the table of the steps a
user takes, generated from their declarations (`referral.steps`)."""

from __future__ import annotations

from django_fsm import RETURN_VALUE

from referral.models import Case, CaseState, CloseReason, Referral
from referral.steps import REFERRAL_STEPS, STEPS
from referral.workflow import CLOSE_REASONS_BY_STATE


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


def _guard_names(step) -> str:
    names = [getattr(guard, "__name__", "?") for guard in step.guards]
    return ", ".join(f"`{name}`" for name in names) or "none"


def steps_table() -> str:
    """One row per declared step: what it fires, who may take it, what it
    checks and records."""
    lines = [
        "| step | on | fires | capability | access rule | guards | audit event |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for step in [*STEPS.values(), *REFERRAL_STEPS.values()]:
        fires = ", ".join(f"`{name}`" for name in step.fires) or "none"
        lines.append(
            f"| `{step.name}` | {step.subject} | {fires} | `{step.capability}` "
            f"| {step.rule} | {_guard_names(step)} | `{step.event}` |"
        )
    return "\n".join(lines)


def close_table() -> str:
    """Which reasons close a case in which state, from the one table
    (`referral.workflow.CLOSE_REASONS_BY_STATE`)."""
    reasons = CloseReason.values
    lines = [
        "| state | " + " | ".join(f"`{r}`" for r in reasons) + " |",
        "| --- |" + " --- |" * len(reasons),
    ]
    for state in CaseState.values:
        if state == CaseState.CLOSED:
            continue
        allowed = CLOSE_REASONS_BY_STATE.get(state, frozenset())
        marks = " | ".join("yes" if r in allowed else "" for r in reasons)
        lines.append(f"| {state} | {marks} |")
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
        "## Steps",
        "",
        "The steps a user takes, from their `@step` declarations on the",
        "services (`referral/services/`): on a case, each is",
        "`POST /api/v1/cases/{case_id}/transitions/{step}/` and has a page; on",
        "a referral, `POST /api/v1/referrals/{referral_id}/{step}/`.",
        "",
        steps_table(),
        "",
        "## Closing",
        "",
        "The reasons that close a case in each state, from",
        "`CLOSE_REASONS_BY_STATE` in `referral/workflow.py`; any other is",
        "refused (409 `close_reason_unfit`), and a case in `assessment` is",
        "the competent authority's until it decides (409",
        "`authority_holds_case`). A close for return needs more",
        "([protections.md](protections.md)).",
        "",
        close_table(),
        "",
    ]
    return "\n".join(parts)
