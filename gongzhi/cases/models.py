from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.cases import attribute_keys
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import (
    Channel,
    CoTaskStatus,
    EventKind,
    Kind,
    NoticeKind,
    RevealBasis,
    Score,
    SlaState,
    Status,
    Urgency,
)
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.grid.choices import DepartmentKind, Level
from gongzhi.grid.models import Building, Department, GridNode, Jurisdiction


class CaseCategory(models.Model):
    """A request type; its ``code`` is the Open311 service_code. Carries the defaults triage applies."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="case_categories"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REPORT)
    default_level = models.CharField(
        _("default handling level"), max_length=16, choices=Level.choices, default=Level.COMMUNITY
    )
    default_department_kind = models.CharField(
        _("default department kind"), max_length=32, blank=True, choices=DepartmentKind.choices
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    # Open311 service definition attributes: [{code, datatype, required, description, order, values}]
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # About people rather than a public place or thing (disputes, security, assistance …): the exchange interfaces
    # show such requests by their status only (Open311 lists and reads), whatever their kind.
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Requests of this category are about people: Open311 shows them by their status only."),
    )
    # A light matter a vetted volunteer may run for the handler (代办: medicine bought, a bill paid, a parcel
    # fetched); the handler stays the staff member accountable for the case.
    errand = models.BooleanField(
        _("light: a volunteer may run it (代办)"),
        default=False,
        help_text=_(
            "The handler of a case of this category may hand the errand to a volunteer reported in to the community;"
            " the handler stays accountable and resolves the case."
        ),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["jurisdiction", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="case_category_code_unique")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The attributes are a list of definitions, each with a code of its own that is not reserved (a
        definition named ``_media_url`` would let Open311 clients write the case's photo address)."""
        definitions = self.attributes if isinstance(self.attributes, list) else None
        if definitions is None or not all(isinstance(d, dict) and isinstance(d.get("code"), str) for d in definitions):
            raise ValidationError(
                {"attributes": _('Give a list of attributes, each an object with a code, like [{"code": "floor"}].')}
            )
        codes = [d["code"] for d in definitions]
        taken = attribute_keys.reserved(codes)
        if taken:
            raise ValidationError(
                {
                    "attributes": _(
                        "The attribute code %(code)s is reserved for gongzhi's own use (codes starting with _)."
                    )
                    % {"code": taken[0][:64]}
                }
            )
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise ValidationError(
                {"attributes": _("Each attribute code once: %(codes)s repeat.") % {"codes": ", ".join(twice)}}
            )

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()


