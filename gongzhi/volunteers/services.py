"""Writes of the people of the grid: one function per use case, keyword-only, atomic; a refused write changes
nothing. Staff act within their posts (``policies``; out of scope is NotFound). Residents (applicants, volunteers) act
with the phone number they proved on the resident pages: the interface passes it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from gongzhi.core import crypto, timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, checked_text, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid import services as grid_services
from gongzhi.grid.models import GridNode
from gongzhi.volunteers import policies
from gongzhi.volunteers.choices import (
    ActivityStatus,
    ApplicationStatus,
    ContactKind,
    ErrandStatus,
    HeadTitle,
    HoursStatus,
    Occupation,
    PartyLevel,
    ProblemKind,
    ReportInStatus,
    SignUpStatus,
    StewardKind,
    StewardStatus,
    VettingLevel,
)
from gongzhi.volunteers.models import (
    Activity,
    Application,
    Approval,
    Assessment,
    ContactPoint,
    Errand,
    Head,
    Hours,
    PartyUnit,
    ReportIn,
    SignUp,
    Steward,
    TakenOn,
    Team,
    Training,
    Volunteer,
)

NOT_FOUND = gettext_noop("No such record in your area.")
OPEN_APPLICATION = (ApplicationStatus.SUBMITTED, ApplicationStatus.VETTING, ApplicationStatus.APPROVED)
MAX_HOURS_A_DAY = Decimal(24)
STEWARD_TITLES = {StewardKind.STEWARD: "红色小管家", StewardKind.PART_TIME: "兼职小管家"}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotFound(NOT_FOUND)


def _phone(phone: str) -> tuple[str, str]:
    digits = crypto.normalise_phone(phone or "")
    if not (len(digits) == 11 and digits.startswith("1")):
        raise DomainError(gettext_noop("A mobile phone number is needed."), code="phone")
    return digits, crypto.blind_index(digits)


def hours_of(value: Any) -> Decimal:
    """Hours as a decimal of two places, over 0 and at most 24 (DomainError otherwise)."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext_noop("Hours are a number such as 2 or 1.5.")) from None
    if not hours.is_finite() or not 0 < hours <= MAX_HOURS_A_DAY:
        raise DomainError(gettext_noop("Hours are more than 0 and at most 24 a day."))
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------------------- stewards


