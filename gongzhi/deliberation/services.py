"""Writes of deliberation and notices: one function per use case, keyword-only, atomic; a refused write changes
nothing. Staff act within their posts' subtrees (``policies``; out of scope is NotFound). Residents act with the phone
number they proved (the resident pages' SMS login): the interface passes it in, with the household key it found for
that phone (the care registry's household, or the phone itself when the registry does not know it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from gongzhi.core import crypto, timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, checked_text, gettext_noop
from gongzhi.deliberation import policies, steps, tally
from gongzhi.deliberation.choices import (
    Basis,
    EligibilitySource,
    MeetingKind,
    MeetingStatus,
    NoticeKind,
    NoticeStatus,
    Origin,
    Step,
    ThresholdBase,
    Voice,
    VoteStatus,
)
from gongzhi.deliberation.models import (
    Ballot,
    Comment,
    Delivery,
    Eligible,
    EligiblePhone,
    Meeting,
    MeetingCase,
    Notice,
    NoticeOpen,
    Option,
    Registration,
    StepChange,
    Subscription,
    Support,
    Topic,
    Vote,
)
from gongzhi.grid.models import Building, GridNode

NOT_FOUND = gettext_noop("No such topic, meeting, vote or notice in your area.")
# Comments are open until the result is public.
COMMENTABLE = frozenset({*steps.OPEN, steps.DECISION_PUBLIC})
MAX_OPTIONS = 12
MAX_WEIGHT = Decimal("99999999.99")
# A resident checks in with the meeting's QR code from this long before it starts until it ends.
CHECK_IN_EARLY_MINUTES = 60


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _phone(phone: str) -> tuple[str, str]:
    digits = crypto.normalise_phone(phone or "")
    if not (len(digits) == 11 and digits.startswith("1")):
        raise DomainError(gettext_noop("A mobile phone number is needed."), code="phone")
    return digits, crypto.blind_index(digits)


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotFound(NOT_FOUND)


# ------------------------------------------------------------------------------------------------------- topics


def _locked_topic(topic: Topic | int) -> Topic:
    pk = topic.pk if isinstance(topic, Topic) else int(topic)
    found = Topic.objects.select_for_update().filter(pk=pk).select_related("node").first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _step(topic: Topic, to: str, *, by: Any, reason: str, now: datetime, until: date | None = None) -> None:
    StepChange.objects.create(topic=topic, step_from=topic.step, step_to=to, reason=reason, by=_user(by), at=now)
    topic.step, topic.step_since, topic.step_until, topic.updated_at = to, now, until, now


@transaction.atomic
def start_topic(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    body: str,
    origin: str = Origin.STAFF,
    origin_id: int | None = None,
    origin_code: str = "",
    step_until: date | None = None,
    at: datetime | None = None,
) -> Topic:
    """A topic started by staff — on their own, or from a case or a need ("this needs the residents' agreement")."""
    _require(policies.can_manage(actor, node))
    if origin not in (Origin.STAFF, Origin.CASE, Origin.NEED):
        raise DomainError(gettext_noop("Unknown origin of a topic."))
    if origin != Origin.STAFF and not origin_id:
        raise DomainError(gettext_noop("Say which case or need the topic comes from."))
    now = at or timeutil.now()
    topic = Topic.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        body=checked_text(body, gettext_noop("text"), required=True, max_length=4000),
        origin=origin,
        origin_id=origin_id if origin != Origin.STAFF else None,
        origin_code=checked_text(origin_code, gettext_noop("tracking code"), max_length=32),
        step_since=now,
        step_until=step_until,
        created_by=_user(actor),
        created_at=now,
        updated_at=now,
    )
    StepChange.objects.create(topic=topic, step_to=Step.COLLECT, reason="", by=_user(actor), at=now)
    return topic


@transaction.atomic
def propose(
    *,
    node: GridNode,
    title: str,
    body: str,
    phone: str,
    household_key: str,
    support_needed: int,
    at: datetime | None = None,
) -> Topic:
    """A residents' proposal: collected until ``support_needed`` households support it (the proposer's counts)."""
    digits, index = _phone(phone)
    if support_needed < 1:
        raise DomainError(gettext_noop("A proposal needs the support of at least one household."))
    now = at or timeutil.now()
    topic = Topic.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        body=checked_text(body, gettext_noop("text"), required=True, max_length=4000),
        origin=Origin.RESIDENTS,
        proposer_phone=digits,
        proposer_index=index,
        support_needed=support_needed,
        support_count=1,
        step_since=now,
        created_at=now,
        updated_at=now,
    )
    Support.objects.create(topic=topic, household_key=_key(household_key), phone_index=index, at=now)
    StepChange.objects.create(topic=topic, step_to=Step.COLLECT, reason="", by=None, at=now)
    return topic


def _key(household_key: str) -> str:
    key = (household_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(gettext_noop("The household is not known."))
    return key


@transaction.atomic
def support(*, topic: Topic | int, phone: str, household_key: str, at: datetime | None = None) -> Topic:
    """A household supports a residents' proposal while it is collected: once per household and per phone."""
    locked = _locked_topic(topic)
    if locked.step != Step.COLLECT or locked.origin != Origin.RESIDENTS:
        raise Conflict(gettext_noop("The topic no longer collects support."))
    _, index = _phone(phone)
    try:
        with transaction.atomic():
            Support.objects.create(
                topic=locked, household_key=_key(household_key), phone_index=index, at=at or timeutil.now()
            )
    except IntegrityError:
        raise Conflict(gettext_noop("Your household already supports this topic."), code="duplicate") from None
    Topic.objects.filter(pk=locked.pk).update(support_count=F("support_count") + 1)
    locked.refresh_from_db(fields=["support_count"])
    return locked


