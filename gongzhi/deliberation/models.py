"""Deliberation (有事来协商: 一征三议两公开) and notices to residents (DESIGN.md §5 "Deliberation").

A ``Topic`` of a grid node moves through the steps of ``steps.py``; residents support it (one household, one
support), comment (moderated), register for its meetings and vote; staff run it; the decision and later the result are
made public on the community's board. A ``Notice`` (通知公告) is published to every building under a node.

Residents are known by the phone number they proved with the resident pages' SMS login: stored encrypted at rest
with a blind index (``core.fields``), never shown in clear outside a staff page that needs it. Cases and needs belong
to siblings this app must not import: a topic started from one, and a case raised at a meeting, are named by id and
tracking code, written by the interface.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
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
from gongzhi.grid.models import Building, GridNode, Jurisdiction


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Topic(models.Model):
    """A matter for the residents of a node to decide together."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("what it is about"), max_length=4000)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices, default=Step.COLLECT)
    step_since = models.DateTimeField(_("step since"))
    step_until = models.DateField(_("step planned until"), null=True, blank=True)
    origin = models.CharField(_("started"), max_length=16, choices=Origin.choices)
    origin_id = models.PositiveBigIntegerField(_("case or need"), null=True, blank=True)
    origin_code = models.CharField(_("its tracking code"), max_length=32, blank=True)
    proposer_phone = EncryptedTextField(
        _("proposer's phone"), blank=True, default="", blind_index_field="proposer_index"
    )
    proposer_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    support_needed = models.PositiveIntegerField(_("households needed to support it"), default=0)
    support_count = models.PositiveIntegerField(_("households supporting it"), default=0)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    result_photos = models.JSONField(_("result photos"), default=list, blank=True)
    dropped_reason = models.CharField(_("why it was dropped"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["node", "step"], name="delib_topic_node_step")]
        constraints = [
            models.CheckConstraint(condition=Q(support_count__gte=0), name="delib_topic_support_non_negative")
        ]

    def __str__(self) -> str:
        return self.title


class StepChange(models.Model):
    """The history of a topic's steps: from, to, who moved it, why, when (append-only)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="step_changes")
    step_from = models.CharField(_("from"), max_length=16, choices=Step.choices, blank=True)
    step_to = models.CharField(_("to"), max_length=16, choices=Step.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("step change")
        verbose_name_plural = _("step changes")
        ordering = ["topic", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.step_from or '-'} → {self.step_to}"


class Support(models.Model):
    """A household supporting a residents' proposal: one per household (the key the interface gives: the registry's
    household, or the phone when the registry does not know it) and one per phone."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    household_key = models.CharField(max_length=64)
    phone_index = models.CharField(max_length=32)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["topic", "household_key"], name="delib_support_household_unique"),
            models.UniqueConstraint(fields=["topic", "phone_index"], name="delib_support_phone_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.household_key[:8]}"


class Comment(models.Model):
    """A resident's comment, or a reply from staff or a stakeholder speaking for their organisation (业委会, 物业).
    A hidden comment (with the reason) is shown to staff only."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    voice = models.CharField(_("speaking as"), max_length=16, choices=Voice.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    author_label = models.CharField(_("shown as"), max_length=64)  # 3号楼居民, 业委会 王主任 …: never a phone
    phone = EncryptedTextField(_("phone"), blank=True, default="", blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    body = models.TextField(_("comment"), max_length=2000)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["topic", "created_at", "pk"]
        indexes = [models.Index(fields=["topic", "hidden", "created_at"], name="delib_comment_topic")]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.body[:30]}"


class Meeting(models.Model):
    """A hearing (恳谈会), a deliberation meeting (议事会) or a face-to-face session with the secretary (书记面对面):
    of a topic, or on its own (a face-to-face session hears whatever residents bring)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=120)
    agenda = models.TextField(_("agenda"), max_length=4000, blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    invited = models.TextField(_("invited stakeholders"), max_length=1000, blank=True)  # one per line
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    minutes = models.TextField(_("minutes"), max_length=10000, blank=True)
    decisions = models.TextField(_("decisions"), max_length=4000, blank=True)
    check_in_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="delib_meeting_times")]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    """A resident registered for a meeting (phone login), and whether they came."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    name = EncryptedTextField(_("name"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="", blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)  # None: came without registering
    attended = models.BooleanField(_("came"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "phone_index"], condition=~Q(phone_index=""), name="delib_registration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.pk}"


class MeetingCase(models.Model):
    """A problem raised at a meeting (书记面对面), filed as a case by the interface and followed from the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="cases")
    case_id = models.PositiveBigIntegerField(_("case"))
    tracking_code = models.CharField(_("tracking code"), max_length=16)
    title = models.CharField(_("title"), max_length=120)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("case raised at a meeting")
        verbose_name_plural = _("cases raised at meetings")
        ordering = ["meeting", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case_id"], name="delib_meeting_case_unique")]

    def __str__(self) -> str:
        return self.tracking_code


class Vote(models.Model):
    """A vote on a topic (表决): who has a vote (``basis``), the quorum and threshold, the options, when it is open.
    The result is counted at close and shown only then."""

    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="votes")
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    question = models.CharField(_("question"), max_length=200)
    basis = models.CharField(_("who votes"), max_length=16, choices=Basis.choices, default=Basis.HOUSEHOLD)
    source = models.CharField(
        _("eligibility from"), max_length=16, choices=EligibilitySource.choices, default=EligibilitySource.REGISTRY
    )
    quorum_num = models.PositiveSmallIntegerField(_("quorum (numerator)"), default=0)
    quorum_den = models.PositiveSmallIntegerField(_("quorum (denominator)"), default=1)
    threshold_num = models.PositiveSmallIntegerField(_("threshold (numerator)"), default=1)
    threshold_den = models.PositiveSmallIntegerField(_("threshold (denominator)"), default=2)
    threshold_base = models.CharField(
        _("threshold of"), max_length=16, choices=ThresholdBase.choices, default=ThresholdBase.CAST
    )
    strict = models.BooleanField(_("more than the threshold (not just reaching it)"), default=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    status = models.CharField(_("status"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    result = models.JSONField(_("result"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="delib_vote_times"),
            models.CheckConstraint(
                condition=Q(quorum_den__gt=0, threshold_den__gt=0, threshold_num__gt=0)
                & Q(quorum_num__lte=models.F("quorum_den"), threshold_num__lte=models.F("threshold_den")),
                name="delib_vote_fractions",
            ),
        ]

    def __str__(self) -> str:
        return self.question


class Option(models.Model):
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["vote", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["vote", "label"], name="delib_option_unique")]

    def __str__(self) -> str:
        return self.label


class Eligible(models.Model):
    """One vote: a household, a resident or an owner (``key``: a blind index of the registry's id or the list's row),
    with its weight (1, or the floor area in m²) and how the pages name it (a door: 3单元502 — never a person)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="eligible")
    key = models.CharField(max_length=64)
    label = models.CharField(_("shown as"), max_length=64)
    weight = models.DecimalField(_("weight"), max_digits=10, decimal_places=2, default=1)

    class Meta:
        verbose_name = _("eligible voter")
        verbose_name_plural = _("eligible voters")
        ordering = ["vote", "label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "key"], name="delib_eligible_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="delib_eligible_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.label


class EligiblePhone(models.Model):
    """A phone that may cast the vote of an eligible household (its members' phones): found by blind index."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="+")
    eligible = models.ForeignKey(Eligible, on_delete=models.CASCADE, related_name="phones")
    phone_index = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "phone_index"], name="delib_eligible_phone_unique")]

    def __str__(self) -> str:
        return f"{self.eligible_id}: {self.phone_index[:8]}"