@transaction.atomic
def apply(
    *,
    node: GridNode,
    name: str,
    phone: str,
    why: str,
    availability: str,
    occupation: str = Occupation.RESIDENT,
    kind: str = StewardKind.STEWARD,
    party_member: bool = False,
    at: datetime | None = None,
) -> Application:
    """An application to be a steward (or a part-time steward) of a micro-grid."""
    if node.level != roles.MICRO_GRID:
        raise DomainError(gettext_noop("A steward serves a micro-grid: choose one."))
    if kind not in StewardKind.values or occupation not in Occupation.values:
        raise DomainError(gettext_noop("Unknown kind of steward or occupation."))
    digits, index = _phone(phone)
    now = at or timeutil.now()
    try:
        with transaction.atomic():
            return Application.objects.create(
                jurisdiction_id=node.jurisdiction_id,
                node=node,
                kind=kind,
                occupation=occupation,
                name=checked_text(name, gettext_noop("name"), required=True, max_length=64),
                phone=digits,
                phone_index=index,
                party_member=bool(party_member),
                why=checked_text(why, gettext_noop("why"), required=True, max_length=1000),
                availability=checked_text(availability, gettext_noop("when they can help"), required=True),
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise Conflict(
            gettext_noop("You have already applied here; the community will answer."), code="duplicate"
        ) from None


def _locked_application(application: Application | int) -> Application:
    pk = application.pk if isinstance(application, Application) else int(application)
    found = Application.objects.select_for_update(of=("self",)).select_related("node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@transaction.atomic
def vet(
    *, application: Application | int, actor: Any, level: str, approved: bool, reason: str, at: datetime | None = None
) -> Application:
    """One side of the joint vetting (联审): the community's or the street's word, with the reason. Both must approve;
    either refuses and the application is rejected."""
    locked = _locked_application(application)
    _require(policies.can_manage(actor, locked.node))
    if level not in VettingLevel.values or level not in policies.vetting_levels(actor, locked.node):
        raise DomainError(gettext_noop("Your post does not speak for this side of the vetting."))
    if locked.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.VETTING):
        raise Conflict(gettext_noop("The application is no longer being vetted."))
    reason = checked_text(reason, gettext_noop("reason"), required=True)
    now = at or timeutil.now()
    try:
        with transaction.atomic():
            Approval.objects.create(
                application=locked, level=level, approved=bool(approved), reason=reason, by=_user(actor), at=now
            )
    except IntegrityError:
        raise Conflict(gettext_noop("This side has already given its word."), code="duplicate") from None
    words = list(Approval.objects.filter(application=locked).values_list("approved", flat=True))
    if not all(words):
        locked.status = ApplicationStatus.REJECTED
    elif len(words) == len(VettingLevel.values):
        locked.status = ApplicationStatus.APPROVED
    else:
        locked.status = ApplicationStatus.VETTING
    locked.updated_at = now
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def appoint(
    *,
    application: Application | int,
    actor: Any,
    username: str,
    public_phone: str = "",
    visits_per_month: int = 4,
    hours_per_month: int = 0,
    station_duty: str = "",
    at: datetime | None = None,
) -> Steward:
    """Appoint an approved applicant: an account (no password yet: the interface sends the link to set one), the post
    on their micro-grid — a steward's, or a part-time steward's who reports what they see and handles no case — and
    with it their public card (三亮)."""
    locked = _locked_application(application)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != ApplicationStatus.APPROVED:
        raise Conflict(gettext_noop("Both the community and the street must approve first."))
    username = checked_text(username, gettext_noop("user name"), required=True, max_length=150)
    users = get_user_model()
    if users.objects.filter(username__iexact=username).exists():
        raise Conflict(gettext_noop("This user name is taken."), code="duplicate")
    now = at or timeutil.now()
    user = users(username=username, display_name=locked.name)
    user.set_phone(locked.phone)
    user.set_unusable_password()
    user.save()
    role = roles.STEWARD if locked.kind == StewardKind.STEWARD else roles.PATROL
    post = grid_services.assign_post(
        user=user,
        role=role,
        node=locked.node,
        title=STEWARD_TITLES[StewardKind(locked.kind)],
        duty=checked_text(station_duty, gettext_noop("station duty")),
        public_phone=checked_text(public_phone, gettext_noop("public phone"), max_length=32),
    )
    locked.status = ApplicationStatus.APPOINTED
    locked.updated_at = now
    locked.save(update_fields=["status", "updated_at"])
    return Steward.objects.create(
        jurisdiction_id=locked.jurisdiction_id,
        node=locked.node,
        application=locked,
        user=user,
        post=post,
        kind=locked.kind,
        appointed_at=now,
        appointed_by=_user(actor),
        visits_per_month=max(int(visits_per_month), 0),
        hours_per_month=max(int(hours_per_month), 0),
        station_duty=station_duty,
    )


def _locked_steward(steward: Steward | int) -> Steward:
    pk = steward.pk if isinstance(steward, Steward) else int(steward)
    found = Steward.objects.select_for_update(of=("self",)).select_related("node", "post", "user").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@transaction.atomic
def step_down(*, steward: Steward | int, actor: Any, reason: str, at: datetime | None = None) -> Steward:
    """The steward steps down: their post ends at once (no case access from the next request on; the card goes)."""
    locked = _locked_steward(steward)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != StewardStatus.ACTIVE:
        raise Conflict(gettext_noop("The steward has already stepped down."))
    locked.step_down_reason = checked_text(reason, gettext_noop("reason"), required=True)
    if locked.post is not None:
        grid_services.end_post(post=locked.post)
    locked.status = StewardStatus.STEPPED_DOWN
    locked.stepped_down_at = at or timeutil.now()
    locked.save(update_fields=["status", "stepped_down_at", "step_down_reason"])
    return locked


@transaction.atomic
def set_commitments(
    *, steward: Steward | int, actor: Any, visits_per_month: int, hours_per_month: int, station_duty: str = ""
) -> Steward:
    locked = _locked_steward(steward)
    _require(policies.can_manage(actor, locked.node))
    if not (0 <= int(visits_per_month) <= 200 and 0 <= int(hours_per_month) <= 300):
        raise DomainError(gettext_noop("Commitments are 0–200 visits and 0–300 hours a month."))
    locked.visits_per_month, locked.hours_per_month = int(visits_per_month), int(hours_per_month)
    locked.station_duty = checked_text(station_duty, gettext_noop("station duty"))
    locked.save(update_fields=["visits_per_month", "hours_per_month", "station_duty"])
    return locked


@transaction.atomic
def record_training(*, steward: Steward | int, actor: Any, day: date, topic: str, hours: Any) -> Training:
    locked = _locked_steward(steward)
    _require(policies.can_manage(actor, locked.node))
    if day > timeutil.local_today():
        raise DomainError(gettext_noop("A training is recorded once it took place."))
    return Training.objects.create(
        steward=locked,
        day=day,
        topic=checked_text(topic, gettext_noop("topic"), required=True),
        hours=hours_of(hours),
        by=_user(actor),
    )


@dataclass(frozen=True)
class AssessmentRow:
    """A steward's measured facts and score for a period, as the interface computed them
    (``analytics.formulas.steward_score``; rank None below the minimum sample)."""

    steward_id: int
    facts: dict[str, Any]
    score: Decimal | None
    rank: int | None
    ranked_among: int | None


@transaction.atomic
def record_assessments(*, first_day: date, last_day: date, rows: Iterable[AssessmentRow]) -> int:
    """Store (or replace) the assessments of a period. Returns how many."""
    if last_day < first_day:
        raise DomainError(gettext_noop("A period ends on or after its first day."))
    now = timeutil.now()
    count = 0
    for row in rows:
        Assessment.objects.update_or_create(
            steward_id=row.steward_id,
            first_day=first_day,
            last_day=last_day,
            defaults={
                "facts": row.facts,
                "score": row.score,
                "rank": row.rank,
                "ranked_among": row.ranked_among,
                "computed_at": now,
            },
        )
        count += 1
    return count


# ------------------------------------------------------------------------------------------------------- volunteers


@transaction.atomic
def register_volunteer(
    *,
    jurisdiction_id: int,
    name: str,
    phone: str,
    skills: str = "",
    availability: str = "",
    party_member: bool = False,
    work_unit: str = "",
    home: GridNode | None = None,
    at: datetime | None = None,
) -> Volunteer:
    """A volunteer's profile (again: updated), from the resident pages with their phone login."""
    digits, index = _phone(phone)
    if home is not None and (home.jurisdiction_id != jurisdiction_id or home.level != roles.COMMUNITY):
        raise DomainError(gettext_noop("The home community is not a community of this district."))
    fields = {
        "name": checked_text(name, gettext_noop("name"), required=True, max_length=64),
        "skills": checked_text(skills, gettext_noop("skills")),
        "availability": checked_text(availability, gettext_noop("when they can help")),
        "party_member": bool(party_member),
        "work_unit": checked_text(work_unit, gettext_noop("work unit"), max_length=100),
        "home": home,
    }
    found = Volunteer.objects.select_for_update().filter(jurisdiction_id=jurisdiction_id, phone_index=index).first()
    if found is not None:
        for key, value in fields.items():
            setattr(found, key, value)
        found.save(update_fields=list(fields))
        return found
    return Volunteer.objects.create(
        jurisdiction_id=jurisdiction_id, phone=digits, phone_index=index, created_at=at or timeutil.now(), **fields
    )


def volunteer_of(*, jurisdiction_id: int, phone: str) -> Volunteer | None:
    digits = crypto.normalise_phone(phone or "")
    if not digits:
        return None
    return Volunteer.objects.filter(jurisdiction_id=jurisdiction_id, phone_index=crypto.blind_index(digits)).first()


@transaction.atomic
def report_in(*, volunteer: Volunteer, community: GridNode, at: datetime | None = None) -> ReportIn:
    """我是党员我报到: a volunteer reports in to a community (approved by it)."""
    if community.level != roles.COMMUNITY or community.jurisdiction_id != volunteer.jurisdiction_id:
        raise DomainError(gettext_noop("Report in to a community of this district."))
    try:
        with transaction.atomic():
            return ReportIn.objects.create(volunteer=volunteer, community=community, created_at=at or timeutil.now())
    except IntegrityError:
        raise Conflict(gettext_noop("You have already reported in to this community."), code="duplicate") from None


@transaction.atomic
def decide_report_in(
    *, report_in: ReportIn | int, actor: Any, approved: bool, reason: str = "", at: datetime | None = None
) -> ReportIn:
    pk = report_in.pk if isinstance(report_in, ReportIn) else int(report_in)
    found = ReportIn.objects.select_for_update(of=("self",)).select_related("community").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_manage(actor, found.community))
    if found.status != ReportInStatus.PENDING:
        raise Conflict(gettext_noop("This report-in has been decided."))
    found.status = ReportInStatus.APPROVED if approved else ReportInStatus.REJECTED
    found.reason = checked_text(reason, gettext_noop("reason"), required=not approved)
    found.decided_by, found.decided_at = _user(actor), at or timeutil.now()
    found.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    return found