def facts(topic: Topic) -> steps.Facts:
    return steps.Facts(
        by_residents=topic.origin == Origin.RESIDENTS,
        supported=topic.support_count >= topic.support_needed,
        vote_open=topic.votes.filter(status=VoteStatus.OPEN).exists(),
        decided=bool(topic.decision.strip()),
        result_written=bool(topic.result.strip()),
    )


@transaction.atomic
def move(
    *,
    topic: Topic | int,
    to: str,
    actor: Any,
    reason: str = "",
    until: date | None = None,
    at: datetime | None = None,
) -> Topic:
    """Move a topic to its next step (or back to deliberation, or drop it with a reason): ``steps.check`` decides."""
    locked = _locked_topic(topic)
    _require(policies.can_manage(actor, locked.node))
    backwards = to == steps.DROPPED or steps.BACK.get(locked.step) == to
    reason = checked_text(reason, gettext_noop("reason"), required=backwards)
    try:
        steps.check(locked.step, to, facts(locked))
    except steps.StepRefused as exc:
        raise Conflict(exc.reason, code="step") from None
    now = at or timeutil.now()
    _step(locked, to, by=actor, reason=reason, now=now, until=until)
    fields = ["step", "step_since", "step_until", "updated_at"]
    if to == steps.DROPPED:
        locked.dropped_reason = reason
        fields.append("dropped_reason")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def record_decision(*, topic: Topic | int, actor: Any, text: str, at: datetime | None = None) -> Topic:
    """Write down the decision (决议) while the topic is being decided: it is made public by moving to 决议公开."""
    locked = _locked_topic(topic)
    _require(policies.can_manage(actor, locked.node))
    if locked.step != Step.DECIDE:
        raise Conflict(gettext_noop("A decision is recorded at the decision step."))
    locked.decision = checked_text(text, gettext_noop("decision"), required=True, max_length=4000)
    locked.decided_at = at or timeutil.now()
    locked.updated_at = locked.decided_at
    locked.save(update_fields=["decision", "decided_at", "updated_at"])
    return locked


@transaction.atomic
def record_result(
    *, topic: Topic | int, actor: Any, text: str, photos: Sequence[str] = (), at: datetime | None = None
) -> Topic:
    """Write down what came of the decision (with photos already cleaned by the interface), once it is public."""
    locked = _locked_topic(topic)
    _require(policies.can_manage(actor, locked.node))
    if locked.step != Step.DECISION_PUBLIC:
        raise Conflict(gettext_noop("The result is written once the decision is public."))
    locked.result = checked_text(text, gettext_noop("result"), required=True, max_length=4000)
    locked.result_photos = list(photos)
    locked.updated_at = at or timeutil.now()
    locked.save(update_fields=["result", "result_photos", "updated_at"])
    return locked


