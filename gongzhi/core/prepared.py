"""Prepared statements for the hot path: read one row by primary key, update named fields, insert one row.

Django compiles every query from scratch. For a wide model such as ``Case`` (about sixty columns) compiling
``Case.objects.get(pk=…)`` costs ten times what SQLite needs to run it, and the case engine runs a handful of these
per action. These helpers compile once per (model, shape, database alias) — with Django's own compiler, so the SQL,
the value preparation (``get_db_prep_save``, encrypted fields, JSON) and the result converters are exactly Django's —
and afterwards only bind parameters, execute and build the instance as ``Model.from_db`` would (directly, for models
with plain attributes and no init signal receivers). On SQLite the statements skip Django's per-execution rewrite of
``%s`` into ``?`` and its cursor wrappers (see ``_run``); values of the plain field types (text, integers, booleans,
floats, foreign keys to integer keys, aware datetimes, JSON on SQLite) are converted by shortcuts that give what the
field's ``get_db_prep_save`` gives (``_preparer``), everything else by the field itself.

They are deliberately narrow: no joins, no expressions, no signals (the models they are used on have no signal
receivers; ``cases/tests/test_prepared.py`` compares every helper with the ORM on SQLite and PostgreSQL). ``Query``
and ``Objects`` compile a whole queryset once (joins included) for reads made on every request with other ids.
Everywhere off the hot path, use the ORM.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from gongzhi.core.sqlite import base as sqlite_backend

_SENTINEL = 0
_selects: dict[tuple[Any, ...], tuple[str, list[str], dict[int, Any]]] = {}
_updates: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
_inserts: dict[tuple[Any, ...], tuple[str, list[Any], Any]] = {}
_qmark: dict[str, str] = {}  # statement in Django's %s style -> the same in sqlite3's ? style ("" = keep Django's)
_sqlite_execute = sqlite3.Cursor.execute
_plain: dict[type[Model], bool] = {}


def _run[T](connection: Any, sql: str, params: Sequence[Any], result: Callable[[Any], T], *, prepare: bool = True) -> T:
    """``result(cursor)`` after ``cursor.execute(sql, params)`` on a cursor of ``connection``.

    When nobody records or wraps queries (``assertNumQueries``, ``DEBUG``, ``execute_wrapper``), the statement skips
    Django's cursor wrapper, on one cursor kept per connection:

    - SQLite: it goes straight to sqlite3 in its own ``?`` style, converted once. Django's wrapper would rewrite the
      SQL text with a regular expression on every execution (for a sixty-column statement that costs more than
      SQLite running it), and making its wrapped cursor costs as much again.
    - PostgreSQL (with ``GONGZHI_DB_PREPARE``): it runs as a server-side prepared statement, parsed and planned once
      per connection. Django's cursors bind on the client and PostgreSQL plans every statement afresh; the six-table
      reads of a case or an Open311 request cost a few milliseconds to plan and a fraction of one to run.

    ``prepare=False`` keeps the kept cursor but plans the statement at every execution (see ``Query``).

    Errors are wrapped exactly as Django wraps them; a connection used from another thread is refused as Django
    refuses it."""
    if not connection.queries_logged and not connection.execute_wrappers:
        if connection.vendor == "sqlite":
            native = _qmark.get(sql)
            if native is None:
                native = _qmark[sql] = "" if "%%" in sql else sql.replace("%s", "?")
            if native:
                cursor = _kept_cursor(connection, sqlite3.Cursor)
                raw = cursor.connection
                with connection.wrap_database_errors:
                    if raw.in_transaction or native[0] == "S" or not isinstance(raw, sqlite_backend.Connection):
                        _sqlite_execute(cursor, native, params)
                    else:  # a write outside a transaction: in the connection's write turn
                        raw.execute_turn(cursor, _sqlite_execute, native, params)
                    return result(cursor)
        elif connection.vendor == "postgresql" and settings.GONGZHI_DB_PREPARE:
            cursor = _kept_cursor(connection, _psycopg_cursor())
            with connection.wrap_database_errors:
                cursor.execute(sql, params, prepare=prepare)
                return result(cursor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return result(cursor)


def _kept_cursor(connection: Any, kind: Any) -> Any:
    """The cursor of class ``kind`` kept on ``connection``'s current database connection (made on first use), after
    the checks Django makes before each statement — the health check too (``CONN_HEALTH_CHECKS``, once a request):
    a persistent connection PostgreSQL dropped (a restart) is replaced here, not used for one more failed request.
    (A transaction makes the check when it begins: Django's set_autocommit.)"""
    connection.close_if_health_check_failed()
    if connection.connection is None:
        connection.ensure_connection()
    if connection._thread_ident != threading.get_ident():
        connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    cursor = connection.__dict__.get("_prepared_cursor")
    if cursor is None or cursor.connection is not raw:
        cursor = connection.__dict__["_prepared_cursor"] = kind(raw)
    return cursor


def _psycopg_cursor() -> Any:
    """psycopg's server-side binding cursor (the only kind that can prepare statements; Django's binds on the
    client). It shares the connection's adapters, so values come back converted as Django's cursors give them."""
    import psycopg

    return psycopg.Cursor


def _one(cursor: Any) -> Any:
    """The first row or None, the statement read to its end (a kept sqlite3 cursor holds no statement open)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _all(cursor: Any) -> Any:
    return cursor.fetchall()


def _rowcount(cursor: Any) -> int:
    return int(cursor.rowcount)


# ---------------------------------------------------------------------------------------------- value conversion

_INTEGER_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
# Field classes (exactly these, not subclasses) whose get_db_prep_save returns a value of these types unchanged (and
# the integer fields, where the backend leaves integers alone).
_PASS_THROUGH: dict[type[Any], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.FloatField: (float,),
}


def _preparer(field: Any, connection: Any) -> Callable[[Any], Any]:
    """A function giving ``field.get_db_prep_save(value, connection)``: for the plain types of the plain field
    classes without going through Django's chain of methods, for anything else by calling it."""

    def generic(value: Any) -> Any:
        return field.get_db_prep_save(value, connection=connection)

    kind = type(field)
    # PostgreSQL's backend wraps integers in typed parameters (psycopg's Int4, Int8 …): only where the backend
    # passes them through unchanged are they passed through here.
    integers_as_they_are = (
        type(connection.ops).adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
    )
    types: tuple[type, ...] | None
    if kind is models.ForeignKey:
        types = (int,) if integers_as_they_are and type(field.target_field) in _INTEGER_FIELDS else None
    elif kind in _INTEGER_FIELDS:
        types = (int,) if integers_as_they_are else None
    else:
        types = _PASS_THROUGH.get(kind)
    if types is not None:

        def plain(value: Any) -> Any:
            return value if value is None or type(value) in types else generic(value)

        return plain
    if kind is models.DateTimeField:
        if connection.vendor == "postgresql":  # psycopg takes aware datetimes as they are

            def aware_pg(value: Any) -> Any:
                return value if type(value) is datetime and value.tzinfo is not None else generic(value)

            return aware_pg
        if connection.vendor == "sqlite":
            zone = connection.timezone  # Django stores naive text in the connection's zone (UTC)

            def aware_sqlite(value: Any) -> Any:
                if type(value) is datetime and value.tzinfo is not None:
                    return str(value.astimezone(zone).replace(tzinfo=None))
                return generic(value)

            return aware_sqlite
    if (
        kind is models.JSONField
        and connection.vendor == "sqlite"
        and type(connection.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
    ):
        encoder = field.encoder

        def json_sqlite(value: Any) -> Any:
            return json.dumps(value, cls=encoder) if type(value) in (dict, list) else generic(value)

        return json_sqlite
    return generic


def _getter(field: Any, add: bool) -> Callable[[Model], Any]:
    """``field.pre_save(obj, add)``: the attribute itself unless the field stamps or changes it on save."""
    pre_save = type(field).pre_save
    if pre_save is models.Field.pre_save or (
        pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save)
        and not field.auto_now
        and not (add and field.auto_now_add)
    ):
        attname = field.attname

        def attribute(obj: Model) -> Any:
            return getattr(obj, attname)

        return attribute

    def stamped(obj: Model) -> Any:
        return field.pre_save(obj, add)

    return stamped


def _values(obj: Model, spec: Sequence[tuple[Callable[[Model], Any], Callable[[Any], Any]]]) -> list[Any]:
    return [prep(get(obj)) for get, prep in spec]


def _sqlite_datetime_converter() -> Any:
    # Imported when first needed: importing the SQLite backend's operations module before its base is circular.
    from django.db.backends.sqlite3.base import DatabaseOperations

    return DatabaseOperations.convert_datetimefield_value


def _fast_converter(function: Any, connection: Any) -> Any:
    """SQLite's datetime converter without its generic path: the naive datetime sqlite3 parsed for a ``datetime``
    column (or ISO text) becomes an aware one in the connection's zone, as ``convert_datetimefield_value`` gives."""
    if connection.vendor != "sqlite" or getattr(function, "__func__", None) is not _sqlite_datetime_converter():
        return function
    zone = connection.timezone

    def convert(value: Any, expression: Any, conn: Any) -> Any:
        kind = type(value)
        if kind is datetime:
            return value.replace(tzinfo=zone) if value.tzinfo is None else value
        if kind is str:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return function(value, expression, conn)
            return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
        return function(value, expression, conn)

    return convert


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
        connection = connections[alias]
        converters = {
            position: ([_fast_converter(f, connection) for f in functions], expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        }
        prepared = (sql, names, converters)
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
    row = _run(connection, sql, [pk], _one)
    if for_update and connection.vendor == "sqlite" and getattr(connection.connection, "begin_put_off", False):
        # Read before its transaction's BEGIN (core.transactions.optimistic): read again right after it, and the
        # transaction goes on only if the row is still the same.
        native = _qmark.get(sql)
        if native:
            connection.connection.guard(native, [pk], [row] if row is not None else [])
        else:  # read through Django's cursor (queries are being recorded): lock first, then read
            connection.connection.begin_now()
            row = _run(connection, sql, [pk], _one)
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
        spec = [(_getter(f, False), _preparer(f, connection)) for f in field_objects]
        prepared = (sql, spec)
        _updates[key] = prepared
    sql, spec = prepared
    params = _values(obj, spec)
    params.append(obj.pk)
    return _run(connection, sql, params, _rowcount)


def insert[M: Model](obj: M) -> M:
    """``obj.save()`` of a new row with an auto primary key (defaults and ``auto_now_add`` applied by the fields)."""
    model = type(obj)
    alias = router.db_for_write(model) or "default"
    sql, spec, new_pk = _insert(model, alias)
    obj.pk = _run(connections[alias], sql, _values(obj, spec), new_pk)
    obj._state.adding = False
    obj._state.db = alias
    return obj


def insert_unless_taken[M: Model](obj: M) -> M | None:
    """``insert``, except that a row another row's unique value stands in the way of is not written and None comes
    back (``INSERT … ON CONFLICT DO NOTHING``): no error, so no savepoint is needed to carry on in the transaction
    (PostgreSQL aborts a transaction at the first error). Other errors (NOT NULL, foreign keys) still raise."""
    model = type(obj)
    alias = router.db_for_write(model) or "default"
    sql, spec, new_pk = _insert(model, alias, skip_conflicts=True)
    pk = _run(connections[alias], sql, _values(obj, spec), new_pk)
    if pk is None:
        return None
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias
    return obj


def insert_values(model: type[Model], **values: Any) -> Any:
    """Insert one row given as attribute values (``case_id=…``, not ``case=…``) without building an instance, for
    append-only rows nobody reads back (timeline events); returns the new primary key. Every field without a value
    takes its default, as a new instance would; ``auto_now``/``auto_now_add`` fields are stamped. Unknown names are
    refused."""
    alias = router.db_for_write(model) or "default"
    sql, spec, new_pk = _insert(model, alias)
    row = _Row(model, values)
    return _run(connections[alias], sql, _values(row, spec), new_pk)  # type: ignore[arg-type]


class _Row:
    """Attribute access over a dict of values, with each missing field's default (what ``_getter`` reads)."""

    def __init__(self, model: type[Model], values: dict[str, Any]) -> None:
        known = _attnames(model)
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
        self._model = model
        self._values = values

    def __getattr__(self, attname: str) -> Any:
        try:
            return self._values[attname]
        except KeyError:
            field = _field_by_attname(self._model, attname)
            value = self._values[attname] = field.get_default()
            return value

    def __setattr__(self, name: str, value: Any) -> None:  # pre_save of auto_now fields stamps the instance
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self._values[name] = value


_attnames_cache: dict[type[Model], frozenset[str]] = {}


def _attnames(model: type[Model]) -> frozenset[str]:
    names = _attnames_cache.get(model)
    if names is None:
        names = _attnames_cache[model] = frozenset(f.attname for f in model._meta.concrete_fields)
    return names


def _field_by_attname(model: type[Model], attname: str) -> Any:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise AttributeError(attname)


def _insert(model: type[Model], alias: str, *, skip_conflicts: bool = False) -> tuple[str, list[Any], Any]:
    """The compiled INSERT of ``model`` on ``alias``: SQL, how to read each value, how to get the new key (None when
    ``skip_conflicts`` skipped the row)."""
    key = (model, alias, skip_conflicts)
    prepared = _inserts.get(key)
    meta = model._meta
    connection = connections[alias]
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
        if skip_conflicts:
            if not connection.features.can_return_columns_from_insert:  # pragma: no cover
                raise ValueError("skipping conflicts needs INSERT … RETURNING (SQLite ≥ 3.35, PostgreSQL)")
            sql += " ON CONFLICT DO NOTHING"
        new_pk: Any
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {qn(meta.pk.column)}"  # type: ignore[union-attr]

            def new_pk(cursor: Any) -> Any:
                row = _one(cursor)
                return None if row is None else row[0]
        else:  # pragma: no cover - backends without RETURNING (not SQLite ≥ 3.35 or PostgreSQL)

            def new_pk(cursor: Any) -> Any:
                return connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)  # type: ignore[union-attr]

        prepared = (sql, [(_getter(f, True), _preparer(f, connection)) for f in field_objects], new_pk)
        _inserts[key] = prepared
    return prepared


def fetch(sql: str, params: Sequence[Any], *, using: str = "default", prepare: bool = True) -> list[tuple[Any, ...]]:
    """``cursor.execute(sql, params); cursor.fetchall()`` for a hand-written read on the hot path (``%s``
    placeholders, values always as parameters), without Django's per-execution wrapping on SQLite (see ``_run``).
    No converters: the caller reads the raw column values. Meant for a few fixed statement texts (each distinct
    text is converted once and kept). ``prepare=False``: planned at every run on PostgreSQL (see ``Query``)."""
    return [tuple(row) for row in _run(connections[using], sql, params, _all, prepare=prepare)]


class Query:
    """A read compiled once from a queryset whose parameters are ids, short strings or instants, then run with other
    values.

    ``build`` takes one value per parameter and returns a queryset (``values_list`` or ``values``); it is compiled
    once per database with sentinels in those places (integers, or strings or aware datetimes where ``kinds`` says
    ``str`` or ``datetime``), and each call binds its arguments where the sentinels were. ``__call__`` returns the
    rows as tuples, ``dicts`` as dicts keyed like ``values()``; both with Django's converters applied. Lists of
    variable length cannot be parameters.

    ``plan_each_time``: PostgreSQL plans the statement at every execution instead of preparing it once. For a
    statement whose best plan depends on the table's size: a prepared statement settles on one generic plan after its
    first five executions and keeps it until the table's statistics change — a look-up of five ids planned while
    ``cases_case`` was nearly empty stays a sequential scan while thousands of rows arrive in one import transaction
    (1.6 ms at 4,000 rows, growing with every row; 0.02 ms planned afresh).
    """

    _SENTINEL_BASE = -7_340_000_001

    def __init__(self, build: Any, *, kinds: Sequence[type] = (), plan_each_time: bool = False) -> None:
        self.build = build
        self.kinds = tuple(kinds)
        self.plan_each_time = plan_each_time
        self._compiled: dict[str, tuple[str, list[Any], list[list[int]], list[str], dict[int, Any]]] = {}

    def _sentinel(self, i: int) -> Any:
        kind = self.kinds[i] if i < len(self.kinds) else int
        if kind is datetime:
            # An instant no record holds (1901-01-01, i microseconds after midnight UTC).
            return datetime(1901, 1, 1, 0, 0, 0, i, tzinfo=UTC)
        return f"\x00prepared-sentinel-{i}\x00" if kind is str else self._SENTINEL_BASE - i

    def _bound(self, i: int, value: Any, alias: str) -> Any:
        """An argument as the compiled statement carries it: a datetime adapted as Django adapts a DateTimeField's
        value for this database (SQLite: text in UTC); any other value as it is."""
        if i < len(self.kinds) and self.kinds[i] is datetime:
            return connections[alias].ops.adapt_datetimefield_value(value)
        return value

    def _compiler(self, alias: str, nargs: int) -> tuple[Any, Any, str, list[Any], list[list[int]]]:
        """The queryset with sentinels for the arguments, its compiler, its SQL and parameters, and where in the
        parameters each argument goes."""
        sentinels = [self._sentinel(i) for i in range(nargs)]
        queryset = self.build(*sentinels).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for n, sentinel in enumerate(sentinels):
            sentinel = self._bound(n, sentinel, alias)
            positions = [i for i, value in enumerate(params) if type(value) is type(sentinel) and value == sentinel]
            if not positions:  # pragma: no cover - a parameter the query folded away
                raise ValueError("every argument of a prepared query must appear as a parameter")
            slots.append(positions)
        return queryset, compiler, sql, params, slots

    def _compile(self, alias: str, nargs: int) -> tuple[str, list[Any], list[list[int]], list[str], dict[int, Any]]:
        _queryset, compiler, sql, params, slots = self._compiler(alias, nargs)
        query = compiler.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        columns = [col for col, _sql, _alias in compiler.select]
        return sql, params, slots, names, compiler.get_converters(columns)

    def __call__(self, *args: Any, using: str = "default") -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using, len(args))
        sql, params, slots, _names, converters = compiled
        bound = list(params)
        for n, (value, positions) in enumerate(zip(args, slots, strict=True)):
            value = self._bound(n, value, using)
            for position in positions:
                bound[position] = value
        connection = connections[using]
        rows = _run(connection, sql, bound, _all, prepare=not self.plan_each_time)
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


