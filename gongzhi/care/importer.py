"""A community's household ledger (户籍台账) in bulk: every row checked, then all written or none.

The interface reads the file (``console.care_io``: Excel, its headings, the job's progress) and hands over one
``LedgerRow`` per person; rows with the same ledger number (户编号) form one household at one building. ``check``
finds every problem — each a ``Problem`` naming the row and the field — against the file itself and the registry:
ID numbers (checksum and date of birth, ``idcard.parse``), the same ID number twice in the file or already in the
registry, a household spread over two buildings, an unknown building or one outside the importer's care.manage
scope, an unknown relation, care level or care group, a level without its reason, more than one head, a bad phone.

``write`` then writes what ``check`` accepted with bulk inserts in batches (households, residents with their encrypted
fields and blind indexes computed here, moves in, level changes, care-group memberships through the many-to-many's own
table) — the same rows ``services.add_resident`` writes one by one, without its queries per row. A household already
in the registry (same ledger number) gets the new members added. A new household's contact phone is its head's phone
(else the first member's with one). Both steps report progress as they go.

All or nothing, two ways. On PostgreSQL the write is ONE transaction: it holds no lock another writer needs (new rows
only), so nobody waits for it. On SQLite one transaction would hold the database's only write lock for the whole write
(a minute for 100,000 rows) and every resident's report would wait for it, then fail: there each batch
(``SQLITE_BATCH`` residents, about a tenth of a second) commits on its own, with a pause after each for the writers
waiting their turn, and if any later batch fails every row the earlier batches wrote is deleted again before
the error is raised (``_Written``). The check before it is unchanged, so a bad row still writes nothing. What this
gives up on SQLite: while it runs, others see the import's households appear batch by batch; and a process killed
outright (SIGKILL, power cut) in the middle leaves the batches committed so far — the residents already written are
then reported by a second run of the same file as "already in the registry".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import translation

from gongzhi.care import idcard, policies, schedule
from gongzhi.care.choices import Level, MoveAction, Relation
from gongzhi.care.models import CareGroup, Household, LevelChange, Move, Resident
from gongzhi.care.services import checked_phone, intervals, name_key
from gongzhi.core import batches, calendar_days, crypto, timeutil
from gongzhi.core.errors import DomainError, PermissionDenied, RowError, gettext_noop
from gongzhi.grid.models import Building, Jurisdiction

BATCH = 2000
# SQLite: residents a batch commits (each batch holds the one write lock about a tenth of a second; the pause after
# it is core.batches').
SQLITE_BATCH = 200
LOOKUP_CHUNK = 1000
PROGRESS_EVERY = 1000
# Separators between the care groups of one cell (not "/": a default group is called 低保/特困).
GROUP_SEPARATORS = ("、", ",", "，", ";", "；")

# Problems (English, marked for translation: a report is shown in its reader's language).
REQUIRED = gettext_noop("required")
TOO_LONG = gettext_noop("longer than %(n)s characters")
NO_BUILDING = gettext_noop("no building with code %(code)s")
OUT_OF_SCOPE = gettext_noop("building %(code)s is outside the area whose registry you keep")
TWO_BUILDINGS = gettext_noop(
    "household %(household)s is in building %(first)s on row %(row)s: one household, one building"
)
REGISTERED_ELSEWHERE = gettext_noop("household %(household)s is registered in another building")
ID_TWICE = gettext_noop("the same ID number is on rows %(first)s and %(second)s")
ID_REGISTERED = gettext_noop("this ID number is already in the registry")
BAD_RELATION = gettext_noop("unknown relation “%(value)s” (write 户主, 配偶, 子女, 父母, 孙子女 or 其他)")
BAD_LEVEL = gettext_noop("unknown care level “%(value)s” (write 红, 黄 or 绿)")
BAD_GROUP = gettext_noop("unknown care group “%(value)s”")
LEVEL_WITHOUT_REASON = gettext_noop("a care level needs its reason")
REASON_WITHOUT_LEVEL = gettext_noop("a reason without a care level")
TWO_HEADS = gettext_noop("household %(household)s has more than one head (rows %(rows)s)")
HAS_HEAD = gettext_noop("household %(household)s already has a head in the registry")
BAD_PHONE = gettext_noop("not a phone number (7 to 12 digits)")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LedgerRow:
    """One person as the ledger gives them: text as typed (words or codes for relation, level and groups)."""

    line: int
    ledger: str = ""
    building: str = ""
    room: str = ""
    address: str = ""
    name: str = ""
    id_number: str = ""
    relation: str = ""
    phone: str = ""
    groups: str = ""
    level: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of one row; ``field`` is a ``LedgerRow`` field (None: the whole file)."""

    line: int | None
    field: str | None
    reason: str
    params: dict[str, object]

    def row_error(self, file: str, columns: dict[str, str] | None = None) -> RowError:
        column = (columns or {}).get(self.field, self.field) if self.field else None
        return RowError(file=file, row=self.line, column=column, reason=self.reason, params=self.params)


