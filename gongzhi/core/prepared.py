"""Prepared statements for the hot path: read one row by primary key, update named fields, insert one row.

Django compiles every query from scratch. For a wide model such as ``Case`` (about sixty columns) compiling
``Case.objects.get(pk=…)`` costs ten times what SQLite needs to run it, and the case engine runs a handful of these
per action. These helpers compile once per (model, shape, database alias) — with Django's own compiler, so the SQL,
the value preparation (``get_db_prep_save``, encrypted fields, JSON) and the result converters are exactly Django's —
and afterwards only bind parameters, execute and build the instance as ``Model.from_db`` would (directly, for models
with plain attributes and no init signal receivers). On SQLite the statements skip Django's per-execution rewrite of
``%s`` into ``?`` (see ``_run``).

They are deliberately narrow: no joins, no expressions, no signals (the models they are used on have no signal
receivers; ``core/tests/test_prepared.py`` compares every helper with the ORM on SQLite and PostgreSQL). Everywhere
off the hot path, use the ORM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

_SENTINEL = 0
_selects: dict[tuple[Any, ...], tuple[str, list[str], dict[int, Any]]] = {}
_updates: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
_inserts: dict[tuple[Any, ...], tuple[str, list[Any], bool]] = {}
_qmark: dict[str, str] = {}  # statement in Django's %s style -> the same in sqlite3's ? style ("" = keep Django's)
_sqlite_execute = sqlite3.Cursor.execute
_plain: dict[type[Model], bool] = {}


def _run(connection: Any, cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """``cursor.execute(sql, params)``. On SQLite, when nobody records or wraps queries (``assertNumQueries``,
    ``DEBUG``, ``execute_wrapper``), the statement goes straight to sqlite3 in its own ``?`` style, converted once:
    Django's cursor wrapper would rewrite the SQL text with a regular expression on every execution, which for a
    sixty-column statement costs more than SQLite running it. Errors are wrapped exactly as Django wraps them."""
    if connection.vendor == "sqlite" and not connection.queries_logged and not connection.execute_wrappers:
        native = _qmark.get(sql)
        if native is None:
            native = _qmark[sql] = "" if "%%" in sql else sql.replace("%s", "?")
        if native:
            connection.validate_no_broken_transaction()
            with connection.wrap_database_errors:
                _sqlite_execute(cursor.cursor, native, params)
            return
    cursor.execute(sql, params)


def _select(model: type[Model], alias: str, for_update: bool, only: tuple[str, ...]) -> tuple[str, list[str], Any]:
    key = (model, alias, for_update, only)
    prepared = _selects.get(key)
    if prepared is None:
        qs = model._base_manager.using(alias).filter(pk=_SENTINEL)
        if only:
            qs = qs.only(*only)
        if for_update:
            qs = qs.select_for_update()
        compiler = qs.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params) != [_SENTINEL]:  # pragma: no cover - a model whose pk lookup compiles differently
            raise ValueError(f"cannot prepare a primary-key lookup for {model.__name__}")
        columns = [col for col, _sql, _alias in compiler.select]
        names = [col.target.attname for col in columns]
        prepared = (sql, names, compiler.get_converters(columns))
        _selects[key] = prepared
    return prepared


def get[M: Model](
    model: type[M], pk: Any, *, for_update: bool = False, only: Sequence[str] = (), using: str | None = None
) -> M | None:
    """``model.objects.get(pk=pk)`` (``select_for_update()`` with ``for_update``; deferred fields but ``only``),
    or None when there is no such row. ``for_update`` must run inside a transaction, as with the ORM."""
    alias = using or (router.db_for_write(model) if for_update else router.db_for_read(model)) or "default"
    connection = connections[alias]
    sql, names, converters = _select(model, alias, for_update, tuple(only))
    with connection.cursor() as cursor:
        _run(connection, cursor, sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return _build(model, alias, names, converters, row)


def _build[M: Model](model: type[M], alias: str, names: list[str], converters: dict[int, Any], row: Sequence[Any]) -> M:
    if converters:
        connection = connections[alias]
        values = list(row)
        for position, (functions, expression) in converters.items():
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        row = values
    if not _plain_attributes(model) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(alias, names, row)
    # What Model.from_db and Model.__init__ do for a row of concrete attributes when no init signal listens, without
    # the generic argument handling: the attributes, and the state of an instance loaded from ``alias``.
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, row, strict=True))
    state = obj._state = ModelState()
    state.adding = False
    state.db = alias
    return obj


def _plain_attributes(model: type[Model]) -> bool:
    """Whether every concrete field keeps its value as a plain instance attribute (no descriptor that does more on
    assignment, such as a file field's)."""
    plain = _plain.get(model)
    if plain is None:
        plain = _plain[model] = all(
            type(getattr(model, f.attname, None)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for f in model._meta.concrete_fields
        )
    return plain


def returning_columns(model: type[Model], using: str = "default") -> str:
    """The quoted column list for ``RETURNING`` in hand-written statements whose rows go to ``from_returned``."""
    qn = connections[using].ops.quote_name
    _sql, names, _converters = _select(model, using, False, ())
    meta = model._meta
    return ", ".join(qn(meta.get_field(name).column) for name in (_field_name(model, n) for n in names))


def _field_name(model: type[Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise LookupError(attname)  # pragma: no cover


def from_returned[M: Model](model: type[M], row: Sequence[Any], using: str = "default") -> M:
    """An instance built from a row of ``RETURNING {returning_columns(model)}``, with Django's converters applied."""
    _sql, names, converters = _select(model, using, False, ())
    return _build(model, using, names, converters, row)


def _value_sql(field: Any) -> None:
    if getattr(field, "get_placeholder_sql", None) is not None:  # pragma: no cover - e.g. binary or geo fields
        raise ValueError(f"{field} needs a custom placeholder; use the ORM")


def update(obj: Model, fields: Iterable[str]) -> int:
    """``obj.save(update_fields=fields)`` for concrete, non-primary-key fields (``auto_now`` fields get stamped).

    Returns the number of rows updated (0 when the row is gone)."""
    model = type(obj)
    alias = obj._state.db or router.db_for_write(model) or "default"
    connection = connections[alias]
    names = tuple(dict.fromkeys(fields))
    key = (model, alias, names)
    prepared = _updates.get(key)
    if prepared is None:
        meta = model._meta
        field_objects = [meta.get_field(name) for name in names]
        for field in field_objects:
            if not field.concrete or field.primary_key:  # type: ignore[union-attr]
                raise ValueError(f"{model.__name__}.{field.name} cannot be updated this way")
            _value_sql(field)
        qn = connection.ops.quote_name
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in field_objects)  # type: ignore[union-attr]
        # Identifiers come from the model's metadata and are quoted; values are always parameters.
        sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608  # type: ignore[union-attr]
        prepared = (sql, field_objects)
        _updates[key] = prepared
    sql, field_objects = prepared
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection=connection) for f in field_objects]
    params.append(obj.pk)
    with connection.cursor() as cursor:
        _run(connection, cursor, sql, params)
        return int(cursor.rowcount)


def insert[M: Model](obj: M) -> M:
    """``obj.save()`` of a new row with an auto primary key (defaults and ``auto_now_add`` applied by the fields)."""
    model = type(obj)
    alias = router.db_for_write(model) or "default"
    connection = connections[alias]
    key = (model, alias)
    prepared = _inserts.get(key)
    meta = model._meta
    if prepared is None:
        field_objects = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        if meta.auto_field is None or meta.parents:  # pragma: no cover - not used for such models
            raise ValueError(f"{model.__name__} is not a plain model with an auto primary key")
        for field in field_objects:
            _value_sql(field)
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in field_objects)
        placeholders = ", ".join("%s" for _ in field_objects)
        sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - quoted identifiers
        returning = bool(connection.features.can_return_columns_from_insert)
        if returning:
            sql += f" RETURNING {qn(meta.pk.column)}"  # type: ignore[union-attr]
        prepared = (sql, field_objects, returning)
        _inserts[key] = prepared
    sql, field_objects, returning = prepared
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in field_objects]
    with connection.cursor() as cursor:
        _run(connection, cursor, sql, params)
        pk = cursor.fetchone()[0] if returning else connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)  # type: ignore[union-attr]
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias
    return obj


