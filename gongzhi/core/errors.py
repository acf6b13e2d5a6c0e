"""Domain errors raised by services and turned into clear 4xx answers by the interfaces.

Services raise these instead of Django's HTTP exceptions so that the same rule gives the same message in a view,
an API response, a CLI command and a test.

Messages are written in English and translated when they are read: ``DomainError("… %(name)s …", params={...})``
keeps the template (marked for ``makemessages`` with ``gettext_noop``) and the values; ``exc.message`` is the text in
the active language (the person's, in a request), ``str(exc)`` the English text for logs. A value that is itself a
word to translate (a status, a level, a field) is passed as a ``Term``. No Django import here, so the pure modules
(``cases.transitions``) raise translated errors too: ``core.apps`` installs Django's ``gettext`` at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def gettext_noop(message: str) -> str:
    """Marks a message for ``makemessages`` (it looks for this name); translated later, when it is shown."""
    return message


class Term(str):
    """A message parameter that is a word of the interface (a status, a level …): translated with the message."""

    __slots__ = ()


_translate: Callable[[str], str] = str


def set_translator(translate: Callable[[str], str]) -> None:
    """Called once at start-up with Django's ``gettext`` (the identity until then: English)."""
    global _translate
    _translate = translate


def _render(template: str, params: Mapping[str, object], translate: Callable[[str], str]) -> str:
    text = translate(template)
    if not params:
        return text
    return text % {key: translate(value) if isinstance(value, Term) else value for key, value in params.items()}


class DomainError(Exception):
    """A use case cannot go ahead; ``message`` is safe to show to the user, in the active language."""

    code = "invalid"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, params: Mapping[str, object] | None = None) -> None:
        self.template = message
        self.params = dict(params or {})
        super().__init__(_render(message, self.params, str))
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return _render(self.template, self.params, _translate)


def checked_text(value: str | None, field: str, *, required: bool = False, max_length: int = 200) -> str:
    """A text a person typed, stripped; DomainError naming ``field`` (a ``Term``) when it is required and empty or
    longer than ``max_length``. What every domain's services check of a name, a title, a reason."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(gettext_noop("The %(field)s is required."), params={"field": Term(field)}, code="required")
    if len(value) > max_length:
        raise DomainError(
            gettext_noop("The %(field)s is longer than %(max)s characters."),
            params={"field": Term(field), "max": max_length},
        )
    return value


class NotFound(DomainError):
    """Does not exist, or is outside the viewer's scope: the two are deliberately indistinguishable."""

    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    """The state changed under the caller (e.g. a pooled case another steward accepted first)."""

    code = "conflict"
    http_status = 409


class RowError:
    """One problem with one cell of an imported file: enough for a person to find and fix it.

    ``reason`` is written like a DomainError's message: English, marked with ``gettext_noop``, with ``%(name)s``
    parameters in ``params``; ``message`` is the text in the active language (the reader's), ``str()`` the English
    (logs, the command line). ``as_dict``/``from_dict`` keep both for a stored report, translated when it is read.
    """

    __slots__ = ("column", "file", "params", "reason", "row")

    def __init__(
        self,
        *,
        file: str,
        row: int | None,
        column: str | None,
        reason: str,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason
        self.params = dict(params or {})

    @property
    def english(self) -> str:
        return _render(self.reason, self.params, str)

    @property
    def message(self) -> str:
        """The reason in the active language."""
        return _render(self.reason, self.params, _translate)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        return f"{where}: {self.english}"

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"file": self.file, "row": self.row, "column": self.column, "reason": self.reason}
        if self.params:
            # Terms are stored as {"term": word} so that they are translated again when the report is read.
            out["params"] = {k: {"term": str(v)} if isinstance(v, Term) else v for k, v in self.params.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RowError:
        raw = data.get("params") or {}
        params = {
            k: Term(v["term"]) if isinstance(v, Mapping) and "term" in v else v
            for k, v in (raw.items() if isinstance(raw, Mapping) else [])
        }
        row = data.get("row")
        return cls(
            file=str(data.get("file") or ""),
            row=row if isinstance(row, int) else None,
            column=str(data["column"]) if data.get("column") else None,
            reason=str(data.get("reason") or ""),
            params=params,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RowError) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.file, self.row, self.column, self.english))

    def __repr__(self) -> str:
        return f"RowError({self})"


class ImportRejected(DomainError):
    """An import found problems; nothing was written. ``errors`` lists every problem found."""

    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        head = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} problem(s), nothing imported: {head}{more}")