class Ballot(models.Model):
    """The vote of one eligible household (resident, owner): at most one, whoever of them casts it first (a unique
    constraint, so two members voting at once count once). A vote cast through staff names them."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    eligible = models.ForeignKey(Eligible, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="ballots")
    phone_index = models.CharField(max_length=32, blank=True)
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [models.UniqueConstraint(fields=["vote", "eligible"], name="delib_ballot_one_per_voter")]

    def __str__(self) -> str:
        return f"{self.vote_id}#{self.pk}"


class Notice(models.Model):
    """A notice to the residents of every building under a node (通知公告 / 政策宣传): a water cut in two buildings, a
    policy, a meeting, a market day. Shown on the resident pages until it expires; sent by SMS to those who asked."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    buildings = models.ManyToManyField(Building, verbose_name=_("only these buildings"), blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices, default=NoticeKind.NOTICE)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=4000)
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    opens = models.PositiveIntegerField(_("opened"), default=0)
    sms_sent = models.PositiveIntegerField(_("text messages sent"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"], name="delib_notice_live")]

    def __str__(self) -> str:
        return self.title


class NoticeOpen(models.Model):
    """Someone opened a notice (counted once per reader: a keyed hash of their browser session, never an address)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    reader = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "reader"], name="delib_notice_open_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.reader[:8]}"


class Subscription(models.Model):
    """A resident asked for the notices of their building by text message (opt-in; the opt-out link carries
    ``token``)."""

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="+")
    phone = EncryptedTextField(_("phone"), blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, editable=False)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice subscription")
        verbose_name_plural = _("notice subscriptions")
        constraints = [models.UniqueConstraint(fields=["building", "phone_index"], name="delib_subscription_unique")]

    def __str__(self) -> str:
        return f"{self.building_id}: {self.phone_index[:8]}"


class Delivery(models.Model):
    """A notice sent to one subscription: at most once."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "subscription"], name="delib_delivery_once")]

    def __str__(self) -> str:
        return f"{self.notice_id}→{self.subscription_id}"
