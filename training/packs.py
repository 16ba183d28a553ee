"""Scenario packs: YAML files checked against `pack.schema.json`, then
against the mechanism (indicator codes, persona and agency keys, inject
kinds). Every problem names the line of the file it is on.

The shipped packs are in `training/packs/`; `TRAINING_PACK_DIRS` adds
folders. `manage.py validate_pack FILE` checks one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.conf import settings

from indicators import catalogue as catalogues
from training import injects

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "pack.schema.json"
SHIPPED = HERE / "packs"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class PackError(Exception):
    """A pack that cannot be used; `problems` name the line of each."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = sorted(problems, key=lambda p: (p.line, p.message))
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


@dataclass(frozen=True)
class Pack:
    path: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def title(self) -> str:
        return self.data["title"]

    def persona(self, key: str) -> dict[str, Any]:
        return next(p for p in self.data["personas"] if p["key"] == key)

    def agency(self, key: str) -> dict[str, Any]:
        return next(a for a in self.data["agencies"] if a["key"] == key)


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


class _Lines:
    """The line (1-based) of each node of a YAML document, by its path."""

    def __init__(self, node: yaml.Node):
        self.root = node

    def of(self, path) -> int:
        node, line_node = self.root, self.root
        for part in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        # A named entry is on its key's line.
                        child, line_node = value, key
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                child = line_node = node.value[part]
            if child is None:
                break
            node = child
        return line_node.start_mark.line + 1


def _where(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(
        "."
    )


def load(path: str | Path) -> Pack:
    """Read and check a pack; PackError names each problem's line."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        known = ", ".join(sorted(available()))
        raise PackError(name, [Problem(0, f"no such pack (shipped: {known})")])
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise PackError(
            name, [Problem(line, f"not valid YAML: {error.problem}")]
        ) from None
    if node is None or not isinstance(data, dict):
        raise PackError(name, [Problem(1, "a pack is a mapping (id, title, ...)")])
    lines = _Lines(node)
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.FormatChecker()
    )
    problems = [
        Problem(
            lines.of(error.absolute_path),
            f"{_where(error.absolute_path) or 'the pack'}: {error.message}",
        )
        for error in validator.iter_errors(data)
    ]
    if problems:
        raise PackError(name, problems)
    problems = list(_check_meaning(data, lines))
    if problems:
        raise PackError(name, problems)
    return Pack(path=name, data=data)


def _check_meaning(data: dict, lines: _Lines):
    """What the schema cannot say: keys are unique and exist, codes are in
    their catalogue, injects are of a known kind with what it needs."""
    agencies = {}
    for i, agency in enumerate(data["agencies"]):
        if agency["key"] in agencies:
            yield Problem(
                lines.of(["agencies", i, "key"]),
                f"agency key {agency['key']!r} is used twice",
            )
        agencies[agency["key"]] = agency
    personas = {}
    languages = set(data["languages"])
    for i, persona in enumerate(data["personas"]):
        at = ["personas", i]
        if persona["key"] in personas:
            yield Problem(
                lines.of([*at, "key"]), f"persona key {persona['key']!r} is used twice"
            )
        personas[persona["key"]] = persona
        try:
            found = catalogues.get(persona["catalogue"])
        except LookupError:
            yield Problem(
                lines.of([*at, "catalogue"]),
                f"unknown indicator catalogue {persona['catalogue']!r}",
            )
            continue
        for code, texts in persona["answers"].items():
            if code not in found.by_code:
                yield Problem(
                    lines.of([*at, "answers", code]),
                    f"{code!r} is not a question of {found.id}",
                )
            missing = languages - set(texts)
            if missing:
                yield Problem(
                    lines.of([*at, "answers", code]),
                    f"the answer to {code!r} lacks the pack's language(s) {', '.join(sorted(missing))}",
                )
        for j, code in enumerate(persona["expected"]["indicators"]):
            if code not in found.by_code:
                yield Problem(
                    lines.of([*at, "expected", "indicators", j]),
                    f"{code!r} is not an indicator of {found.id}",
                )
        for j, key in enumerate(persona["expected"].get("referrals", [])):
            if key not in agencies:
                yield Problem(
                    lines.of([*at, "expected", "referrals", j]),
                    f"no agency {key!r} in this pack",
                )
    keys = set()
    for i, inject in enumerate(data["injects"]):
        at = ["injects", i]
        if inject["key"] in keys:
            yield Problem(
                lines.of([*at, "key"]), f"inject key {inject['key']!r} is used twice"
            )
        keys.add(inject["key"])
        kind = injects.KINDS.get(inject["kind"])
        if kind is None:
            yield Problem(
                lines.of([*at, "kind"]),
                f"unknown inject kind {inject['kind']!r} (known: {', '.join(sorted(injects.KINDS))})",
            )
            continue
        for field in kind.needs:
            if field not in inject:
                yield Problem(lines.of(at), f"a {kind.name!r} inject needs {field!r}")
        extra = set(inject) - {"key", "day", "at", "kind", "note", *kind.needs}
        for field in sorted(extra):
            yield Problem(
                lines.of([*at, field]), f"a {kind.name!r} inject takes no {field!r}"
            )
        if "agency" in inject and inject["agency"] not in agencies:
            yield Problem(
                lines.of([*at, "agency"]),
                f"no agency {inject['agency']!r} in this pack",
            )
        named = inject.get("personas", []) + (
            [inject["persona"]] if "persona" in inject else []
        )
        for key in named:
            if key not in personas:
                yield Problem(lines.of([*at]), f"no persona {key!r} in this pack")


def pack_dirs() -> list[Path]:
    return [SHIPPED, *(Path(d) for d in getattr(settings, "TRAINING_PACK_DIRS", []))]


def available() -> dict[str, Path]:
    """The packs the trainer may start, by file stem."""
    found = {}
    for folder in pack_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found[path.stem] = path
    return found


def find(name: str) -> Path:
    """A pack by its name (file stem) or path."""
    known = available()
    if name in known:
        return known[name]
    return Path(name)