@dataclass
class _Person:
    line: int
    name: str
    name_index: str
    id_number: str
    id_index: str
    phone: str
    phone_index: str
    born: date
    sex: str
    relation: str
    level: str
    reason: str
    groups: tuple[int, ...]


@dataclass
class _Household:
    code: str
    building: Building
    room: str
    address: str
    existing: Household | None = None
    people: list[_Person] = field(default_factory=list)


@dataclass
class Checked:
    """What ``check`` accepted: the households (new or existing) with their new members, ready for ``write``."""

    jurisdiction: Jurisdiction
    households: list[_Household]
    rows: int

    @property
    def residents(self) -> int:
        return sum(len(h.people) for h in self.households)


@dataclass(frozen=True)
class Imported:
    households_created: int
    households_extended: int
    residents: int
    in_care: int
    memberships: int

    def as_dict(self) -> dict[str, int]:
        return {
            "households_created": self.households_created,
            "households_extended": self.households_extended,
            "residents": self.residents,
            "in_care": self.in_care,
            "memberships": self.memberships,
        }


def _words(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    """Codes, labels in Chinese and English, and ``extra`` words, lower-cased, to the code."""
    words: dict[str, str] = {}
    for value, label in choices.choices:
        words[value.lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                words[str(label).lower()] = value
    words.update({k.lower(): v for k, v in extra.items()})
    return words


RELATION_WORDS = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子女": Relation.GRANDCHILD,
    "其他": Relation.OTHER,
}
LEVEL_WORDS = {
    "红": Level.RED,
    "红色": Level.RED,
    "黄": Level.YELLOW,
    "黄色": Level.YELLOW,
    "绿": Level.GREEN,
    "绿色": Level.GREEN,
}


def split_groups(text: str) -> list[str]:
    for separator in GROUP_SEPARATORS[1:]:
        text = text.replace(separator, GROUP_SEPARATORS[0])
    return [part.strip() for part in text.split(GROUP_SEPARATORS[0]) if part.strip()]


class LedgerCheck:
    """Checks ledger rows for one importer in one jurisdiction; ``problems`` collects what is wrong."""

    def __init__(self, *, jurisdiction: Jurisdiction, actor: Any, today: date | None = None) -> None:
        self.jurisdiction = jurisdiction
        self.actor = actor
        self.today = today or timeutil.local_today()
        self.problems: list[Problem] = []
        self.relations = _words(Relation, RELATION_WORDS)
        self.levels = _words(Level, LEVEL_WORDS)
        self.groups: dict[str, int] = {}
        for group in CareGroup.objects.filter(jurisdiction=jurisdiction, active=True):
            self.groups[group.code.lower()] = group.pk
            self.groups[group.name.lower()] = group.pk
        self._buildings: dict[str, Building] | None = None
        self._may_manage: dict[int, bool] = {}

    def problem(self, line: int | None, field_name: str | None, reason: str, **params: object) -> None:
        self.problems.append(Problem(line, field_name, reason, params))

    def building(self, code: str) -> Building | None:
        if self._buildings is None:  # every building of the jurisdiction in one query (a district has thousands)
            rows = Building.objects.filter(jurisdiction=self.jurisdiction).select_related("node")
            self._buildings = {b.code: b for b in rows.defer("node__boundary")}
        return self._buildings.get(code)

    def may_manage(self, building: Building) -> bool:
        if building.node_id not in self._may_manage:
            self._may_manage[building.node_id] = policies.can_manage(self.actor, building.node)
        return self._may_manage[building.node_id]

    def _text(self, row: LedgerRow, name: str, limit: int, *, required: bool = False) -> str:
        value: str = (getattr(row, name) or "").strip()
        if required and not value:
            self.problem(row.line, name, REQUIRED)
        elif len(value) > limit:
            self.problem(row.line, name, TOO_LONG, n=limit)
            return ""
        return value

    def person(self, row: LedgerRow) -> _Person | None:
        """One row's person, checked on its own (no other row, no registry); None when something is wrong."""
        before = len(self.problems)
        line = row.line
        name = self._text(row, "name", 64, required=True)
        number = ""
        born, sex = self.today, ""
        if not (row.id_number or "").strip():
            self.problem(line, "id_number", REQUIRED)
        else:
            try:
                parsed = idcard.parse(row.id_number, today=self.today)
            except idcard.InvalidIdNumber as exc:
                self.problem(line, "id_number", exc.reason)
            else:
                number, born, sex = parsed.number, parsed.born, parsed.sex
        relation = ""
        if (row.relation or "").strip():
            relation = self.relations.get(row.relation.strip().lower(), "")
            if not relation:
                self.problem(line, "relation", BAD_RELATION, value=row.relation.strip())
        phone = ""
        try:
            phone = checked_phone(row.phone or "")
        except DomainError:
            self.problem(line, "phone", BAD_PHONE)
        level = ""
        if (row.level or "").strip():
            level = self.levels.get(row.level.strip().lower(), "")
            if not level:
                self.problem(line, "level", BAD_LEVEL, value=row.level.strip())
        reason = self._text(row, "reason", 200)
        if level and not reason and not (row.reason or "").strip():
            self.problem(line, "reason", LEVEL_WITHOUT_REASON)
        elif reason and not (row.level or "").strip():
            self.problem(line, "reason", REASON_WITHOUT_LEVEL)
        groups: list[int] = []
        for word in split_groups(row.groups or ""):
            pk = self.groups.get(word.lower())
            if pk is None:
                self.problem(line, "groups", BAD_GROUP, value=word)
            elif pk not in groups:
                groups.append(pk)
        if len(self.problems) > before:
            return None
        return _Person(
            line=line,
            name=name,
            name_index=crypto.blind_index(name_key(name)),
            id_number=number,
            id_index=crypto.blind_index(number),
            phone=phone,
            phone_index=crypto.blind_index(phone) if phone else "",
            born=born,
            sex=sex,
            relation=relation,
            level=level,
            reason=reason,
            groups=tuple(groups),
        )

    def check(self, rows: Iterable[LedgerRow], *, total: int = 0, progress: Progress | None = None) -> Checked:
        """Every row checked against the others and the registry (see the module's docstring)."""
        households: dict[str, _Household] = {}
        first_row: dict[str, tuple[int, str]] = {}  # ledger number -> (row, building code) where it first appears
        id_rows: dict[str, int] = {}
        count = 0
        for row in rows:
            count += 1
            line = row.line
            code = self._text(row, "ledger", 32, required=True)
            building_code = self._text(row, "building", 32, required=True)
            room = self._text(row, "room", 32)
            address = self._text(row, "address", 200)
            person = self.person(row)
            building = None
            if building_code:
                building = self.building(building_code)
                if building is None:
                    self.problem(line, "building", NO_BUILDING, code=building_code)
                elif not self.may_manage(building):
                    self.problem(line, "building", OUT_OF_SCOPE, code=building_code)
                    building = None
            if code and building_code:
                seen = first_row.setdefault(code, (line, building_code))
                if seen[1] != building_code:
                    self.problem(line, "building", TWO_BUILDINGS, household=code, first=seen[1], row=seen[0])
                    building = None
            if person is not None and person.id_number:
                earlier = id_rows.setdefault(person.id_index, line)
                if earlier != line:
                    self.problem(line, "id_number", ID_TWICE, first=earlier, second=line)
                    person = None
            if code and building is not None:
                household = households.get(code)
                if household is None:
                    household = households[code] = _Household(code, building, room, address)
                if person is not None:
                    household.people.append(person)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count, max(total, count))
        self._check_registry(list(households.values()))
        for household in households.values():
            heads = [p.line for p in household.people if p.relation == Relation.HEAD]
            if len(heads) > 1:
                for line in heads[1:]:
                    self.problem(line, "relation", TWO_HEADS, household=household.code, rows=", ".join(map(str, heads)))
            elif heads and household.existing is not None and household.existing.head_id is not None:
                self.problem(heads[0], "relation", HAS_HEAD, household=household.code)
        if progress is not None:
            progress(count, count)
        self.problems.sort(key=lambda p: (p.line or 0, p.field or ""))
        return Checked(jurisdiction=self.jurisdiction, households=list(households.values()), rows=count)

    def _check_registry(self, households: list[_Household]) -> None:
        """ID numbers already registered; households already registered (their building, the importer's scope)."""
        people = [p for h in households for p in h.people]
        for start in range(0, len(people), LOOKUP_CHUNK):
            chunk = people[start : start + LOOKUP_CHUNK]
            taken = set(
                Resident.objects.filter(
                    jurisdiction=self.jurisdiction, id_index__in=[p.id_index for p in chunk]
                ).values_list("id_index", flat=True)
            )
            for person in chunk:
                if person.id_index in taken:
                    self.problem(person.line, "id_number", ID_REGISTERED)
        for start in range(0, len(households), LOOKUP_CHUNK):
            chunk_h = households[start : start + LOOKUP_CHUNK]
            existing = {
                h.code: h
                for h in Household.objects.filter(
                    jurisdiction=self.jurisdiction, code__in=[h.code for h in chunk_h]
                ).select_related("node")
            }
            for household in chunk_h:
                found = existing.get(household.code)
                if found is None:
                    continue
                line = household.people[0].line if household.people else None
                if found.building_id != household.building.pk:
                    self.problem(line, "ledger", REGISTERED_ELSEWHERE, household=household.code)
                elif not policies.can_manage(self.actor, found.node):
                    self.problem(line, "building", OUT_OF_SCOPE, code=household.building.code)
                household.existing = found