# ------------------------------------------------------------------------------------------------------- comments


@transaction.atomic
def comment(
    *,
    topic: Topic | int,
    body: str,
    phone: str = "",
    author_label: str = "",
    actor: Any = None,
    organisation: str = "",
    reply_to: Comment | None = None,
    at: datetime | None = None,
) -> Comment:
    """A resident's comment (``phone``: their proven number; shown as ``author_label``, e.g. 3号楼居民), or a reply from
    staff (``actor``) — speaking for ``organisation`` (业委会, 物业公司) when given, as a stakeholder."""
    locked = _locked_topic(topic)
    if locked.step not in COMMENTABLE:
        raise Conflict(gettext_noop("Comments are closed on this topic."))
    if reply_to is not None and reply_to.topic_id != locked.pk:
        raise DomainError(gettext_noop("The reply is to a comment of another topic."))
    text = checked_text(body, gettext_noop("comment"), required=True, max_length=2000)
    organisation = checked_text(organisation, gettext_noop("organisation"), max_length=100)
    fields: dict[str, Any]
    if actor is not None:
        _require(policies.can_desk(actor, locked.node))
        voice = Voice.STAKEHOLDER if organisation else Voice.STAFF
        label = organisation or checked_text(author_label, gettext_noop("shown as"), max_length=64) or "社区"
        fields = {"voice": voice, "user": _user(actor), "organisation": organisation, "author_label": label[:64]}
    else:
        digits, index = _phone(phone)
        label = checked_text(author_label, gettext_noop("shown as"), max_length=64) or "居民"
        fields = {"voice": Voice.RESIDENT, "phone": digits, "phone_index": index, "author_label": label}
    return Comment.objects.create(topic=locked, reply_to=reply_to, body=text, created_at=at or timeutil.now(), **fields)


@transaction.atomic
def hide_comment(*, comment: Comment | int, actor: Any, reason: str, at: datetime | None = None) -> Comment:
    pk = comment.pk if isinstance(comment, Comment) else int(comment)
    found = Comment.objects.select_for_update().select_related("topic__node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_manage(actor, found.topic.node))
    found.hidden = True
    found.hidden_reason = checked_text(reason, gettext_noop("reason"), required=True)
    found.hidden_by = _user(actor)
    found.hidden_at = at or timeutil.now()
    found.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])
    return found


@transaction.atomic
def show_comment(*, comment: Comment | int, actor: Any) -> Comment:
    pk = comment.pk if isinstance(comment, Comment) else int(comment)
    found = Comment.objects.select_for_update().select_related("topic__node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_manage(actor, found.topic.node))
    found.hidden, found.hidden_reason, found.hidden_by, found.hidden_at = False, "", None, None
    found.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])
    return found


# ------------------------------------------------------------------------------------------------------- meetings


@transaction.atomic
def plan_meeting(
    *,
    actor: Any,
    node: GridNode,
    kind: str,
    title: str,
    place: str,
    starts: datetime,
    ends: datetime,
    agenda: str = "",
    capacity: int | None = None,
    invited: str = "",
    topic: Topic | None = None,
    at: datetime | None = None,
) -> Meeting:
    _require(policies.can_manage(actor, node))
    if kind not in MeetingKind.values:
        raise DomainError(gettext_noop("Unknown kind of meeting."))
    if ends <= starts:
        raise DomainError(gettext_noop("A meeting ends after it starts."))
    if topic is not None and not (node.is_ancestor_of(topic.node) or topic.node.is_ancestor_of(node)):
        raise DomainError(gettext_noop("The meeting's place is not where the topic is."))
    if capacity is not None and capacity < 1:
        raise DomainError(gettext_noop("A meeting has at least one place."))
    return Meeting.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        topic=topic,
        kind=kind,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        agenda=checked_text(agenda, gettext_noop("agenda"), max_length=4000),
        place=checked_text(place, gettext_noop("place"), required=True),
        starts=starts,
        ends=ends,
        capacity=capacity,
        invited=checked_text(invited, gettext_noop("invited stakeholders"), max_length=1000),
        created_by=_user(actor),
        created_at=at or timeutil.now(),
    )