@transaction.atomic
def create_team(*, actor: Any, community: GridNode, name: str) -> Team:
    _require(policies.can_manage(actor, community))
    try:
        with transaction.atomic():
            return Team.objects.create(
                community=community, name=checked_text(name, gettext_noop("name"), required=True)
            )
    except IntegrityError:
        raise Conflict(gettext_noop("A team of this name exists."), code="duplicate") from None


@transaction.atomic
def set_team_members(*, team: Team, actor: Any, volunteers: Iterable[Volunteer]) -> Team:
    _require(policies.can_manage(actor, team.community))
    chosen = list(volunteers)
    if any(v.jurisdiction_id != team.community.jurisdiction_id for v in chosen):
        raise DomainError(gettext_noop("A volunteer of another district."))
    team.members.set(chosen)
    return team


# ------------------------------------------------------------------------------------------------------- activities


@transaction.atomic
def create_activity(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    place: str,
    starts: datetime,
    ends: datetime,
    capacity: int,
    description: str = "",
    skills: str = "",
    team: Team | None = None,
    lat: float | None = None,
    lon: float | None = None,
    at: datetime | None = None,
) -> Activity:
    _require(policies.can_manage(actor, node))
    if ends <= starts:
        raise DomainError(gettext_noop("An activity ends after it starts."))
    if not 1 <= int(capacity) <= 10_000:
        raise DomainError(gettext_noop("An activity has 1 to 10,000 places."))
    if team is not None and not team.community.is_ancestor_of(node) and not node.is_ancestor_of(team.community):
        raise DomainError(gettext_noop("The team is of another community."))
    return Activity.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        team=team,
        title=checked_text(title, gettext_noop("title"), required=True, max_length=120),
        description=checked_text(description, gettext_noop("description"), max_length=2000),
        place=checked_text(place, gettext_noop("place"), required=True),
        lat=lat,
        lon=lon,
        starts=starts,
        ends=ends,
        capacity=int(capacity),
        skills=checked_text(skills, gettext_noop("skills wanted")),
        created_by=_user(actor),
        created_at=at or timeutil.now(),
    )