def check(
    rows: Iterable[LedgerRow],
    *,
    jurisdiction: Jurisdiction,
    actor: Any,
    total: int = 0,
    progress: Progress | None = None,
    today: date | None = None,
) -> tuple[Checked, list[Problem]]:
    """Check every row; the problems sorted by row (none: ``write`` may go ahead)."""
    checker = LedgerCheck(jurisdiction=jurisdiction, actor=actor, today=today)
    checked = checker.check(rows, total=total, progress=progress)
    return checked, checker.problems


@dataclass
class _Written:
    """What a batched write committed so far, to delete again if a later batch fails."""

    households: list[int] = field(default_factory=list)
    residents: list[int] = field(default_factory=list)

    def undo(self, size: int) -> None:
        # Residents first (their moves, level changes and memberships go with them; a head set on a household is
        # cleared), then the households the import created. Short transactions again: others keep writing.
        for pks, model in ((self.residents, Resident), (self.households, Household)):
            for chunk in batches.in_batches(pks, size):
                with transaction.atomic():
                    model.objects.filter(pk__in=chunk).delete()


def commits_per_batch() -> bool:
    """Whether ``write`` commits batch by batch by default: on SQLite (one writer at a time), not on PostgreSQL."""
    return batches.commits_per_batch(Resident)