def _locked_meeting(meeting: Meeting | int) -> Meeting:
    pk = meeting.pk if isinstance(meeting, Meeting) else int(meeting)
    found = Meeting.objects.select_for_update().select_related("node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@transaction.atomic
def register(*, meeting: Meeting | int, phone: str, name: str = "", at: datetime | None = None) -> Registration:
    """A resident registers for a planned meeting (once; within its places)."""
    locked = _locked_meeting(meeting)
    now = at or timeutil.now()
    if locked.status != MeetingStatus.PLANNED or locked.ends <= now:
        raise Conflict(gettext_noop("The meeting no longer takes registrations."))
    digits, index = _phone(phone)
    if Registration.objects.filter(meeting=locked, phone_index=index).exists():
        raise Conflict(gettext_noop("You are already registered."), code="duplicate")
    taken = Registration.objects.filter(meeting=locked, registered_at__isnull=False).count()
    if locked.capacity is not None and taken >= locked.capacity:
        raise Conflict(gettext_noop("The meeting is full."), code="full")
    return Registration.objects.create(
        meeting=locked,
        name=checked_text(name, gettext_noop("name"), max_length=64),
        phone=digits,
        phone_index=index,
        registered_at=now,
    )


def _attend(locked: Meeting, *, phone: str, name: str, by: Any, now: datetime) -> Registration:
    if locked.status == MeetingStatus.CANCELLED:
        raise Conflict(gettext_noop("The meeting was cancelled."))
    index = crypto.blind_index(crypto.normalise_phone(phone)) if phone else ""
    found = Registration.objects.filter(meeting=locked, phone_index=index).first() if index else None
    if found is None:
        digits = _phone(phone)[0] if phone else ""
        found = Registration.objects.create(
            meeting=locked,
            name=checked_text(name, gettext_noop("name"), max_length=64, required=not digits),
            phone=digits,
            phone_index=index,
        )
    if found.attended:
        raise Conflict(gettext_noop("Already checked in."), code="duplicate")
    found.attended, found.checked_in_at, found.checked_in_by = True, now, _user(by)
    found.save(update_fields=["attended", "checked_in_at", "checked_in_by"])
    return found


@transaction.atomic
def check_in(*, token: str, phone: str, at: datetime | None = None) -> Registration:
    """A resident checks in with the QR code shown at the meeting (its token) and their phone login: from an hour
    before the start until the end."""
    found = Meeting.objects.filter(check_in_token=str(token)[:32]).only("pk").first()
    if found is None:
        raise NotFound(NOT_FOUND)
    locked = _locked_meeting(found.pk)
    now = at or timeutil.now()
    opens = locked.starts - timedelta(minutes=CHECK_IN_EARLY_MINUTES)
    if not opens <= now <= locked.ends:
        raise Conflict(gettext_noop("Check-in is open from an hour before the meeting until its end."))
    return _attend(locked, phone=phone, name="", by=None, now=now)


@transaction.atomic
def check_in_by_staff(
    *, meeting: Meeting | int, actor: Any, phone: str = "", name: str = "", at: datetime | None = None
) -> Registration:
    """Staff at the door check a resident in (registered or not, with or without a phone)."""
    locked = _locked_meeting(meeting)
    _require(policies.can_desk(actor, locked.node))
    return _attend(locked, phone=phone, name=name, by=actor, now=at or timeutil.now())


@transaction.atomic
def record_minutes(
    *, meeting: Meeting | int, actor: Any, minutes: str, decisions: str = "", at: datetime | None = None
) -> Meeting:
    """The minutes and decisions of a meeting held (once it has started)."""
    locked = _locked_meeting(meeting)
    _require(policies.can_manage(actor, locked.node))
    if locked.status == MeetingStatus.CANCELLED:
        raise Conflict(gettext_noop("The meeting was cancelled."))
    if (at or timeutil.now()) < locked.starts:
        raise Conflict(gettext_noop("Minutes are written once the meeting has started."))
    locked.minutes = checked_text(minutes, gettext_noop("minutes"), required=True, max_length=10000)
    locked.decisions = checked_text(decisions, gettext_noop("decisions"), max_length=4000)
    locked.status = MeetingStatus.HELD
    locked.save(update_fields=["minutes", "decisions", "status"])
    return locked


@transaction.atomic
def cancel_meeting(*, meeting: Meeting | int, actor: Any) -> Meeting:
    locked = _locked_meeting(meeting)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != MeetingStatus.PLANNED:
        raise Conflict(gettext_noop("Only a planned meeting can be cancelled."))
    locked.status = MeetingStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def link_case(
    *, meeting: Meeting | int, case_id: int, tracking_code: str, title: str, actor: Any, at: datetime | None = None
) -> MeetingCase:
    """Name a case raised at the meeting (filed by the interface through the cases services)."""
    locked = _locked_meeting(meeting)
    _require(policies.can_desk(actor, locked.node))
    return MeetingCase.objects.create(
        meeting=locked,
        case_id=case_id,
        tracking_code=tracking_code,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        by=_user(actor),
        at=at or timeutil.now(),
    )


# ------------------------------------------------------------------------------------------------------- votes


def fraction(text: str | Fraction | int) -> Fraction:
    """ "2/3", "0.5", "50%" or a Fraction; DomainError unless 0 to 1."""
    try:
        if isinstance(text, Fraction | int):
            value = Fraction(text)
        else:
            raw = str(text).strip().replace("％", "%")
            value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise DomainError(gettext_noop("A share is written like 2/3, 0.5 or 50%.")) from None
    if not 0 <= value <= 1:
        raise DomainError(gettext_noop("A share is between 0 and 1."))
    if value.denominator > 1000:
        raise DomainError(gettext_noop("A share is written like 2/3, 0.5 or 50%."))
    return value


@transaction.atomic
def create_vote(
    *,
    topic: Topic | int,
    actor: Any,
    question: str,
    options: Sequence[str],
    opens_at: datetime,
    closes_at: datetime,
    basis: str = Basis.HOUSEHOLD,
    quorum: str | Fraction = Fraction(0),
    threshold: str | Fraction = Fraction(1, 2),
    threshold_base: str = ThresholdBase.CAST,
    strict: bool = True,
    source: str = EligibilitySource.REGISTRY,
    node: GridNode | None = None,
    at: datetime | None = None,
) -> Vote:
    """A vote of a topic (a draft until opened), scoped to ``node`` (the topic's by default)."""
    locked = _locked_topic(topic)
    node = node or locked.node
    _require(policies.can_manage(actor, locked.node) and policies.can_manage(actor, node))
    if locked.step in steps.FINAL or steps.is_public_decision(locked.step):
        raise Conflict(gettext_noop("The topic is past its vote."))
    if (
        basis not in Basis.values
        or threshold_base not in ThresholdBase.values
        or source not in EligibilitySource.values
    ):
        raise DomainError(gettext_noop("Unknown way of voting."))
    labels = [checked_text(label, gettext_noop("option"), max_length=100) for label in options]
    labels = [label for label in labels if label]
    if len(labels) < 2 or len(labels) > MAX_OPTIONS or len(set(labels)) != len(labels):
        raise DomainError(gettext_noop("A vote has 2 to 12 different options."))
    if closes_at <= opens_at:
        raise DomainError(gettext_noop("A vote closes after it opens."))
    quorum_share, threshold_share = fraction(quorum), fraction(threshold)
    if threshold_share == 0:
        raise DomainError(gettext_noop("A threshold is more than 0."))
    vote = Vote.objects.create(
        topic=locked,
        node=node,
        question=checked_text(question, gettext_noop("question"), required=True),
        basis=basis,
        source=source,
        quorum_num=quorum_share.numerator,
        quorum_den=quorum_share.denominator,
        threshold_num=threshold_share.numerator,
        threshold_den=threshold_share.denominator,
        threshold_base=threshold_base,
        strict=bool(strict),
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=_user(actor),
        created_at=at or timeutil.now(),
    )
    Option.objects.bulk_create([Option(vote=vote, label=label, sort_order=i) for i, label in enumerate(labels)])
    return vote


@dataclass(frozen=True)
class Voter:
    """One eligible vote as the interface found it: a key (the registry's household or resident id, or the list's
    row), how it is shown (a door, never a person), its weight, and the phones that may cast it."""

    key: str
    label: str
    weight: Decimal | str | int = 1
    phones: tuple[str, ...] = ()


def _locked_vote(vote: Vote | int) -> Vote:
    pk = vote.pk if isinstance(vote, Vote) else int(vote)
    found = Vote.objects.select_for_update().select_related("node", "topic").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@transaction.atomic
def set_eligible(*, vote: Vote | int, actor: Any, voters: Iterable[Voter]) -> int:
    """Replace a draft vote's eligible voters (from the registry or an imported list). Returns how many."""
    locked = _locked_vote(vote)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != VoteStatus.DRAFT:
        raise Conflict(gettext_noop("Eligibility is set before the vote opens."))
    rows: list[Eligible] = []
    phones: list[tuple[int, str]] = []
    seen_keys: set[str] = set()
    seen_phones: set[str] = set()
    for voter in voters:
        key = _key(voter.key)
        if key in seen_keys:
            raise DomainError(gettext_noop("The same voter is listed twice: %(label)s"), params={"label": voter.label})
        seen_keys.add(key)
        try:
            weight = Decimal(str(voter.weight))
        except InvalidOperation:
            raise DomainError(gettext_noop("A weight is a number: %(label)s"), params={"label": voter.label}) from None
        if not weight.is_finite() or weight <= 0 or weight > MAX_WEIGHT:
            raise DomainError(gettext_noop("A weight is more than 0: %(label)s"), params={"label": voter.label})
        if locked.basis != Basis.OWNER_AREA and weight != 1:
            raise DomainError(gettext_noop("Only owners' votes by floor area carry weights."))
        rows.append(
            Eligible(
                vote=locked,
                key=key,
                label=checked_text(voter.label, gettext_noop("shown as"), required=True, max_length=64),
                weight=weight.quantize(Decimal("0.01")),
            )
        )
        for phone in voter.phones:
            _, index = _phone(phone)
            if index in seen_phones:
                raise DomainError(
                    gettext_noop("One phone may cast one vote only: %(label)s"), params={"label": voter.label}
                )
            seen_phones.add(index)
            phones.append((len(rows) - 1, index))
    Eligible.objects.filter(vote=locked).delete()
    created = Eligible.objects.bulk_create(rows, batch_size=1000)
    if created and created[0].pk is None:  # SQLite before RETURNING: read the ids back
        by_key = dict(Eligible.objects.filter(vote=locked).values_list("key", "pk"))
        for row in created:
            row.pk = by_key[row.key]
    EligiblePhone.objects.bulk_create(
        [EligiblePhone(vote=locked, eligible_id=created[i].pk, phone_index=index) for i, index in phones],
        batch_size=1000,
    )
    return len(created)


@transaction.atomic
def open_vote(*, vote: Vote | int, actor: Any, at: datetime | None = None) -> Vote:
    locked = _locked_vote(vote)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != VoteStatus.DRAFT:
        raise Conflict(gettext_noop("The vote is already open or closed."))
    if locked.topic.step != Step.DECIDE:
        raise Conflict(gettext_noop("A vote opens when the topic is at its decision step."))
    if not Eligible.objects.filter(vote=locked).exists():
        raise Conflict(gettext_noop("Nobody is eligible to vote yet."))
    now = at or timeutil.now()
    if locked.closes_at <= now:
        raise Conflict(gettext_noop("The vote's closing time has passed."))
    locked.status = VoteStatus.OPEN
    locked.save(update_fields=["status"])
    return locked


def _open_now(locked: Vote, now: datetime) -> None:
    if locked.status != VoteStatus.OPEN or not locked.opens_at <= now < locked.closes_at:
        raise Conflict(gettext_noop("The vote is not open."), code="closed")


def _option(locked: Vote, option: Option | int) -> Option:
    pk = option.pk if isinstance(option, Option) else int(option)
    found = Option.objects.filter(vote=locked, pk=pk).first()
    if found is None:
        raise DomainError(gettext_noop("Choose one of the vote's options."))
    return found


def _ballot(locked: Vote, eligible: Eligible, option: Option, **fields: Any) -> Ballot:
    try:
        with transaction.atomic():
            return Ballot.objects.create(vote=locked, eligible=eligible, option=option, **fields)
    except IntegrityError:
        raise Conflict(gettext_noop("This vote was already cast for your household."), code="duplicate") from None


@transaction.atomic
def cast(*, vote: Vote | int, phone: str, option: Option | int, at: datetime | None = None) -> Ballot:
    """A resident votes with their phone login: the phone must be one of an eligible voter's; the first vote of a
    household counts, a second (another member, at the same moment or later) is refused."""
    pk = vote.pk if isinstance(vote, Vote) else int(vote)
    locked = Vote.objects.filter(pk=pk).first()  # not locked: the unique ballot per voter decides a race
    if locked is None:
        raise NotFound(NOT_FOUND)
    now = at or timeutil.now()
    _open_now(locked, now)
    _, index = _phone(phone)
    found = EligiblePhone.objects.filter(vote=locked, phone_index=index).select_related("eligible").first()
    if found is None:
        raise PermissionDenied(gettext_noop("Your phone number is not on this vote's list of voters."))
    return _ballot(locked, found.eligible, _option(locked, option), phone_index=index, at=now)


@transaction.atomic
def cast_for(
    *,
    vote: Vote | int,
    actor: Any,
    eligible: Eligible | int,
    option: Option | int,
    note: str,
    at: datetime | None = None,
) -> Ballot:
    """Staff cast the vote of a resident without a phone, who told them in person (logged: who, and the note)."""
    pk = vote.pk if isinstance(vote, Vote) else int(vote)
    locked = Vote.objects.select_related("node").filter(pk=pk).first()
    if locked is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_desk(actor, locked.node))
    now = at or timeutil.now()
    _open_now(locked, now)
    eligible_pk = eligible.pk if isinstance(eligible, Eligible) else int(eligible)
    found = Eligible.objects.filter(vote=locked, pk=eligible_pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    text = checked_text(note, gettext_noop("note"), required=True)
    return _ballot(locked, found, _option(locked, option), assisted_by=_user(actor), note=text, at=now)


def rule_of(vote: Vote) -> tally.Rule:
    return tally.Rule(
        quorum=Fraction(vote.quorum_num, vote.quorum_den),
        threshold=Fraction(vote.threshold_num, vote.threshold_den),
        base=vote.threshold_base,
        strict=vote.strict,
        weighted=vote.basis == Basis.OWNER_AREA,
    )


@transaction.atomic
def close_vote(*, vote: Vote | int, actor: Any = None, at: datetime | None = None) -> Vote:
    """Close a vote and count it (the worker closes it at its closing time; staff may close it early only when
    everyone has voted). The result is stored and shown from now on, never before."""
    locked = _locked_vote(vote)
    if actor is not None:
        _require(policies.can_manage(actor, locked.node))
    if locked.status != VoteStatus.OPEN:
        raise Conflict(gettext_noop("The vote is not open."), code="closed")
    now = at or timeutil.now()
    eligible = list(Eligible.objects.filter(vote=locked).values_list("pk", "weight"))
    ballots = list(Ballot.objects.filter(vote=locked).values_list("option__label", "eligible__weight"))
    if now < locked.closes_at and len(ballots) < len(eligible):
        raise Conflict(gettext_noop("The vote closes at its closing time (or once everyone has voted)."))
    options = list(Option.objects.filter(vote=locked).values_list("label", flat=True))
    result = tally.count(
        [tally.Ballot(option=label, weight=weight) for label, weight in ballots],
        options=options,
        eligible=len(eligible),
        eligible_weight=sum((weight for _, weight in eligible), Decimal(0)),
        rule=rule_of(locked),
    )
    locked.result = dict(tally.summary(result))
    locked.status = VoteStatus.CLOSED
    locked.closed_at = now
    locked.save(update_fields=["result", "status", "closed_at"])
    return locked


def votes_to_close(*, now: datetime | None = None) -> list[int]:
    return list(
        Vote.objects.filter(status=VoteStatus.OPEN, closes_at__lte=now or timeutil.now()).values_list("pk", flat=True)
    )


# ------------------------------------------------------------------------------------------------------- notices


@transaction.atomic
def publish_notice(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    body: str,
    expires_at: datetime,
    kind: str = NoticeKind.NOTICE,
    urgent: bool = False,
    buildings: Iterable[Building] = (),
    topic: Topic | None = None,
    at: datetime | None = None,
) -> Notice:
    """A notice to every building under ``node`` (or only ``buildings`` of it), shown until ``expires_at``; the text
    messages to the buildings' subscribers go out once it commits (``subscribers``)."""
    _require(policies.can_publish_notice(actor, node))
    if kind not in NoticeKind.values:
        raise DomainError(gettext_noop("Unknown kind of notice."))
    now = at or timeutil.now()
    if expires_at <= now:
        raise DomainError(gettext_noop("A notice expires after it is published."))
    chosen = list(buildings)
    for building in chosen:
        if building.jurisdiction_id != node.jurisdiction_id or not node.is_ancestor_of(building.node):
            raise DomainError(gettext_noop("A building outside the notice's area."))
    notice = Notice.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        kind=kind,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        body=checked_text(body, gettext_noop("text"), required=True, max_length=4000),
        urgent=bool(urgent),
        status=NoticeStatus.PUBLISHED,
        published_at=now,
        expires_at=expires_at,
        topic=topic,
        created_by=_user(actor),
        created_at=now,
    )
    if chosen:
        notice.buildings.set(chosen)
    return notice