class Objects(Query):
    """A queryset of model instances compiled once like ``Query`` — ``select_related`` and ``defer`` included —
    then run with other values; ``objects`` builds the instances the way the ORM's iteration does (``from_db`` for
    the model, Django's related populators for the joined ones, so related objects are cached and deferred fields
    stay deferred). For a read that every request makes with a new id, such as a user's posts: compiling a queryset
    with joins costs many times what running it does."""

    def __init__(self, build: Any, *, kinds: Sequence[type] = (), plan_each_time: bool = False) -> None:
        super().__init__(build, kinds=kinds, plan_each_time=plan_each_time)
        self._builders: dict[str, tuple[Any, bool, int, int, list[str], list[Any]]] = {}

    def _compile(self, alias: str, nargs: int) -> tuple[str, list[Any], list[list[int]], list[str], dict[int, Any]]:
        from django.db.models.query import _get_from_db, get_related_populators

        queryset, compiler, sql, params, slots = self._compiler(alias, nargs)
        select, klass_info = compiler.select, compiler.klass_info
        if klass_info is None or compiler.annotation_col_map:
            raise ValueError("Objects is for querysets of model instances without annotations")
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        fetch_mode = queryset._fetch_mode
        self._builders[alias] = (
            _get_from_db(klass_info["model"], fetch_mode),
            fetch_mode.track_peers,
            start,
            end,
            init_list,
            get_related_populators(klass_info, select, alias, fetch_mode),
        )
        converters = compiler.get_converters([col for col, _sql, _alias in select])
        return sql, params, slots, [], converters

    def objects(self, *args: Any, using: str = "default") -> list[Model]:
        rows = self(*args, using=using)
        from_db, track_peers, start, end, init_list, populators = self._builders[using]
        built: list[Model] = []
        peers: list[Any] = []
        for row in rows:
            obj = from_db(using, init_list, row[start:end])
            if track_peers:  # Django's FETCH_PEERS mode: a deferred field is fetched for all the rows at once
                peers.append(weakref.ref(obj))
                obj._state.peers = peers
            for populator in populators:
                populator.populate(row, obj)
            built.append(obj)
        return built


def refresh_statistics(*tables: str, using: str = "default") -> None:
    """ANALYZE on PostgreSQL (the given tables, else all): a long bulk write — an import, the demo's simulated months
    — tells the planner how big the tables it writes have grown, every few thousand rows.

    Autovacuum cannot do it for such a writer: it sees committed rows only. And statistics taken while a table held
    nothing but dead rows (after a large delete, or in a test database after rolled-back tests) say the table is
    empty whatever it holds later — a density of 0 rows a page — so every estimate is one row and a lookup by id runs
    as nested loops over whole tables: a market booking took over a minute that way in CI, and a 50,000-row import
    turned quadratic. ANALYZE counts the rows of the writer's own transaction; its lock (SHARE UPDATE EXCLUSIVE,
    held to the end of the transaction) blocks only other ANALYZE and VACUUM runs of those tables. SQLite keeps no
    such statistics unless asked: nothing to do."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    names = [connection.ops.quote_name(t) for t in tables]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(names) if names else "ANALYZE")