def _locked_activity(activity: Activity | int) -> Activity:
    pk = activity.pk if isinstance(activity, Activity) else int(activity)
    found = Activity.objects.select_for_update(of=("self",)).select_related("node").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@transaction.atomic
def sign_up(*, activity: Activity | int, volunteer: Volunteer, at: datetime | None = None) -> SignUp:
    """A volunteer signs up: a place while there is one, else the waiting list. The activity row is locked, so the
    places are never over-booked however many sign up at once."""
    locked = _locked_activity(activity)
    now = at or timeutil.now()
    if locked.status != ActivityStatus.PUBLISHED or locked.ends <= now:
        raise Conflict(gettext_noop("The activity takes no more sign-ups."))
    if volunteer.jurisdiction_id != locked.jurisdiction_id:
        raise DomainError(gettext_noop("A volunteer of another district."))
    status = SignUpStatus.CONFIRMED if locked.taken < locked.capacity else SignUpStatus.WAITING
    try:
        with transaction.atomic():
            entry = SignUp.objects.create(activity=locked, volunteer=volunteer, status=status, signed_up_at=now)
    except IntegrityError:
        raise Conflict(gettext_noop("You have already signed up."), code="duplicate") from None
    if status == SignUpStatus.CONFIRMED:
        Activity.objects.filter(pk=locked.pk).update(taken=F("taken") + 1)
    return entry


