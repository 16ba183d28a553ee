from pathlib import Path

from django.conf import settings

from referral.diagram import document


def test_the_committed_diagram_is_current():
    path = Path(settings.BASE_DIR) / "docs" / "workflow.md"
    assert path.exists(), "run: python manage.py workflow_diagram"
    assert path.read_text(encoding="utf-8") == document(), (
        "docs/workflow.md is stale: run python manage.py workflow_diagram"
    )


def test_every_state_appears_in_the_diagram():
    from referral.models import CaseState

    text = document()
    for state in CaseState.values:
        assert state in text
