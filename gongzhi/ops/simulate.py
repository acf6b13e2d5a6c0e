"""Drive a district through the real case services on a simulated clock (``gongzhi simulate``).

Every case is a small agent: at each step it looks at its own status and does what the people of the district would
do next (triage, dispatch by level, accept, sometimes hold or escalate, resolve, publish, rate), then schedules its
next step after a delay drawn from the practice's rhythms. The daily sweep runs at 02:00 simulated time, so late cases
get warnings, 督办 notices and automatic escalations exactly as in production. All randomness comes from one seed.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseCategory, CoHandlingTask
from gongzhi.core import prepared
from gongzhi.core.errors import DomainError
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, Department, GridNode, Jurisdiction, StaffPost
from gongzhi.notifications import services as notifications

# Practice figures (DESIGN.md §1): one county district, 21,140 requests in 15 months.
CASES_PER_MONTH = 1409
CHANNELS = {"qr": 34, "web": 18, "hotline": 22, "walk_in": 10, "phone": 5, "patrol": 9, "visit": 2}
# How often a handler at each level sends a case up instead of solving it (小区内循环 → 区级大循环).
ESCALATE_P = {"micro_grid": 0.06, "grid": 0.05, "community": 0.05, "street": 0.12, "district": 0.0}
HOLD_P = 0.04
ON_THE_SPOT_P = {"walk_in": 0.45, "patrol": 0.35, "visit": 0.30}
REJECT_P = 0.008
RATE_P = 0.82
SCORES = (("satisfied", 0.86), ("basically", 0.10), ("unsatisfied", 0.04))
LATE_P = 0.03  # share of handlers who miss the deadline
# While a micro-grid has an unresolved case, the chance that a new report there is the same problem (merged).
DUPLICATE_P = 0.2
WHISTLE_P = 0.15  # street-level cases where the street summons departments (吹哨报到)
# Simulated time between commits. Committing every simulated hour spent a tenth of the run writing the same pages
# to SQLite's log over and over.
BATCH = timedelta(days=1)
# How often a simulation refreshes the planner's statistics (core.prepared.refresh_statistics): a run inside one
# outer transaction (a test's, a caller's) writes rows autovacuum never sees.
STATISTICS_EVERY_BATCHES = 7
STATISTICS_EVERY_EVENTS = 10


@dataclass
class People:
    """Who acts for each unit, looked up once."""

    dispatcher: dict[int, Any] = field(default_factory=dict)  # owner node id -> user with CASE_DISPATCH there
    person: dict[int, Any] = field(default_factory=dict)  # grid / community node id -> user who takes cases there
    stewards: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))  # micro-grid -> stewards
    department_staff: dict[int, Any] = field(default_factory=dict)
    departments: dict[str, list[Department]] = field(default_factory=lambda: defaultdict(list))  # by kind
    users: dict[int, Any] = field(default_factory=dict)  # every acting user by id (their posts are read once)


@dataclass
class Result:
    cases: int = 0
    wall_seconds: float = 0.0
    service_calls: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    figures: dict[str, Any] = field(default_factory=dict)


def _load_people(jurisdiction: Jurisdiction) -> People:
    people = People()
    posts = (
        StaffPost.objects.filter(jurisdiction=jurisdiction, active=True).select_related("user", "node").order_by("id")
    )
    for post in posts:
        post.user = people.users.setdefault(post.user_id, post.user)
        if post.node_id is not None:
            if roles.can(post.role, roles.CASE_DISPATCH):
                people.dispatcher.setdefault(post.node_id, post.user)
            if post.role == roles.STEWARD:
                people.stewards[post.node_id].append(post.user)
            elif roles.can(post.role, roles.CASE_ACCEPT):
                people.person.setdefault(post.node_id, post.user)
        elif post.department_id is not None:
            people.department_staff.setdefault(post.department_id, post.user)
    for department in Department.objects.filter(jurisdiction=jurisdiction, active=True).order_by("code"):
        if department.pk in people.department_staff:
            people.departments[department.kind].append(department)
    return people


DAYS_PER_MONTH = 30.44


def window(months: int, until: date | None = None) -> tuple[datetime, datetime]:
    """The simulated stretch: ``months`` (of ``DAYS_PER_MONTH`` days) ending at local midnight before ``until``
    (default today). Anchored to a day, not to the hour of the run, so a seed repeats the same run all day — and on
    any day with an explicit ``until``."""
    end = timezone.make_aware(datetime.combine(until or timezone.localdate(), clock.min))
    return end - timedelta(days=round(months * DAYS_PER_MONTH)), end


class Simulation:
    def __init__(
        self,
        jurisdiction: Jurisdiction,
        *,
        months: int,
        seed: int,
        start: datetime | None = None,
        per_month: int = CASES_PER_MONTH,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.rng = random.Random(seed)
        self.months = months
        self.per_month = per_month  # requests a month on average (the practice's volume by default)
        self.start = start or window(months)[0]
        self.end = self.start + timedelta(days=round(months * DAYS_PER_MONTH))
        self.people = _load_people(jurisdiction)
        grid_selectors.prime_posts(self.people.users.values())  # the permission checks' reads, in one query
        self.buildings = list(Building.objects.filter(jurisdiction=jurisdiction).order_by("pk"))
        leaves = list(CaseCategory.objects.filter(jurisdiction=jurisdiction, active=True, children__isnull=True))
        if not leaves or not self.buildings:
            raise DomainError("the jurisdiction needs buildings and case categories (run `gongzhi demo`)")
        self.categories = leaves
        # Most requests are small matters of the neighbourhood: weight categories by where they are handled, so that
        # before escalations about 70 % of arrivals belong to the community or below, 20 % to the street, 10 % to the
        # district (the catalogue has many more street-level categories than street-level volume).
        self.category_weights = [
            {"micro_grid": 5, "grid": 4, "community": 4, "street": 1.25, "district": 1.7}[c.default_level]
            for c in leaves
        ]
        self.nodes = {n.pk: n for n in GridNode.objects.filter(jurisdiction=jurisdiction)}
        # Cases in these categories are never published (公示): services.publish refuses them.
        self.private_categories = set(
            CaseCategory.objects.filter(jurisdiction=jurisdiction, private=True).values_list("pk", flat=True)
        )
        self.queue: list[tuple[datetime, int, int]] = []
        self.counter = 0
        self.calls = 0
        self.last_escalated_level: dict[int, str] = {}
        self.category_of: dict[int, CaseCategory] = {}  # the true category of each case, known to the simulation
        self.duplicate_of: dict[int, int] = {}  # case -> the open case it repeats
        self.open_by_node: dict[int, int] = {}  # micro-grid -> its latest unresolved case
        self.failures: dict[int, int] = {}  # case -> consecutive failed steps
        self.reviewed: set[int] = set()  # cases a dispatcher has looked at (to reject or merge)
        self.stuck: Counter[str] = Counter()  # why cases were given up on (should stay empty)
        # The latest copy of each case the simulation changed; dropped whenever something else may have changed it
        # (the daily sweep, a duplicate's merge or rating, a department reporting in).
        self.live: dict[int, Case] = {}
        self.clock = self.start  # the simulated moment of the service call under way (notifications are stamped so)

    # -------------------------------------------------------------------------------------------------- schedule
    def _schedule(self, at: datetime, case_id: int) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, case_id))

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    # ------------------------------------------------------------------------------------------------------- run
    def run(self, progress: Any = None) -> Result:
        """Play the months through. The simulation is its own worker: it commits once per simulated day (every
        service call still runs in its own atomic block, a savepoint inside that day's transaction: a few hundred
        calls for the demo district) and then sends the day's queued text messages in one batch, as ``gongzhi
        worker`` does with GONGZHI_SMS_DELIVERY=worker, to the null backend."""
        started = time.perf_counter()
        arrivals = self._arrival_times()
        day = self.start.replace(hour=2)
        if day < self.start:
            day += timedelta(days=1)
        state = {"next_arrival": 0, "day": day}
        total_days = (self.end - self.start).days or 1
        # Simulated residents have made-up phone numbers (possibly someone's real one) and simulated staff are told
        # about the past: everything the services write to the outbox and the inboxes in here is marked simulated on
        # its row, at the simulated time (notifications.simulation). Whichever process sends a simulated text message
        # — this one below, or a `gongzhi worker` running beside it — gives it to the null backend, never to the
        # configured gateway; inbox rows are written already read. The messages are queued and sent once a simulated
        # day, as `gongzhi worker` does with GONGZHI_SMS_DELIVERY=worker.
        delivery = settings.GONGZHI_SMS_DELIVERY
        settings.GONGZHI_SMS_DELIVERY = "worker"
        try:
            with notifications.simulation(clock=lambda: self.clock):
                batch_end = self.start + BATCH
                more = True
                batches = 0
                while more:
                    if batches % STATISTICS_EVERY_BATCHES == 0:
                        prepared.refresh_statistics()  # the cases so far, committed or not (core.prepared)
                    batches += 1
                    with transaction.atomic():
                        more = self._play_until(batch_end, arrivals, state, total_days, progress)
                    notifications.deliver_queued(limit=100_000)
                    batch_end += BATCH
        finally:
            settings.GONGZHI_SMS_DELIVERY = delivery
        result = Result(cases=len(arrivals), wall_seconds=time.perf_counter() - started, service_calls=self.calls)
        result.statuses = Counter(
            Case.objects.filter(jurisdiction=self.jurisdiction, submitted_at__gte=self.start).values_list(
                "status", flat=True
            )
        )
        return result

    def _play_until(
        self, batch_end: datetime, arrivals: list[datetime], state: dict[str, Any], total_days: int, progress: Any
    ) -> bool:
        """Everything that happens before ``batch_end``; False once the simulation is over."""
        while True:
            next_arrival, day = state["next_arrival"], state["day"]
            upcoming = [
                x
                for x in (
                    arrivals[next_arrival] if next_arrival < len(arrivals) else None,
                    self.queue[0][0] if self.queue else None,
                )
                if x is not None
            ]
            if not upcoming and day > self.end:
                return False
            moment = min(upcoming) if upcoming else day
            if day <= moment and day <= self.end:
                if day >= batch_end:
                    return True
                self.clock = day
                services.sweep(jurisdiction=self.jurisdiction, at=day)
                self.live.clear()
                self.calls += 1
                if progress:
                    progress((day - self.start).days, total_days)
                state["day"] = day + timedelta(days=1)
                continue
            if moment > self.end:
                return False
            if moment >= batch_end:
                return True
            if next_arrival < len(arrivals) and arrivals[next_arrival] == moment:
                state["next_arrival"] = next_arrival + 1
                self._arrive(moment)
            else:
                _at, _n, case_id = heapq.heappop(self.queue)
                self._act(case_id, moment)

    def _arrival_times(self) -> list[datetime]:
        """Poisson arrivals with a daily rhythm (few at night) and fewer at weekends."""
        times: list[datetime] = []
        per_day = self.per_month / DAYS_PER_MONTH

        def hour_weight(hour: int) -> float:
            return 0.15 if hour < 7 or hour >= 22 else (1.6 if 8 <= hour < 18 else 1.0)

        def day_weight(weekday: int) -> float:
            return 0.7 if weekday >= 5 else 1.0

        # The rhythm moves arrivals around the week; dividing by its mean keeps the monthly volume at the practice's.
        mean = sum(hour_weight(h) for h in range(24)) / 24 * sum(day_weight(d) for d in range(7)) / 7
        moment = self.start
        while moment < self.end:
            local = timezone.localtime(moment)
            rate_per_hour = per_day / 24 * hour_weight(local.hour) * day_weight(local.weekday()) / mean
            count = self._poisson(rate_per_hour)
            for _ in range(count):
                times.append(moment + timedelta(seconds=self.rng.uniform(0, 3600)))
            moment += timedelta(hours=1)
        times.sort()
        return times

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    # ---------------------------------------------------------------------------------------------------- agents
    def _arrive(self, at: datetime) -> None:
        channel = self.rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
        category = self.rng.choices(self.categories, weights=self.category_weights)[0]
        building = self.rng.choice(self.buildings)
        recorder = None
        earlier = self.open_by_node.get(building.node_id)
        if earlier is not None and self.rng.random() < DUPLICATE_P:
            category = self.category_of[earlier]  # the same problem, seen by a neighbour
        else:
            earlier = None
        if channel in ("walk_in", "patrol", "visit", "phone"):
            grid_node = self.nodes[self.nodes[building.node_id].parent_id]
            recorder = self.people.person.get(grid_node.pk)
        phone = f"1{self.rng.choice('3589')}{self.rng.randint(100000000, 999999999)}" if self.rng.random() < 0.7 else ""
        case = self._svc(
            services.submit,
            jurisdiction=self.jurisdiction,
            channel=channel,
            title=f"{category.name}：{building.name}附近",
            description=category.description,
            category=None,
            reporter_phone=phone,
            building=building,
            recorded_by=recorder,
            at=at,
        )
        self.calls += 1
        self.category_of[case.pk] = category
        if earlier is not None:
            self.duplicate_of[case.pk] = earlier
        else:
            self.open_by_node[building.node_id] = case.pk
        if recorder is not None and self.rng.random() < ON_THE_SPOT_P.get(channel, 0):
            self._svc(services.resolve, case=case, actor=recorder, result="现场答复并解决", on_the_spot=True, at=at)
            self.calls += 1
            if self.open_by_node.get(building.node_id) == case.pk:
                del self.open_by_node[building.node_id]
            self._schedule(at + self._minutes(60, 3 * 1440), case.pk)
            return
        self._schedule(at + self._minutes(10, 180), case.pk)

    def _svc(self, service: Any, **kwargs: Any) -> Any:
        """Call a service at its simulated moment and keep the case it returns: the next step starts from it instead
        of reading it again."""
        self.clock = kwargs["at"]
        result = service(**kwargs)
        if isinstance(result, Case):
            self.live[result.pk] = result
        return result

    def _act(self, case_id: int, at: datetime) -> None:
        case = self.live.get(case_id) or prepared.get(Case, case_id)
        assert case is not None
        try:
            nxt = self._step(case, at)
            self.failures.pop(case_id, None)
        except DomainError as exc:
            self.live.pop(case_id, None)
            # A race with the sweep (e.g. it escalated the case a moment ago): look again shortly. A case that keeps
            # failing is left where it is and reported, so a broken rule shows up instead of looping.
            self.failures[case_id] = self.failures.get(case_id, 0) + 1
            if self.failures[case_id] >= 3:
                self.stuck[f"{case.status}: {exc}"[:160]] += 1
                return
            nxt = at + self._minutes(5, 30)
        if nxt is not None:
            self._schedule(nxt, case_id)

    def _step(self, case: Case, at: datetime) -> datetime | None:
        status = case.status
        if status in (t.SUBMITTED, t.TRIAGED) and case.pk not in self.reviewed:
            # The dispatcher's first look, whether smart triage already sorted the case or not: refuse what cannot be
            # taken on, merge a neighbour's report of the same problem. (A refused attempt is looked at again.)
            dispatcher = self.people.dispatcher[case.owner_node_id]
            if self.rng.random() < REJECT_P:
                self._svc(services.reject, case=case, actor=dispatcher, reason="信息不完整，无法受理", at=at)
                self.calls += 1
                return None
            original = self.duplicate_of.get(case.pk)
            if original is not None:
                parent = prepared.get(Case, original, only=("status",))
                if parent is not None and parent.status not in t.FINAL:
                    self._svc(services.merge, case=case, into=original, actor=dispatcher, at=at)
                    self.live.pop(original, None)
                    self.calls += 1
                    return at + self._minutes(3 * 1440, 6 * 1440)  # the neighbour rates once the parent is resolved
            self.reviewed.add(case.pk)
        if status == t.SUBMITTED:
            dispatcher = self.people.dispatcher[case.owner_node_id]
            self._svc(services.triage, case=case, actor=dispatcher, category=self.category_of[case.pk], at=at)
            self.calls += 1
            return at + self._minutes(5, 90)
        if status == t.MERGED:
            parent = prepared.get(Case, case.merged_into_id, only=("status",))
            if parent is not None and parent.status in (t.RESOLVED, t.CLOSED) and self.rng.random() < RATE_P:
                self._svc(
                    services.rate, case=case, actor=None, score="satisfied", solved=True, verified_reporter=True, at=at
                )
                self.calls += 1
            return None
        if status == t.TRIAGED:
            if case.level == roles.STREET and self.rng.random() < WHISTLE_P:
                self._whistle(case, at)
            self._dispatch(case, at)
            return at + self._minutes(5, 240)
        if status == t.DISPATCHED:
            self._svc(services.accept, case=case, actor=self._taker(case), at=at)
            self.calls += 1
            return at + self._minutes(30, 600)
        if status == t.ACCEPTED:
            return self._handle(case, at)
        if status == t.ON_HOLD:
            self._svc(services.resume, case=case, actor=self._handler(case), at=at)
            self.calls += 1
            return at + self._minutes(60, 1440)
        if status == t.RESOLVED:
            if not case.public and self.rng.random() < 0.5 and case.category_id not in self.private_categories:
                self._svc(services.publish, case=case, actor=self.people.dispatcher[case.owner_node_id], at=at)
                self.calls += 1
            if self.rng.random() < RATE_P:
                score = self.rng.choices([s for s, _ in SCORES], weights=[w for _, w in SCORES])[0]
                self._svc(
                    services.rate,
                    case=case,
                    actor=None,
                    score=score,
                    solved=score != "unsatisfied",
                    verified_reporter=True,
                    at=at + self._minutes(1, 5),
                )
                self.calls += 1
                return at + self._minutes(30, 600) if score == "unsatisfied" else None
            return None  # left unrated: the sweep closes it after the rating period
        return None

    def _whistle(self, case: Case, at: datetime) -> None:
        """吹哨: the street summons one or two departments; they report in before the case can be resolved."""
        kinds = [k for k, ds in self.people.departments.items() if ds and k != "property"]
        chosen = {self.people.departments[k][0] for k in self.rng.sample(kinds, k=min(2, len(kinds)))}
        self._svc(
            services.whistle,
            case=case,
            actor=self.people.dispatcher[case.owner_node_id],
            departments=chosen,
            task="到场联合处置并反馈",
            at=at,
        )
        self.calls += 1

    def _report_in(self, case: Case, at: datetime) -> None:
        if not case.open_co_tasks:
            return
        self.live.pop(case.pk, None)
        self.clock = at
        for task in CoHandlingTask.objects.filter(case=case, status="summoned"):
            services.report_in(
                task=task,
                actor=self.people.department_staff[task.department_id],
                report="已到场处置，情况已反馈",
                at=at,
            )
            self.calls += 1

    def _handle(self, case: Case, at: datetime) -> datetime:
        level = case.level
        if self.rng.random() < ESCALATE_P.get(level, 0) and self.last_escalated_level.get(case.pk) != level:
            self.last_escalated_level[case.pk] = level
            self._svc(
                services.escalate, case=case, actor=self._handler(case), reason="超出本级处置能力，申请上级协调", at=at
            )
            self.calls += 1
            return at + self._minutes(10, 120)
        if self.rng.random() < HOLD_P:
            self._svc(services.hold, case=case, actor=self._handler(case), reason="等待配件或居民在家时间", at=at)
            self.calls += 1
            return at + self._minutes(600, 3 * 1440)
        # Resolve: most well inside the deadline, a few late.
        due = case.resolve_due or at + timedelta(days=3)
        remaining = max((due - at).total_seconds() / 60, 30)
        delay = remaining * (self.rng.uniform(1.05, 1.8) if self.rng.random() < LATE_P else self.rng.uniform(0.05, 0.8))
        finish = at + timedelta(minutes=delay)
        self._report_in(case, finish - timedelta(minutes=min(delay / 2, 60)))
        if self.open_by_node.get(case.grid_node_id or 0) == case.pk:
            del self.open_by_node[case.grid_node_id or 0]
        self._svc(
            services.resolve, case=case, actor=self._handler(case), result="已按要求处置完毕，现场已复核", at=finish
        )
        self.calls += 1
        return finish + self._minutes(60, 3 * 1440)

    def _dispatch(self, case: Case, at: datetime) -> None:
        owner = self.nodes[case.owner_node_id]
        dispatcher = self.people.dispatcher[owner.pk]
        level = case.level
        base = self.nodes[case.grid_node_id] if case.grid_node_id else owner
        category = self.category_of.get(case.pk)
        if level == roles.MICRO_GRID and base.level == roles.MICRO_GRID and self.people.stewards.get(base.pk):
            self._svc(services.dispatch, case=case, actor=dispatcher, node=base, pool=True, at=at)
        elif level in (roles.MICRO_GRID, roles.GRID) and base.level in (roles.MICRO_GRID, roles.GRID):
            grid = base if base.level == roles.GRID else self.nodes[base.parent_id]
            self._svc(services.dispatch, case=case, actor=dispatcher, user=self.people.person[grid.pk], at=at)
        elif owner.level == roles.COMMUNITY:
            self._svc(
                services.dispatch, case=case, actor=dispatcher, user=self.people.person.get(owner.pk, dispatcher), at=at
            )
        else:
            department = self._department_for(category, owner)
            if department is not None:
                self._svc(services.dispatch, case=case, actor=dispatcher, department=department, at=at)
            else:
                self._svc(services.dispatch, case=case, actor=dispatcher, user=dispatcher, at=at)
        self.calls += 1

    def _department_for(self, category: CaseCategory | None, owner: GridNode) -> Department | None:
        kind = category.default_department_kind if category else ""
        candidates = self.people.departments.get(kind or "", [])
        local = [d for d in candidates if d.service_area_id == owner.pk]
        wide = [d for d in candidates if d.service_area_id is None]
        if owner.level == roles.STREET and local:
            return local[0]
        if wide or local:
            return (wide or local)[0]
        # No department of the category's kind: the district's general office (any district-wide department) takes it.
        anywhere = [d for ds in self.people.departments.values() for d in ds if d.service_area_id is None]
        return min(anywhere, key=lambda d: d.code) if anywhere else None

    def _handler(self, case: Case) -> Any:
        return self.people.users[case.handler_user_id]

    def _taker(self, case: Case) -> Any:
        if case.handler_user_id is not None:
            return self._handler(case)
        if case.pooled:
            return self.rng.choice(self.people.stewards[case.handler_node_id])
        if case.handler_department_id is not None:
            return self.people.department_staff[case.handler_department_id]
        return self.people.person[case.handler_node_id]


# -------------------------------------------------------------------------------------------- the service market

# Residents who book a market day, on average (the practice's daily market: a few dozen); ``gongzhi demo`` plays fewer
# to stay quick. Each picks a service by these weights — a haircut is wanted most, and its early slots fill first,
# so its waiting list moves — and a slot, the morning's first ones more often.
MARKET_PER_EVENT = 24
MARKET_WEIGHTS = {"理发": 4.0, "义诊": 2.0}
MARKET_RESIDENTS = 80  # residents per community who come to the market (their numbers are made up)
MARKET_SENIOR_P = 0.45  # … aged 60 and over
MARKET_GROUPS = (("低保", 0.06), ("特困", 0.02))
MARKET_DOUBLE_P = 0.03  # a resident tries to book the same service twice (refused)
MARKET_CANCEL_P = 0.12
MARKET_SHOW_P = 0.85  # a confirmed resident comes to the stall
MARKET_CORRECT_P = 0.06  # the stall corrects the age declared
MARKET_WALK_UPS = (0, 1, 1, 2)  # residents without a booking per market day
MARKET_BOOKING_DAYS = 5  # residents book up to this many days ahead
MARKET_AHEAD_DAYS = 5  # upcoming days that already have bookings


@dataclass(frozen=True)
class MarketResident:
    phone: str
    name: str
    age: int
    groups: tuple[str, ...]


@dataclass
class MarketResult:
    events: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0


class MarketSimulation:
    """Residents book the market's slots days ahead (some twice, refused), some cancel (the waiting list moves up),
    the stall checks in those who come (correcting an age now and then), serves walk-ups and closes the day (the rest
    are no-shows) — through ``market.services``, on a simulated clock, for every event of the jurisdiction from
    ``first`` up to yesterday that has no booking yet; upcoming events up to ``ahead`` days get the bookings made so
    far. One seed, one run."""

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        *,
        seed: int = 2026,
        first: date | None = None,
        now: datetime | None = None,
        ahead: int = MARKET_AHEAD_DAYS,
        per_event: float = MARKET_PER_EVENT,
    ) -> None:
        from gongzhi.market.models import Event

        self.jurisdiction = jurisdiction
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.today = timezone.localtime(self.now).date()
        self.clock = self.now
        self.result = MarketResult()
        self.per_event = per_event
        events = Event.objects.filter(node__jurisdiction=jurisdiction, status="published", bookings__isnull=True)
        if first is not None:
            events = events.filter(day__gte=first)
        self.events = list(
            events.filter(day__lte=self.today + timedelta(days=ahead)).select_related("node").order_by("day", "pk")
        )
        self.desk: dict[int, Any] = {}  # community id -> a community worker who keeps the stall
        for post in StaffPost.objects.filter(
            jurisdiction=jurisdiction, active=True, role=roles.COMMUNITY_STAFF, node__isnull=False
        ).select_related("user"):
            self.desk.setdefault(post.node_id or 0, post.user)
        grid_selectors.prime_posts(self.desk.values())
        self.residents: dict[int, list[MarketResident]] = {}

    def _residents(self, node: GridNode) -> list[MarketResident]:
        if node.pk not in self.residents:
            rng = random.Random(f"{node.pk}")  # the same people whichever events are simulated
            people = []
            for n in range(MARKET_RESIDENTS):
                senior = rng.random() < MARKET_SENIOR_P
                groups = tuple(g for g, p in MARKET_GROUPS if rng.random() < p)
                people.append(
                    MarketResident(
                        phone=f"1{rng.choice('3589')}{node.pk % 10}{n:03d}{rng.randint(10000, 99999)}",
                        name=rng.choice("王李张刘陈杨赵黄周吴徐孙") + rng.choice(("阿姨", "大爷", "女士", "先生")),
                        age=rng.randint(60, 88) if senior else rng.randint(22, 59),
                        groups=groups,
                    )
                )
            self.residents[node.pk] = people
        return self.residents[node.pk]

    def run(self) -> MarketResult:
        from gongzhi.market import selectors as market_selectors
        from gongzhi.market.models import BookingEvent

        started = time.perf_counter()
        delivery = settings.GONGZHI_SMS_DELIVERY
        settings.GONGZHI_SMS_DELIVERY = "worker"
        try:
            with notifications.simulation(clock=lambda: self.clock):
                for event in self.events:
                    if event.node_id not in self.desk:
                        continue
                    if self.result.events % STATISTICS_EVERY_EVENTS == 0:
                        prepared.refresh_statistics()  # the market days and bookings so far (core.prepared)
                    with transaction.atomic():
                        self._event(event, market_selectors.offerings(event))
                    self.result.events += 1
                notifications.deliver_queued(limit=100_000)
        finally:
            settings.GONGZHI_SMS_DELIVERY = delivery
        self.result.counts["promoted"] = BookingEvent.objects.filter(
            action="promoted", booking__event__in=[e.pk for e in self.events]
        ).count()
        self.result.wall_seconds = time.perf_counter() - started
        return self.result

    def _call(self, at: datetime, fn: Any, **kwargs: Any) -> Any:
        """One service call at simulated ``at``; a refusal is counted by its code, never raised."""
        self.clock = at
        try:
            return fn(now=at, **kwargs)
        except DomainError as exc:
            self.result.counts[f"refused:{exc.code or 'error'}"] += 1
            return None

    def _event(self, event: Any, offerings: list[Any]) -> None:
        from gongzhi.market import services as market

        counts, rng = self.result.counts, self.rng
        people = self._residents(event.node)
        opens = timezone.make_aware(datetime.combine(event.day - timedelta(days=MARKET_BOOKING_DAYS), clock(8)))
        closes = timezone.make_aware(datetime.combine(event.day, event.starts)) - timedelta(hours=1)
        closes = min(closes, self.now - timedelta(minutes=5))
        past = event.day < self.today
        if closes <= opens:
            return
        # The residents' actions in time order: (moment, order, kind, payload).
        actions: list[tuple[datetime, int, str, Any]] = []
        span = (closes - opens).total_seconds()
        if not offerings:
            return
        weights = [MARKET_WEIGHTS.get(o.name, 1.0) for o in offerings]
        slots = {o.pk: list(o.slots.all()) for o in offerings}
        wanted = max(1, round(rng.gauss(self.per_event, self.per_event / 4)))
        for person in rng.sample(people, k=min(wanted, len(people))):
            offering = rng.choices(offerings, weights=weights)[0]
            times = slots[offering.pk]
            slot = times[min(int(rng.triangular(0, len(times), 0)), len(times) - 1)]
            at = opens + timedelta(seconds=rng.uniform(0, span))
            actions.append((at, len(actions), "book", (offering, slot, person)))
            if rng.random() < MARKET_DOUBLE_P:
                again = at + timedelta(minutes=rng.uniform(1, 600))
                actions.append((again, len(actions), "book", (offering, times[-1], person)))
        actions.sort(key=lambda a: (a[0], a[1]))
        queue = actions
        while queue:
            at, _n, kind, payload = queue.pop(0)
            if kind == "book":
                offering, slot, person = payload
                booking = self._call(
                    at,
                    market.book,
                    event_id=event.pk,
                    slot_id=slot.pk,
                    resident=market.Resident(
                        phone=person.phone, name=person.name, age=person.age, groups=person.groups
                    ),
                )
                if booking is None:
                    continue
                counts["booked" if booking.status == "confirmed" else "waitlisted"] += 1
                deadline = slot.starts - timedelta(hours=event.cancel_hours)
                last = min(deadline, closes)
                if rng.random() < MARKET_CANCEL_P and at < last:
                    # Plans change late more often than early: the waiting list is longest by then.
                    when = at + (last - at) * rng.triangular(0, 1, 1)
                    queue.append((when, len(actions) + len(queue), "cancel", booking))
                    queue.sort(key=lambda a: (a[0], a[1]))
            else:
                booking = payload
                done = self._call(
                    at, market.cancel, code=booking.code, phone_index=booking.phone_index, reason="临时有事"
                )
                if done is not None:
                    counts["cancelled"] += 1
        if past:
            self._at_the_stall(event, offerings)

    def _at_the_stall(self, event: Any, offerings: list[Any]) -> None:
        from gongzhi.market import services as market
        from gongzhi.market.models import Booking

        counts, rng, desk = self.result.counts, self.rng, self.desk[event.node_id]
        for booking in Booking.objects.filter(event=event, status="confirmed").select_related("slot").order_by("pk"):
            if rng.random() >= MARKET_SHOW_P:
                continue
            age = None
            if rng.random() < MARKET_CORRECT_P and booking.declared_age is not None:
                age = max(18, booking.declared_age + rng.choice((-3, -2, -1, 1, 2, 3)))
                counts["age_corrected"] += 1
            at = booking.slot.starts + timedelta(minutes=rng.uniform(0, 10))
            if self._call(at, market.check_in, actor=desk, code=booking.code, age=age) is not None:
                counts["checked_in"] += 1
        people = self._residents(event.node)
        start = timezone.make_aware(datetime.combine(event.day, event.starts))
        length = (datetime.combine(event.day, event.ends) - datetime.combine(event.day, event.starts)).total_seconds()
        for _ in range(rng.choice(MARKET_WALK_UPS)):
            if offerings:
                offering = rng.choice(offerings)
                person = rng.choice(people)
                at = start + timedelta(seconds=rng.uniform(0, length * 0.8))
                resident = market.Resident(phone="", name=person.name, age=person.age, groups=person.groups)
                if self._call(at, market.walk_up, actor=desk, offering=offering, resident=resident) is not None:
                    counts["walk_ups"] += 1
        end = timezone.make_aware(datetime.combine(event.day, event.ends)) + timedelta(minutes=30)
        counts["no_shows"] += self._call(end, market.close_day, actor=desk, event=event) or 0


# ---------------------------------------------------------------------------------------------- the care registry

# A due visit put off to another day (so made late, or not yet: overdue); what a visit finds (the rest: all well).
CARE_PUT_OFF_P = 0.12
CARE_NOT_HOME_P = 0.05
CARE_PROBLEM_P = 0.06
CARE_NEEDS_HELP_P = 0.025
CARE_VISIT_HOURS = (9, 17)
CARE_PROBLEMS = (
    ("楼道灯不亮，老人夜间上下楼不便", "独居老人家楼道照明损坏，夜间出行存在安全隐患，请尽快维修。"),
    ("家中水管漏水", "走访发现老人家中厨房水管漏水，无力自行维修，请协调物业或维修人员上门。"),
    ("燃气软管老化", "走访发现燃气软管老化开裂，存在安全隐患，请燃气公司上门更换。"),
    ("单元门禁损坏", "单元门禁损坏无法关闭，老人担心安全，请物业维修。"),
)
CARE_HELP = (
    "家庭收入下降，申请低保",
    "走访发现居民家庭收入明显下降，生活困难，本人希望申请最低生活保障，请社区协助办理。",
)


@dataclass
class CareResult:
    days: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    case_ids: list[int] = field(default_factory=list)
    wall_seconds: float = 0.0


class CareSimulation:
    """Stewards and grid workers make their visits (走访) day by day from ``first`` to ``last`` (default yesterday):
    on each working day every resident in care whose visit is due by then is visited by the first of
    ``care.selectors.visitors_for`` their node — unless the visit is put off (it is then made late, or is still
    overdue at the end). Now and then nobody is at home; a visit that finds a problem files a case through
    ``cases.services.submit`` (channel visit, recorded by the visitor) and names it on the resident with
    ``care.services.link_case``; one that finds a resident who needs 低保 files an assistance application (a case of
    kind help) the same way. The orchestration is here, in ops: care never calls cases. One seed, one run."""

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        *,
        seed: int = 2026,
        first: date,
        last: date | None = None,
    ) -> None:
        from gongzhi.console import care_flows

        self.jurisdiction = jurisdiction
        self.rng = random.Random(seed)
        self.first = first
        self.last = last or timezone.localdate() - timedelta(days=1)
        self.result = CareResult()
        self.clock = timezone.now()
        self.visitors: dict[int, Any] = {}
        try:  # an assistance application needs the catalogue's help-kind category for it
            self.help_category: CaseCategory | None = care_flows.help_category(jurisdiction.pk)
        except DomainError:
            self.help_category = None

    def _visitor(self, node: GridNode) -> Any:
        from gongzhi.care import selectors as care_selectors

        if node.pk not in self.visitors:
            found = care_selectors.visitors_for(node)
            self.visitors[node.pk] = found[0] if found else None
            grid_selectors.prime_posts([u for u in self.visitors.values() if u is not None])
        return self.visitors[node.pk]

    def run(self) -> CareResult:
        from gongzhi.core import calendar_days

        started = time.perf_counter()
        calendar = calendar_days.current_calendar()
        delivery = settings.GONGZHI_SMS_DELIVERY
        settings.GONGZHI_SMS_DELIVERY = "worker"
        try:
            with notifications.simulation(clock=lambda: self.clock):
                day = self.first
                while day <= self.last:
                    if calendar.is_workday(day):
                        with transaction.atomic():
                            self._day(day)
                        self.result.days += 1
                    day += timedelta(days=1)
                notifications.deliver_queued(limit=100_000)
        finally:
            settings.GONGZHI_SMS_DELIVERY = delivery
        self.result.wall_seconds = time.perf_counter() - started
        return self.result

    def _at(self, day: date) -> datetime:
        low, high = CARE_VISIT_HOURS
        minute = self.rng.randint(low * 60, high * 60 - 1)
        return timezone.make_aware(datetime.combine(day, clock(minute // 60, minute % 60)))

    def _day(self, day: date) -> None:
        from gongzhi.care.choices import ResidentStatus
        from gongzhi.care.models import Resident, Visit
        from gongzhi.console import care_flows

        counts, rng = self.result.counts, self.rng
        due = (
            Resident.objects.filter(
                jurisdiction=self.jurisdiction, status=ResidentStatus.LIVING, next_visit_due__lte=day
            )
            .exclude(level="")
            .select_related("node", "household__building")
            .order_by("next_visit_due", "pk")
        )
        for resident in due:
            if resident.last_visit is not None and resident.last_visit >= day:
                continue
            if rng.random() < CARE_PUT_OFF_P:
                counts["put_off"] += 1
                continue
            visitor = self._visitor(resident.node)
            if visitor is None:
                counts["no_visitor"] += 1
                continue
            at = self._at(day)
            self.clock = at
            draw = rng.random()
            if draw < CARE_NOT_HOME_P:
                outcome, findings = "not_home", "敲门无人应答，改日再访"
            elif draw < CARE_NOT_HOME_P + CARE_PROBLEM_P:
                outcome, (title, findings) = "problem", rng.choice(CARE_PROBLEMS)
            elif draw < CARE_NOT_HOME_P + CARE_PROBLEM_P + CARE_NEEDS_HELP_P and self.help_category is not None:
                outcome, (title, findings) = "needs_help", CARE_HELP
            else:
                outcome, findings = "well", ""
            try:
                done = care_flows.record_visit_with_case(
                    resident=resident,
                    visitor=visitor,
                    outcome=outcome,
                    findings=findings,
                    title=title if outcome in ("problem", "needs_help") else "",
                    assistance="subsistence" if outcome == "needs_help" else "",
                    visited_on=day,
                    at=at,
                )
            except DomainError as exc:
                counts[f"refused:{exc.code or 'error'}"] += 1
                continue
            counts["visits"] += 1
            counts["on_time" if Visit.objects.get(pk=done.visit_id).on_time else "late"] += 1
            counts[outcome] += 1
            if done.case_id is not None:
                counts["help_cases" if outcome == "needs_help" else "problem_cases"] += 1
                self.result.case_ids.append(done.case_id)