@transaction.atomic
def cancel_sign_up(*, sign_up: SignUp | int, volunteer: Volunteer | None = None, at: datetime | None = None) -> SignUp:
    """A volunteer cancels (before the start): their place goes to the first on the waiting list."""
    pk = sign_up.pk if isinstance(sign_up, SignUp) else int(sign_up)
    entry = SignUp.objects.select_related("activity").filter(pk=pk).first()
    if entry is None or (volunteer is not None and entry.volunteer_id != volunteer.pk):
        raise NotFound(NOT_FOUND)
    locked = _locked_activity(entry.activity_id)
    entry.refresh_from_db()
    now = at or timeutil.now()
    if entry.status == SignUpStatus.CANCELLED:
        raise Conflict(gettext_noop("Already cancelled."))
    if locked.starts <= now:
        raise Conflict(gettext_noop("The activity has begun: it cannot be cancelled now."))
    held = entry.status == SignUpStatus.CONFIRMED
    entry.status = SignUpStatus.CANCELLED
    entry.save(update_fields=["status"])
    if held:
        first = (
            SignUp.objects.filter(activity=locked, status=SignUpStatus.WAITING).order_by("signed_up_at", "pk").first()
        )
        if first is not None:
            first.status = SignUpStatus.CONFIRMED
            first.save(update_fields=["status"])
        else:
            Activity.objects.filter(pk=locked.pk).update(taken=F("taken") - 1)
    return entry


@transaction.atomic
def cancel_activity(*, activity: Activity | int, actor: Any, at: datetime | None = None) -> Activity:
    """Staff call an activity off before it ends: it leaves the public lists and takes no more sign-ups; its sign-ups
    stay as they were (the volunteers see it cancelled)."""
    locked = _locked_activity(activity)
    _require(policies.can_manage(actor, locked.node))
    if locked.status != ActivityStatus.PUBLISHED:
        raise Conflict(gettext_noop("The activity is cancelled already."))
    if locked.ends <= (at or timeutil.now()):
        raise Conflict(gettext_noop("The activity is over: it cannot be cancelled."))
    locked.status = ActivityStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked


