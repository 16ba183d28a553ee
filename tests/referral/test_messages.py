"""Refusals by code: every application error the code raises carries a stable
code and a text marked for translation where it is raised (`gettext_lazy`),
one text per code, translated in every configured language.

The raise sites are found in the source (every call of an error class of
`core.errors`), so a new refusal without a code or a translation fails here.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import gettext, override

ERRORS = {
    "ApplicationError",
    "InvalidInput",
    "Forbidden",
    "NotVisible",
    "Conflict",
    "DataErased",
}
APPS = ("config", "indicators", "nrm", "referral", "training")
# The statistics API's refusals are translated at their raise sites but share
# the generic `invalid` code (their detail names the field); their texts are
# checked for translations, not for codes of their own.
SHARED_CODE = ("referral/statistics/",)
ROOT = Path(settings.BASE_DIR)


@dataclass(frozen=True)
class Site:
    where: str
    error: str
    code: str | None
    texts: tuple[str, ...]  # the msgids, when the text is marked where raised
    marked: bool  # the text is a gettext_lazy call, or a lazy constant


def _lazy_msgids(node: ast.AST, module) -> tuple[tuple[str, ...], bool]:
    """The msgids of a message expression: `_("...")`, `_("...") % {...}`,
    `str(_("..."))`, or a module constant (or dict of them) of lazy texts."""
    if isinstance(node, ast.BinOp):  # _("... %(x)s") % {...}
        return _lazy_msgids(node.left, module)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "str" and node.args:
            return _lazy_msgids(node.args[0], module)
        if node.func.id == "_" and isinstance(node.args[0], ast.Constant):
            return (node.args[0].value,), True
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        value = getattr(module, node.id, None)
        values = value.values() if isinstance(value, dict) else [value]
        msgids = tuple(getattr(v, "_args", (None,))[0] for v in values)
        return msgids, all(isinstance(m, str) for m in msgids)
    return (), False


def raise_sites() -> list[Site]:
    sites = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = None
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ERRORS
                ):
                    continue
                if module is None:
                    module = importlib.import_module(
                        relative.removesuffix(".py").replace("/", ".")
                    )
                code = next(
                    (
                        k.value.value
                        for k in node.keywords
                        if k.arg == "code" and isinstance(k.value, ast.Constant)
                    ),
                    None,
                )
                if node.func.id == "NotVisible" and not node.args:
                    # The one 404: absent and invisible answer alike.
                    texts, marked, code = ("Not found.",), True, "not_found"
                elif node.args:
                    texts, marked = _lazy_msgids(node.args[0], module)
                else:
                    texts, marked = (), False
                where = f"{relative}:{node.lineno}"
                sites.append(Site(where, node.func.id, code, texts, marked))
    return sites


SITES = raise_sites()


def test_the_raise_sites_are_found():
    assert len(SITES) > 50
    assert {s.error for s in SITES} >= {"InvalidInput", "Forbidden", "Conflict"}


def test_every_refusal_names_its_code_and_marks_its_text_where_raised():
    unmarked = [s.where for s in SITES if not s.marked]
    assert not unmarked, f"mark these texts with gettext_lazy: {unmarked}"
    codeless = [
        s.where for s in SITES if s.code is None and not s.where.startswith(SHARED_CODE)
    ]
    assert not codeless, f"give these refusals a code of their own: {codeless}"


def test_a_code_has_one_text():
    texts: dict[str, set[str]] = {}
    for site in SITES:
        if site.code is not None and len(site.texts) == 1:
            texts.setdefault(site.code, set()).update(site.texts)
    shared = {code: sorted(t) for code, t in texts.items() if len(t) > 1}
    assert not shared, f"one code, several texts: {shared}"


@pytest.mark.parametrize(
    "language", [code for code, _name in settings.LANGUAGES if code != "en"]
)
def test_every_raised_text_is_translated_in_every_language(language):
    missing = set()
    with override(language):
        for site in SITES:
            for msgid in site.texts:
                if gettext(msgid) == msgid:
                    missing.add((site.code or "", msgid))
    assert not missing, f"no {language} translation for: {sorted(missing)}"
