"""Scenario packs: the shipped ones are valid; an invalid one is refused
with the line and the reason of each problem."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from training import injects, packs

GOOD = packs.SHIPPED / "reception-mixed-arrival.yaml"


@pytest.mark.parametrize("name", ["reception-mixed-arrival", "transit-child"])
def test_the_shipped_packs_are_valid(name, capsys):
    call_command("validate_pack", name)
    assert re.search(r"valid\. [34] agencies", capsys.readouterr().out)


def _broken(tmp_path, old: str, new: str):
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    return path, line


def test_a_schema_error_names_its_line(tmp_path):
    path, line = _broken(tmp_path, "kind: reception_centre", "kind: harbour")
    with pytest.raises(packs.PackError) as refused:
        packs.load(path)
    (problem,) = refused.value.problems
    assert problem.line == line
    assert "agencies[0].kind: 'harbour' is not one of" in problem.message


def test_an_unknown_indicator_names_its_line(tmp_path):
    path, line = _broken(tmp_path, "      al.dr.wages:", "      al.dr.salary:")
    with pytest.raises(packs.PackError) as refused:
        packs.load(path)
    (problem,) = refused.value.problems
    assert (problem.line, problem.message) == (
        line,
        "'al.dr.salary' is not a question of ilo-2009-adult-labour",
    )


def test_an_unknown_inject_kind_and_persona_are_named(tmp_path):
    path, line = _broken(tmp_path, "kind: person_missing", "kind: earthquake")
    with pytest.raises(packs.PackError) as refused:
        packs.load(path)
    assert [p.line for p in refused.value.problems] == [line]
    assert "unknown inject kind 'earthquake'" in refused.value.problems[0].message


def test_broken_yaml_names_its_line_and_the_command_refuses(tmp_path):
    path, line = _broken(tmp_path, "languages: [en, ru]", "languages: [en, ru]]")
    with pytest.raises(CommandError) as refused:
        call_command("validate_pack", str(path))
    assert "The pack is refused" in str(refused.value)
    assert "not valid YAML" in str(refused.value)
    assert f"line {line}:" in str(refused.value)


def test_a_missing_language_of_an_answer_is_named(tmp_path):
    path, line = _broken(
        tmp_path,
        '        ru: "Говорили, шестьсот',
        '        el: "Говорили, шестьсот',
    )
    with pytest.raises(packs.PackError) as refused:
        packs.load(path)
    assert refused.value.problems[0].line == line - 2
    assert "lacks the pack's language(s) ru" in refused.value.problems[0].message


def test_every_shipped_inject_kind_is_playable():
    assert {
        "arrival",
        "person_missing",
        "referral_declined",
        "handover_received",
        "age_contested",
    } == {k.name for k in injects.KINDS.values() if k.fire}
    # The contact point receiving a hand-over is the inject's agency.
    assert injects.KINDS["handover_received"].needs == ("agency", "persona")


def test_a_missing_pack_is_refused_by_name(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("validate_pack", str(tmp_path / "nothing.yaml"))
    assert "no such pack (shipped: reception-mixed-arrival, transit-child)" in str(
        refused.value
    )