def _hours_between(start: datetime, end: datetime) -> Decimal:
    seconds = Decimal((end - start).total_seconds())
    return max(Decimal("0.01"), (seconds / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@transaction.atomic
def check_in(*, token: str, volunteer: Volunteer, at: datetime | None = None) -> SignUp:
    """At the activity, the volunteer scans its check-in QR code (from half an hour before the start to the end)."""
    found = Activity.objects.filter(check_in_token=str(token)[:32]).only("pk").first()
    if found is None:
        raise NotFound(NOT_FOUND)
    locked = _locked_activity(found.pk)
    now = at or timeutil.now()
    if not (locked.starts - timedelta(minutes=30) <= now <= locked.ends):
        raise Conflict(gettext_noop("Check-in is open from half an hour before the start until the end."))
    entry = SignUp.objects.filter(activity=locked, volunteer=volunteer, status=SignUpStatus.CONFIRMED).first()
    if entry is None:
        raise Conflict(gettext_noop("You have no place at this activity."), code="no_place")
    if entry.checked_in_at is not None:
        raise Conflict(gettext_noop("Already checked in."), code="duplicate")
    entry.checked_in_at = now
    entry.save(update_fields=["checked_in_at"])
    return entry


@transaction.atomic
def check_out(*, token: str, volunteer: Volunteer, at: datetime | None = None) -> Hours:
    """The volunteer scans the check-out QR code: the hours between check-in and check-out (across midnight too) are
    submitted for approval, once per activity."""
    found = Activity.objects.filter(check_out_token=str(token)[:32]).only("pk").first()
    if found is None:
        raise NotFound(NOT_FOUND)
    locked = _locked_activity(found.pk)
    now = at or timeutil.now()
    entry = SignUp.objects.filter(activity=locked, volunteer=volunteer, status=SignUpStatus.CONFIRMED).first()
    if entry is None or entry.checked_in_at is None:
        raise Conflict(gettext_noop("Check in first."), code="not_checked_in")
    if entry.checked_out_at is not None:
        raise Conflict(gettext_noop("Already checked out."), code="duplicate")
    if now < entry.checked_in_at:
        raise DomainError(gettext_noop("Check-out comes after check-in."))
    entry.checked_out_at = now
    entry.save(update_fields=["checked_out_at"])
    hours = min(_hours_between(entry.checked_in_at, now), MAX_HOURS_A_DAY)
    return Hours.objects.create(
        volunteer=volunteer,
        community=locked.node,
        activity=locked,
        day=timeutil.local(entry.checked_in_at).date(),
        hours=hours,
        description=locked.title[:200],
        created_at=now,
    )


@transaction.atomic
def submit_hours(
    *, volunteer: Volunteer, community: GridNode, day: date, hours: Any, description: str, at: datetime | None = None
) -> Hours:
    """Hours of service outside an activity, submitted by the volunteer for the community's approval."""
    if community.jurisdiction_id != volunteer.jurisdiction_id:
        raise DomainError(gettext_noop("A community of another district."))
    if day > timeutil.local_today():
        raise DomainError(gettext_noop("Hours are submitted once the service is done."))
    return Hours.objects.create(
        volunteer=volunteer,
        community=community,
        day=day,
        hours=hours_of(hours),
        description=checked_text(description, gettext_noop("what they did"), required=True),
        created_at=at or timeutil.now(),
    )


@transaction.atomic
def decide_hours(
    *, hours: Hours | int, actor: Any, approved: bool, reason: str = "", at: datetime | None = None
) -> Hours:
    pk = hours.pk if isinstance(hours, Hours) else int(hours)
    found = Hours.objects.select_for_update(of=("self",)).select_related("community").filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    _require(policies.can_manage(actor, found.community))
    if found.status != HoursStatus.SUBMITTED:
        raise Conflict(gettext_noop("These hours have been decided."))
    found.status = HoursStatus.APPROVED if approved else HoursStatus.REJECTED
    found.reason = checked_text(reason, gettext_noop("reason"), required=not approved)
    found.decided_by, found.decided_at = _user(actor), at or timeutil.now()
    found.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    return found


# ------------------------------------------------------------------------------------------------------- party, heads


@transaction.atomic
def add_party_unit(
    *,
    actor: Any,
    level: str,
    node: GridNode,
    name: str,
    parent: PartyUnit | None = None,
    building: Any = None,
    leader_name: str = "",
    leader_phone: str = "",
    members: int = 0,
    public: bool = True,
) -> PartyUnit:
    """A unit of the four-level party organisation (committee → branch → group → demonstration household), under its
    parent one level up."""
    _require(policies.can_manage(actor, node))
    order = list(PartyLevel.values)
    if level not in order:
        raise DomainError(gettext_noop("Unknown level of party unit."))
    if level == PartyLevel.COMMITTEE:
        if parent is not None:
            raise DomainError(gettext_noop("A community party committee has no parent unit here."))
    elif parent is None or order.index(parent.level) != order.index(level) - 1:
        raise DomainError(gettext_noop("A party unit sits under a unit one level up."))
    if parent is not None and not parent.node.is_ancestor_of(node):
        raise DomainError(gettext_noop("A party unit sits within its parent's area."))
    if building is not None and not node.is_ancestor_of(building.node):
        raise DomainError(gettext_noop("The building is outside the unit's area."))
    return PartyUnit.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        level=level,
        parent=parent,
        node=node,
        building=building,
        name=checked_text(name, gettext_noop("name"), required=True, max_length=100),
        leader_name=checked_text(leader_name, gettext_noop("secretary or leader"), max_length=64),
        leader_phone=checked_text(leader_phone, gettext_noop("public phone"), max_length=32),
        members=max(int(members), 0),
        public=bool(public),
    )


@transaction.atomic
def add_head(
    *, actor: Any, node: GridNode, title: str, name: str, position: str = "", public_phone: str = "", user: Any = None
) -> Head:
    """One of a compound's three heads (一院三长), shown publicly like a staff card."""
    _require(policies.can_manage(actor, node))
    if title not in HeadTitle.values:
        raise DomainError(gettext_noop("Unknown title."))
    return Head.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        title=title,
        name=checked_text(name, gettext_noop("name"), required=True, max_length=64),
        position=checked_text(position, gettext_noop("position"), max_length=100),
        public_phone=checked_text(public_phone, gettext_noop("public phone"), max_length=32),
        user=user,
    )


# ------------------------------------------------------------------------------------------------------- contact points