@transaction.atomic
def withdraw_notice(*, notice: Notice | int, actor: Any) -> Notice:
    pk = notice.pk if isinstance(notice, Notice) else int(notice)
    found = Notice.objects.select_for_update().select_related("node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_publish_notice(actor, found.node))
    if found.status != NoticeStatus.PUBLISHED:
        raise Conflict(gettext_noop("The notice is not published."))
    found.status = NoticeStatus.WITHDRAWN
    found.save(update_fields=["status"])
    return found


@transaction.atomic
def subscribe(*, building: Building, phone: str, at: datetime | None = None) -> Subscription:
    """A resident asks for their building's notices by text message (again after opting out: re-activated)."""
    digits, index = _phone(phone)
    now = at or timeutil.now()
    found = Subscription.objects.select_for_update().filter(building=building, phone_index=index).first()
    if found is not None:
        if found.active:
            raise Conflict(gettext_noop("You already receive this building's notices."), code="duplicate")
        found.active, found.cancelled_at, found.created_at = True, None, now
        found.save(update_fields=["active", "cancelled_at", "created_at"])
        return found
    return Subscription.objects.create(building=building, phone=digits, phone_index=index, created_at=now)


@transaction.atomic
def unsubscribe(*, token: str, at: datetime | None = None) -> Subscription:
    found = Subscription.objects.select_for_update().filter(token=str(token)[:32]).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    if found.active:
        found.active, found.cancelled_at = False, at or timeutil.now()
        found.save(update_fields=["active", "cancelled_at"])
    return found


def record_open(*, notice: Notice, reader: str, at: datetime | None = None) -> bool:
    """Count a reader (a keyed hash the interface makes) once per notice. True when this was their first open."""
    try:
        with transaction.atomic():
            NoticeOpen.objects.create(notice=notice, reader=reader[:64], at=at or timeutil.now())
    except IntegrityError:
        return False
    Notice.objects.filter(pk=notice.pk).update(opens=F("opens") + 1)
    return True


@transaction.atomic
def claim_deliveries(*, notice: Notice | int, at: datetime | None = None) -> list[Subscription]:
    """The active subscriptions of the notice's buildings not sent to yet, marked sent (each at most once): the
    caller texts them (``notifications.send_sms``, queued on commit)."""
    pk = notice.pk if isinstance(notice, Notice) else int(notice)
    found = Notice.objects.select_for_update().filter(pk=pk).first()
    if found is None or found.status != NoticeStatus.PUBLISHED:
        return []
    now = at or timeutil.now()
    if found.expires_at <= now:
        return []
    from gongzhi.deliberation import selectors  # selectors import services' helpers: read here, late

    buildings = selectors.notice_buildings(found)
    done = set(Delivery.objects.filter(notice=found).values_list("subscription_id", flat=True))
    due = [
        sub
        for sub in Subscription.objects.filter(building__in=buildings, active=True).order_by("pk")
        if sub.pk not in done
    ]
    Delivery.objects.bulk_create([Delivery(notice=found, subscription=sub, at=now) for sub in due])
    Notice.objects.filter(pk=found.pk).update(sms_sent=F("sms_sent") + len(due))
    return due