class SlaPolicy(models.Model):
    """Deadlines for one category × urgency (category empty = the jurisdiction's fallback)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="sla_policies"
    )
    category = models.ForeignKey(
        CaseCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    response_minutes = models.PositiveIntegerField(_("respond within (minutes)"))
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"))
    working_time = models.BooleanField(_("count working days only"), default=False)
    warn_ratio = models.FloatField(_("warn at share of the time"), default=0.8)
    grace_minutes = models.PositiveIntegerField(_("escalate after overdue (minutes)"), default=1440)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "category", "urgency"], name="sla_policy_unique"),
            models.UniqueConstraint(
                fields=["jurisdiction", "urgency"], condition=Q(category__isnull=True), name="sla_policy_default_unique"
            ),
            models.CheckConstraint(
                condition=Q(resolve_minutes__gte=models.F("response_minutes")), name="sla_policy_resolve_after_response"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '—'} · {self.get_urgency_display()}"


# Public ids: 12 characters of 32 (60 bits), lower case so that nobody takes one for a tracking code (upper case, read
# aloud on the phone). Random rather than derived from the row, so that one public id tells nothing about another.
PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PUBLIC_ID_LENGTH = 12


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


class Case(models.Model):
    """One resident request as it travels 上报 → 梳理 → 交办 → 督办 → 公示 → 评价. Changed only through services."""

    # Every index on this table is written on each new case and on each change of its columns, inside the write
    # transaction (SQLite: inside the one write turn of the whole site): a foreign key gets no index of its own where
    # a composite index below starts with it, and those empty on most cases are indexed only where set (see Meta).
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    # What every public list (the board, the public map, Open311) names the case by. Unlike the tracking code — the
    # resident's receipt — it opens nothing but what is public anyway.
    public_id = models.CharField(_("public id"), max_length=16, default=new_public_id, editable=False)
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        blank=True,
        help_text=_("The id the case has in another system (e.g. the 12345 hotline)."),
    )
    source = models.CharField(
        _("filed by system"),
        max_length=32,
        blank=True,
        help_text=_("The exchange partner that filed the case (its code); its external ids are its own."),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REPORT)
    category = models.ForeignKey(
        CaseCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Reporter: a signed-in user, or just a name and phone (encrypted), or nobody (anonymous).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        db_index=False,
    )
    reporter_name = models.CharField(_("reporter name"), max_length=64, blank=True)
    reporter_phone = EncryptedTextField(
        _("reporter phone"), blank=True, default="", blind_index_field="reporter_phone_index"
    )
    reporter_phone_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)
    # The mobile number the reporter was logged in with (by an SMS code) when they reported, whatever contact number
    # they gave: their "my requests" finds the case by it. The index is null (not "") when they were not logged in,
    # so a lookup by a value implies "is not null" and uses the partial index on SQLite as on PostgreSQL.
    reporter_login_phone = EncryptedTextField(
        _("reporter's login phone"), blank=True, default="", blind_index_field="reporter_login_index"
    )
    reporter_login_index = models.CharField(  # noqa: DJ001 - null means "not logged in" (see above)
        max_length=32, null=True, blank=True, default=None, editable=False
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_cases",
        db_index=False,
    )
    # Where
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building, verbose_name=_("building"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    grid_node = models.ForeignKey(
        GridNode,
        verbose_name=_("located in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="located_cases",
        db_index=False,
    )
    # Who: the unit whose dispatchers own the case now, and who handles it.
    owner_node = models.ForeignKey(
        GridNode, verbose_name=_("owned by"), on_delete=models.PROTECT, related_name="owned_cases", db_index=False
    )
    level = models.CharField(_("handling level"), max_length=16, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    handler_node = models.ForeignKey(
        GridNode,
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        db_index=False,
    )
    handler_department = models.ForeignKey(
        Department,
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        db_index=False,
    )
    handler_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        db_index=False,
    )
    pooled = models.BooleanField(_("in the stewards' pool"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    # Clock
    submitted_at = models.DateTimeField(_("submitted at"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("first accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    paused_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    # When the sweep must look again: the warning moment and the automatic-escalation moment (due + grace).
    sla_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_escalate_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_working_time = models.BooleanField(default=False, editable=False)
    sla_warn_ratio = models.FloatField(default=0.8, editable=False)
    sla_grace_minutes = models.PositiveIntegerField(default=1440, editable=False)
    sla_state = models.CharField(
        _("deadline state"), max_length=16, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    breach_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    responded_on_time = models.BooleanField(_("responded on time"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("resolved on time"), null=True, blank=True)
    # Outcome
    result = models.TextField(_("result"), blank=True)
    resolved_level = models.CharField(_("resolved at level"), max_length=16, choices=Level.choices, blank=True)
    on_the_spot = models.BooleanField(_("solved on the spot"), default=False)
    public = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # 公示: the text the public board shows, written (or confirmed) by staff when they publish — never the resident's
    # own words or the handler's result as they stand.
    public_summary = models.TextField(_("public summary"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    # Kept by the services so the hot path needs no counting query: duplicates merged into this case, and summoned
    # departments that have not reported in yet.
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0, editable=False)
    open_co_tasks = models.PositiveSmallIntegerField(_("departments yet to report in"), default=0, editable=False)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    event_count = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                # Two partners on one channel may use the same ids: each partner's ids are unique among its own.
                fields=["jurisdiction", "channel", "source", "external_id"],
                condition=~Q(external_id=""),
                name="case_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(status=t.MERGED, merged_into__isnull=False) | ~Q(status=t.MERGED),
                name="case_merged_has_parent",
            ),
            # A constraint rather than unique=True: on PostgreSQL that would add a LIKE-pattern copy of the index.
            models.UniqueConstraint(fields=["public_id"], name="case_public_id_unique"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "resolve_due"], name="case_status_due"),
            models.Index(fields=["status", "sla_warn_at"], name="case_status_warn_at"),
            # The dispatch queue: an owner desk's cases by status, oldest first (keyset on submitted_at, id).
            models.Index(fields=["owner_node", "status", "submitted_at", "id"], name="case_console_queue"),
            # The command-centre list, newest first, and the same filtered by status (the commonest filter).
            models.Index(fields=["jurisdiction", "submitted_at", "id"], name="case_console_list"),
            models.Index(fields=["jurisdiction", "status", "submitted_at", "id"], name="case_console_status_list"),
            # Partial where the key is often empty: a lookup by a value (handler_user = …) implies "is not null",
            # so SQLite and PostgreSQL use them, and a case without a handler, reporter account, … is in none of them.
            models.Index(
                fields=["handler_node", "status"],
                name="case_handler_node_status",
                condition=Q(handler_node__isnull=False),
            ),
            models.Index(
                fields=["handler_user", "status"],
                name="case_handler_user_status",
                condition=Q(handler_user__isnull=False),
            ),
            models.Index(
                fields=["handler_department", "status"],
                name="case_handler_dept_status",
                condition=Q(handler_department__isnull=False),
            ),
            models.Index(fields=["grid_node", "submitted_at"], name="case_node_submitted"),
            models.Index(fields=["reporter"], name="case_reporter", condition=Q(reporter__isnull=False)),
            models.Index(
                fields=["reporter_login_index"],
                name="case_reporter_login",
                condition=Q(reporter_login_index__isnull=False),
            ),
            models.Index(fields=["recorded_by"], name="case_recorded_by", condition=Q(recorded_by__isnull=False)),
            models.Index(fields=["merged_into"], name="case_merged_into", condition=Q(merged_into__isnull=False)),
            # The public board and map, newest result first: only published cases are in it.
            models.Index(
                fields=["jurisdiction", "resolved_at", "id"], name="case_public_board", condition=Q(public=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in t.OPEN

    @property
    def masked_reporter_name(self) -> str:
        return "" if self.anonymous else mask_name(self.reporter_name)

    @property
    def masked_reporter_phone(self) -> str:
        return mask_phone(self.reporter_phone)


class CaseEvent(models.Model):
    """Append-only timeline row: one per change of a case. Never updated or deleted."""

    # Indexed by the unique (case, seq) below, which starts with it.
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(_("shown to the resident"), default=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique")]
        indexes = [models.Index(fields=["kind", "at"], name="case_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("case events are append-only")


class CoHandlingTask(models.Model):
    """吹哨报到: a department summoned to co-handle a case, with its own task and deadline."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="co_tasks")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="co_tasks"
    )
    task = models.CharField(_("task"), max_length=300)
    due = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=CoTaskStatus.choices, default=CoTaskStatus.SUMMONED)
    report = models.TextField(_("report"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("co-handling task")
        verbose_name_plural = _("co-handling tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"], condition=Q(status="summoned"), name="co_task_one_open_per_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.department}"


class DepartmentCase(models.Model):
    """A department's part in a case: dispatched to it, or summoned to co-handle it (吹哨报到).

    What the department's staff may read (DESIGN.md §6: a department post's scope is its department's assigned
    work). Written by ``services.dispatch`` and ``services.whistle`` and never removed, so the department keeps the
    case it worked on after the case moves on (returned, escalated, closed); it sees no other case.
    """

    class Via(models.TextChoices):
        DISPATCHED = "dispatched", _("dispatched to it")
        SUMMONED = "summoned", _("summoned to co-handle")

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+")
    via = models.CharField(_("how"), max_length=16, choices=Via.choices)
    at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("department's case")
        verbose_name_plural = _("departments' cases")
        # Also the index of the read: "the cases of these departments" starts with the department.
        constraints = [models.UniqueConstraint(fields=["department", "case"], name="department_case_unique")]

    def __str__(self) -> str:
        return f"{self.department_id} · {self.case_id}"


class PhoneReveal(models.Model):
    """One reveal of a reporter's phone number to a staff member (the access log; append-only, read in the admin).

    ``cases.policies.may_reveal_phone`` says who may; ``services.reveal_reporter_phone`` checks it and writes the row
    in the same transaction as it hands out the number, so every number shown has exactly one row here.
    """

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="phone_reveals")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revealed to"), on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("allowed as"), max_length=32, choices=RevealBasis.choices)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("reveal of a reporter's phone")
        verbose_name_plural = _("reveals of reporters' phones")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} → {self.case_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("the access log is append-only")


class SupervisionNotice(models.Model):
    """督办: a notice pressing the handler (manual, or automatic when a deadline passes)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    due = models.DateTimeField(_("respond by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_kind_display()}"


class Rating(models.Model):
    """评价 by a reporter: of the case itself, or of the parent a duplicate was merged into."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="ratings")
    via_case = models.ForeignKey(
        Case,
        verbose_name=_("rated through"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The merged duplicate whose reporter gave this rating."),
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rater"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.CharField(_("score"), max_length=16, choices=Score.choices)
    solved = models.BooleanField(_("solved"))
    comment = models.TextField(_("comment"), blank=True)
    round = models.PositiveSmallIntegerField(_("round"), default=0, help_text=_("The rework round it rates."))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "round"], condition=Q(via_case__isnull=True), name="rating_once_per_round"
            ),
            models.UniqueConstraint(
                fields=["case", "via_case", "round"],
                condition=Q(via_case__isnull=False),
                name="rating_once_per_round_via_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_score_display()}"

    @property
    def round_label(self) -> str:
        """首次评价 for the first rating, 第N次返工后 after the Nth rework (``round`` counts reworks before it)."""
        return round_label(self.round)


def round_label(rework_round: int) -> str:
    if not rework_round:
        return str(_("first rating"))
    return str(_("after rework %(n)d") % {"n": rework_round})