@transaction.atomic
def add_contact_point(
    *,
    actor: Any,
    leader: Any,
    kind: str,
    year: int,
    name: str = "",
    node: GridNode | None = None,
    target: int = 3,
) -> ContactPoint:
    """A leader's contact point for a year: a street, village or community (a grid node) or an enterprise (a name)."""
    if not policies.can_manage_contacts(actor):
        raise NotFound(NOT_FOUND)
    if kind not in ContactKind.values:
        raise DomainError(gettext_noop("Unknown kind of contact point."))
    if kind == ContactKind.ENTERPRISE:
        if not name.strip():
            raise DomainError(gettext_noop("Name the enterprise."))
        node = None
    elif node is None:
        raise DomainError(gettext_noop("Choose the street, village or community."))
    if not any(post.role == roles.LEADER for post in grid_selectors.active_posts(leader)):
        raise DomainError(gettext_noop("Contact points are a leader's."))
    if not 1 <= int(target) <= 20:
        raise DomainError(gettext_noop("A target is 1 to 20 problems."))
    jurisdiction_id = node.jurisdiction_id if node else grid_selectors.active_posts(leader)[0].jurisdiction_id
    try:
        with transaction.atomic():
            return ContactPoint.objects.create(
                jurisdiction_id=jurisdiction_id,
                leader=leader,
                kind=kind,
                node=node,
                name=checked_text(name or (node.name if node else ""), gettext_noop("name"), required=True),
                year=int(year),
                target=int(target),
            )
    except IntegrityError:
        raise Conflict(gettext_noop("This contact point exists for that year."), code="duplicate") from None


@transaction.atomic
def take_on(
    *,
    contact_point: ContactPoint | int,
    actor: Any,
    kind: str,
    ref_id: int,
    title: str,
    code: str = "",
    on: date | None = None,
) -> TakenOn:
    """The leader takes on a problem at their contact point (a case or a need the interface read and names)."""
    pk = contact_point.pk if isinstance(contact_point, ContactPoint) else int(contact_point)
    found = ContactPoint.objects.select_for_update().filter(pk=pk).first()
    if found is None or not (found.leader_id == getattr(actor, "pk", None) or policies.can_manage_contacts(actor)):
        raise NotFound(NOT_FOUND)
    if kind not in ProblemKind.values:
        raise DomainError(gettext_noop("Unknown kind of problem."))
    day = on or timeutil.local_today()
    if day.year != found.year:
        raise DomainError(gettext_noop("A problem is taken on in the contact point's year."))
    try:
        with transaction.atomic():
            return TakenOn.objects.create(
                contact_point=found,
                kind=kind,
                ref_id=int(ref_id),
                code=checked_text(code, gettext_noop("tracking code"), max_length=32),
                title=checked_text(title, gettext_noop("title"), required=True),
                taken_on=day,
                by=_user(actor),
            )
    except IntegrityError:
        raise Conflict(gettext_noop("This problem is already taken on here."), code="duplicate") from None


def mark_solved(*, taken_on: TakenOn | int, solved_on: date | None) -> TakenOn:
    """Record whether (and when) a problem taken on is solved, as the interface read it from the case or need."""
    pk = taken_on.pk if isinstance(taken_on, TakenOn) else int(taken_on)
    TakenOn.objects.filter(pk=pk).update(solved_on=solved_on)
    return TakenOn.objects.get(pk=pk)


# ------------------------------------------------------------------------------------------------------- errands


ERRAND_OPEN = (ErrandStatus.OFFERED, ErrandStatus.ACCEPTED)


def reported_in(volunteer: Volunteer, community: GridNode) -> bool:
    """The volunteer reported in to the community and it approved (vetted: the only volunteers offered errands)."""
    return ReportIn.objects.filter(volunteer=volunteer, community=community, status=ReportInStatus.APPROVED).exists()