def write(
    checked: Checked,
    *,
    actor: Any,
    progress: Progress | None = None,
    at: datetime | None = None,
    batch_size: int | None = None,
    per_batch: bool | None = None,
) -> Imported:
    """Write what ``check`` accepted, all or nothing: in one transaction, or (``per_batch``, by default on SQLite)
    one transaction a batch with what was written deleted again if a later batch fails (see the module's docstring).
    ``progress(done, total)`` counts residents written. The scope is checked again (a post taken away since the
    check refuses the whole import)."""
    if per_batch is None:
        per_batch = commits_per_batch()
    size = batch_size or (SQLITE_BATCH if per_batch else BATCH)
    if not per_batch:
        with transaction.atomic():
            return _write(checked, actor=actor, progress=progress, at=at, size=size, step=nullcontext, written=None)
    written = _Written()
    try:
        return _write(
            checked, actor=actor, progress=progress, at=at, size=size, step=batches.committed_step, written=written
        )
    except BaseException:
        written.undo(size)
        raise


def _write(
    checked: Checked,
    *,
    actor: Any,
    progress: Progress | None,
    at: datetime | None,
    size: int,
    step: Callable[[], AbstractContextManager[Any]],
    written: _Written | None,
) -> Imported:
    now = at or timeutil.now()
    today = timeutil.local(now).date()
    by = actor if getattr(actor, "pk", None) else None
    jurisdiction_id = checked.jurisdiction.pk
    total = checked.residents
    for node in {h.building.node for h in checked.households}:
        if not policies.can_manage(actor, node):
            raise PermissionDenied(OUT_OF_SCOPE, params={"code": node.name})
    # The first due day of each level: every resident put in care today gets the same one.
    steps = intervals(jurisdiction_id)
    calendar = calendar_days.current_calendar()
    due = {
        level: schedule.next_due(last_visit=None, level_since=today, interval=steps[level], calendar=calendar)
        for level in Level.values
    }
    created = extended = in_care = memberships = 0
    done = 0
    new = [h for h in checked.households if h.existing is None]
    for batch in batches.in_batches(new, size):
        rows = []
        for h in batch:
            contact = _contact(h)
            rows.append(
                Household(
                    jurisdiction_id=jurisdiction_id,
                    node_id=h.building.node_id,
                    building_id=h.building.pk,
                    code=h.code,
                    room=h.room,
                    address=h.address,
                    contact_phone=contact,  # encrypted as it is written
                    contact_index=crypto.blind_index(contact) if contact else "",
                    created_at=now,
                    updated_at=now,
                )
            )
        with step():
            made = Household.objects.bulk_create(rows)
            if written is not None:
                written.households += [row.pk for row in made]
        for household, row in zip(batch, made, strict=True):
            household.existing = row
        created += len(made)
    extended = len(checked.households) - created
    pairs = [(h, p) for h in checked.households for p in h.people]
    headed: list[int] = []
    through = Resident.groups.through
    for batch in batches.in_batches(pairs, size):
        people = [
            Resident(
                jurisdiction_id=jurisdiction_id,
                node_id=h.building.node_id,
                household_id=h.existing.pk,  # type: ignore[union-attr]  # made above
                relation=p.relation,
                name=p.name,  # EncryptedTextField: encrypted as it is written
                name_index=p.name_index,
                id_number=p.id_number,
                id_index=p.id_index,
                id_masked=idcard.mask(p.id_number),
                phone=p.phone,
                phone_index=p.phone_index,
                born=p.born,
                sex=p.sex,
                level=p.level,
                level_reason=p.reason if p.level else "",
                level_since=today if p.level else None,
                next_visit_due=due[p.level] if p.level else None,
                created_at=now,
                updated_at=now,
            )
            for h, p in batch
        ]
        with step():
            residents = Resident.objects.bulk_create(people)
            if written is not None:
                written.residents += [r.pk for r in residents]
            Move.objects.bulk_create(
                [
                    Move(
                        resident_id=r.pk,
                        household_id=h.existing.pk,
                        action=MoveAction.MOVED_IN,
                        on=today,
                        by=by,
                        at=now,
                    )
                    for (h, _p), r in zip(batch, residents, strict=True)
                ]
            )
            changes = [
                LevelChange(resident_id=r.pk, level_from="", level_to=p.level, reason=p.reason, by=by, at=now)
                for (_h, p), r in zip(batch, residents, strict=True)
                if p.level
            ]
            LevelChange.objects.bulk_create(changes)
            links = [
                through(resident_id=r.pk, caregroup_id=group)
                for (_h, p), r in zip(batch, residents, strict=True)
                for group in p.groups
            ]
            through.objects.bulk_create(links)
        in_care += len(changes)
        memberships += len(links)
        headed += [h.existing.pk for h, p in batch if p.relation == Relation.HEAD]  # type: ignore[union-attr]
        done += len(batch)
        if progress is not None:
            progress(done, total)
    head = Resident.objects.filter(household_id=OuterRef("pk"), relation=Relation.HEAD).order_by("-pk").values("pk")
    for batch in batches.in_batches(headed, min(size, LOOKUP_CHUNK)):
        with step():
            Household.objects.filter(pk__in=batch).update(head_id=Subquery(head[:1]), updated_at=now)
    return Imported(
        households_created=created,
        households_extended=extended,
        residents=done,
        in_care=in_care,
        memberships=memberships,
    )


def _contact(household: _Household) -> str:
    heads = [p.phone for p in household.people if p.relation == Relation.HEAD and p.phone]
    others = [p.phone for p in household.people if p.phone]
    return (heads or others or [""])[0]