class Query:
    """A read compiled once from a queryset whose parameters are ids or short strings, then run with other values.

    ``build`` takes one value per parameter and returns a queryset (``values_list`` or ``values``); it is compiled
    once per database with sentinels in those places (integers, or strings where ``kinds`` says ``str``), and each
    call binds its arguments where the sentinels were. ``__call__`` returns the rows as tuples, ``dicts`` as dicts
    keyed like ``values()``; both with Django's converters applied. Lists of variable length cannot be parameters.
    """

    _SENTINEL_BASE = -7_340_000_001

    def __init__(self, build: Any, *, kinds: Sequence[type] = ()) -> None:
        self.build = build
        self.kinds = tuple(kinds)
        self._compiled: dict[str, tuple[str, list[Any], list[list[int]], list[str], dict[int, Any]]] = {}

    def _sentinel(self, i: int) -> Any:
        kind = self.kinds[i] if i < len(self.kinds) else int
        return f"\x00prepared-sentinel-{i}\x00" if kind is str else self._SENTINEL_BASE - i

    def _compile(self, alias: str, nargs: int) -> tuple[str, list[Any], list[list[int]], list[str], dict[int, Any]]:
        sentinels = [self._sentinel(i) for i in range(nargs)]
        query = self.build(*sentinels).using(alias).query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for sentinel in sentinels:
            positions = [i for i, value in enumerate(params) if type(value) is type(sentinel) and value == sentinel]
            if not positions:  # pragma: no cover - a parameter the query folded away
                raise ValueError("every argument of a prepared query must appear as a parameter")
            slots.append(positions)
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        columns = [col for col, _sql, _alias in compiler.select]
        return sql, params, slots, names, compiler.get_converters(columns)

    def __call__(self, *args: Any, using: str = "default") -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using, len(args))
        sql, params, slots, _names, converters = compiled
        bound = list(params)
        for value, positions in zip(args, slots, strict=True):
            for position in positions:
                bound[position] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            _run(connection, cursor, sql, bound)
            rows = cursor.fetchall()
        if not converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for position, (functions, expression) in converters.items():
                value = values[position]
                for function in functions:
                    value = function(value, expression, connection)
                values[position] = value
            converted.append(tuple(values))
        return converted

    def dicts(self, *args: Any, using: str = "default") -> list[dict[str, Any]]:
        """The rows of a ``values()`` queryset as dicts, as the ORM returns them."""
        rows = self(*args, using=using)
        names = self._compiled[using][3]
        return [dict(zip(names, row, strict=True)) for row in rows]