@transaction.atomic
def offer_errand(
    *,
    volunteer: Volunteer | int,
    community: GridNode,
    case_id: int,
    tracking_code: str,
    summary: str,
    actor: Any,
    note: str = "",
    at: datetime | None = None,
) -> Errand:
    """代办: a case's handler offers its light errand to a volunteer reported in to the community (approved). The case
    is named by id and tracking code; ``summary`` (category and place) is written by the interface, without personal
    data. Whether the case may be handed on is the case engine's to say (the interface asks it in the same
    transaction)."""
    _require(policies.can_give_errands(actor, community))
    pk = volunteer.pk if isinstance(volunteer, Volunteer) else volunteer
    found = Volunteer.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    if community.level != roles.COMMUNITY or found.jurisdiction_id != community.jurisdiction_id:
        raise DomainError(gettext_noop("An errand goes to a volunteer of the case's community."))
    if not reported_in(found, community):
        raise DomainError(
            gettext_noop("This volunteer has not reported in to the community (approved): choose another."),
            code="not_reported_in",
        )
    try:
        with transaction.atomic():
            return Errand.objects.create(
                volunteer=found,
                community=community,
                case_id=int(case_id),
                tracking_code=checked_text(tracking_code, gettext_noop("tracking code"), max_length=32),
                summary=checked_text(summary, gettext_noop("what and where"), required=True),
                given_by=_user(actor),
                note=checked_text(note, gettext_noop("note for the volunteer"), max_length=500),
                created_at=at or timeutil.now(),
            )
    except IntegrityError:
        raise Conflict(gettext_noop("This volunteer already has this case's errand."), code="duplicate") from None


def _locked_errand(errand: Errand | int, volunteer: Volunteer | None = None) -> Errand:
    """The errand, locked; NotFound when there is none, or it is another volunteer's (``volunteer`` given)."""
    pk = errand.pk if isinstance(errand, Errand) else errand
    found = Errand.objects.select_for_update(of=("self",)).select_related("community").filter(pk=pk).first()
    if found is None or (volunteer is not None and found.volunteer_id != volunteer.pk):
        raise NotFound(NOT_FOUND)
    return found


def _answer(errand: Errand | int, volunteer: Volunteer, *, allowed: tuple[str, ...], status: str, at: Any) -> Errand:
    found = _locked_errand(errand, volunteer)
    if found.status not in allowed:
        raise Conflict(gettext_noop("This errand is no longer waiting for that."), code="errand_state")
    found.status = status
    found.answered_at = at or timeutil.now()
    found.save(update_fields=["status", "answered_at"])
    return found


@transaction.atomic
def accept_errand(*, errand: Errand | int, volunteer: Volunteer, at: datetime | None = None) -> Errand:
    """The volunteer takes the errand on (only theirs, only an offered one)."""
    return _answer(errand, volunteer, allowed=(ErrandStatus.OFFERED,), status=ErrandStatus.ACCEPTED, at=at)


@transaction.atomic
def decline_errand(*, errand: Errand | int, volunteer: Volunteer, at: datetime | None = None) -> Errand:
    """The volunteer cannot run it (offered, or taken on and then they cannot after all): the handler offers it to
    someone else or runs it themselves."""
    return _answer(errand, volunteer, allowed=ERRAND_OPEN, status=ErrandStatus.DECLINED, at=at)


@transaction.atomic
def finish_errand(
    *, errand: Errand | int, volunteer: Volunteer, result: str, hours: Any = None, at: datetime | None = None
) -> Errand:
    """The volunteer reports the errand they took on done, with what they did (the interface tells the case); the
    time it took, when given, is submitted as service hours for the community's approval like any other."""
    found = _locked_errand(errand, volunteer)
    if found.status != ErrandStatus.ACCEPTED:
        raise Conflict(gettext_noop("Take the errand on before you report it done."), code="errand_state")
    spent = hours_of(hours) if hours not in (None, "") else None
    found.result = checked_text(result, gettext_noop("what you did"), required=True, max_length=1000)
    found.status = ErrandStatus.DONE
    found.done_at = at or timeutil.now()
    found.save(update_fields=["result", "status", "done_at"])
    if spent is not None:
        Hours.objects.create(
            volunteer=found.volunteer,
            community=found.community,
            day=timeutil.local(found.done_at).date(),
            hours=spent,
            description=f"代办 {found.tracking_code}: {found.summary}"[:200],
            created_at=found.done_at,
        )
    return found


@transaction.atomic
def withdraw_errand(*, errand: Errand | int, actor: Any, at: datetime | None = None) -> Errand:
    """Staff take an errand back before it is done (the case changed, or nobody answered)."""
    found = _locked_errand(errand)
    _require(policies.can_give_errands(actor, found.community))
    if found.status not in ERRAND_OPEN:
        raise Conflict(gettext_noop("This errand is finished: it cannot be withdrawn."), code="errand_state")
    found.status = ErrandStatus.WITHDRAWN
    found.answered_at = at or timeutil.now()
    found.save(update_fields=["status", "answered_at"])
    return found
