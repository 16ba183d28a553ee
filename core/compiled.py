"""Querysets compiled once and run many times with new values.

Building a queryset's SQL (the compiler's select list, its joins, its
`select_related` columns) costs more in Python than running the query costs
in PostgreSQL, for the few small reads every step makes (the user's
memberships, the case with its access answers). `CompiledQuery` builds the
SQL of a queryset once per shape, with placeholder values, remembers where
each placeholder went among the parameters, and afterwards only executes:
the same SQL, the new values, and the ORM's own converters and related-object
population, so the instances are what the queryset would have given.

It serves querysets of model instances only (no `values()`, no prefetch).
A placeholder that does not reach the parameters (the ORM inlined or
transformed it) fails loudly when the shape is first compiled.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError


def _placeholder(value: Any) -> Any:
    """A value of the same type that no real parameter will ever equal."""
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, bool):
        raise TypeError("a boolean changes the query's shape: make it part of the key")
    if isinstance(value, int):
        return secrets.randbits(62) | (1 << 61)
    if isinstance(value, str):
        return f"placeholder-{secrets.token_hex(16)}"
    raise TypeError(f"no placeholder for a {type(value).__name__} value")


def _same(value: Any) -> Any:
    return value


def _prepared_as(placeholder: Any, param: Any) -> Callable[[Any], Any] | None:
    """How the ORM turned the placeholder into this parameter (as it is, or a
    UUID as hex on databases without a UUID type), or None if it is not it."""
    if param == placeholder:
        return _same
    if isinstance(placeholder, uuid.UUID) and param == placeholder.hex:
        return _uuid_hex
    return None


def _uuid_hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


class _Shape:
    """One compiled shape: the SQL, where each value goes in its parameters,
    and what the ORM needs to turn a row into instances."""

    def __init__(self, queryset: QuerySet, placeholders: Sequence[Any]) -> None:
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
        ):
            raise ValueError("only querysets of model instances can be compiled")
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        # (parameter position, value index, how the ORM prepared the value)
        self.slots: list[tuple[int, int, Callable[[Any], Any]]] = []
        for position, param in enumerate(params):
            for index, placeholder in enumerate(placeholders):
                prepare = _prepared_as(placeholder, param)
                if prepare is not None:
                    self.slots.append((position, index, prepare))
                    break
        found = {index for _, index, _ in self.slots}
        missing = [i for i in range(len(placeholders)) if i not in found]
        if missing:
            raise ValueError(
                f"values {missing} did not reach the query's parameters; "
                "they cannot be substituted"
            )
        self.compiler = compiler
        # The ORM refuses a locking read outside a transaction when it builds
        # the SQL; this shape is built once, so it refuses on every run.
        self.locks = bool(queryset.query.select_for_update)
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.model_slice = slice(start, end)
        self.init_list = [f[0].target.attname for f in compiler.select[start:end]]
        self.related = get_related_populators(klass_info, compiler.select, self.db)
        self.annotations = dict(compiler.annotation_col_map or {})

    def run(self, values: Sequence[Any]) -> list[Model]:
        connection = connections[self.db]
        if self.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(self.params)
        for position, index, prepare in self.slots:
            params[position] = prepare(values[index])
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in self.compiler.results_iter([rows]):
            obj = self.model.from_db(self.db, self.init_list, row[self.model_slice])
            for populator in self.related:
                populator.populate(row, obj)
            for name, column in self.annotations.items():
                setattr(obj, name, row[column])
            found.append(obj)
        return found


class CompiledQuery:
    """`build(key, *values)` returns the queryset for the values; `key`
    names everything else that changes its shape (how many values, which
    flags), and is part of the cache key.

        CASE = CompiledQuery(lambda lock, pk: Case.objects.filter(pk=pk)[:1])
        CASE.run(False, case_id)
    """

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._shapes: dict[Hashable, _Shape] = {}
        self._lock = threading.Lock()

    def run(self, key: Hashable, *values: Any, using: str = "default") -> list[Model]:
        shape = self._shapes.get((using, key))
        if shape is None:
            with self._lock:
                shape = self._shapes.get((using, key))
                if shape is None:
                    placeholders = [_placeholder(v) for v in values]
                    queryset = self.build(key, *placeholders).using(using)
                    shape = _Shape(queryset, placeholders)
                    self._shapes[(using, key)] = shape
        return shape.run(values)
