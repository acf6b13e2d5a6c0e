"""The people of the grid (DESIGN.md §5 "Volunteers"): stewards from recruitment and joint vetting to appointment,
training, duty commitments, monthly assessment and stepping down; volunteers and party members reporting in to a
community, teams, activities with sign-up, waiting list, QR check-in and check-out, service hours; the party
organisation in the compound (四级架构), the three heads of a compound (一院三长) and leaders' contact points with the
problems they take on.

An applicant's and a volunteer's name and phone are encrypted at rest (blind index for the phone). Cases and needs
belong to siblings this app must not import: a problem a leader takes on is named by id and tracking code, written
by the interface that read it; the facts of an assessment are measured by the interface (cases, visits, hours) and
handed in.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.privacy import mask_name
from gongzhi.grid.models import Building, GridNode, Jurisdiction, StaffPost
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

HOURS = {"max_digits": 6, "decimal_places": 2}


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Application(models.Model):
    """Someone asks to become a steward of a micro-grid (from the resident pages, with their phone login)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("micro-grid"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("as"), max_length=16, choices=StewardKind.choices, default=StewardKind.STEWARD)
    occupation = models.CharField(_("occupation"), max_length=16, choices=Occupation.choices)
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"), blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, editable=False, db_index=True)
    party_member = models.BooleanField(_("party member"), default=False)
    why = models.TextField(_("why"), max_length=1000)
    availability = models.CharField(_("when they can help"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    created_at = models.DateTimeField(_("applied at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("steward application")
        verbose_name_plural = _("steward applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open application per phone and micro-grid.
            models.UniqueConstraint(
                fields=["node", "phone_index"],
                condition=Q(status__in=["submitted", "vetting", "approved"]),
                name="vol_application_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Approval(models.Model):
    """One side's word in the joint vetting (联审): the community's or the street's, with the reason (append-only)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="approvals")
    level = models.CharField(_("by"), max_length=16, choices=VettingLevel.choices)
    approved = models.BooleanField(_("approved"))
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("vetting decision")
        verbose_name_plural = _("vetting decisions")
        ordering = ["application", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "level"], name="vol_approval_once_per_level")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.level} {self.approved}"


class Steward(models.Model):
    """An appointed steward: their account, the post that makes them one (and their public card), and whether they
    still serve."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("micro-grid"), on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="steward"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey(StaffPost, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("as"), max_length=16, choices=StewardKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=StewardStatus.choices, default=StewardStatus.ACTIVE)
    appointed_at = models.DateTimeField(_("appointed at"))
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    stepped_down_at = models.DateTimeField(_("stepped down at"), null=True, blank=True)
    step_down_reason = models.CharField(_("why they stepped down"), max_length=200, blank=True)
    visits_per_month = models.PositiveSmallIntegerField(_("visits a month committed"), default=0)
    hours_per_month = models.PositiveSmallIntegerField(_("hours a month committed"), default=0)
    station_duty = models.CharField(_("station duty"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("steward")
        verbose_name_plural = _("stewards")
        ordering = ["node", "pk"]

    def __str__(self) -> str:
        return str(self.user)


class Training(models.Model):
    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="trainings")
    day = models.DateField(_("day"))
    topic = models.CharField(_("topic"), max_length=200)
    hours = models.DecimalField(_("hours"), **HOURS)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["steward", "-day", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="vol_training_hours_positive")]

    def __str__(self) -> str:
        return self.topic


class Assessment(models.Model):
    """A steward's assessment (考核) for a month or a quarter: the facts measured, the score
    (``analytics.formulas.steward_score``) and the rank among the stewards with enough of a sample."""

    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="assessments")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    facts = models.JSONField(_("facts"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    ranked_among = models.PositiveIntegerField(_("ranked among"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-first_day", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["steward", "first_day", "last_day"], name="vol_assessment_once"),
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="vol_assessment_period"),
        ]

    def __str__(self) -> str:
        return f"{self.steward_id} {self.first_day}"


class Volunteer(models.Model):
    """A volunteer's profile (志愿者), a party member's too (我是党员我报到): registered from the resident pages."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"), blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, editable=False)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("when they can help"), max_length=200, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)
    work_unit = models.CharField(_("work unit (in-service party member)"), max_length=100, blank=True)
    home = models.ForeignKey(
        GridNode, verbose_name=_("home community"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"))

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "phone_index"], name="vol_volunteer_phone_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def masked_name(self) -> str:
        """The name as staff and the case's timeline show it (张*)."""
        return mask_name(self.name)


class ReportIn(models.Model):
    """A volunteer (a party member working elsewhere) reports in to a community; the community approves."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="report_ins")
    community = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=ReportInStatus.choices, default=ReportInStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("reported in at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report-in")
        verbose_name_plural = _("report-ins")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "community"],
                condition=Q(status__in=["pending", "approved"]),
                name="vol_report_in_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}→{self.community_id}"


class Team(models.Model):
    community = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(Volunteer, verbose_name=_("members"), blank=True, related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="vol_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """A volunteer activity: title, place, time, places, skills wanted; sign-up with a waiting list; QR check-in and
    check-out at the place (two tokens)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    place = models.CharField(_("place"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("places taken"), default=0)
    skills = models.CharField(_("skills wanted"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED
    )
    check_in_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    check_out_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="vol_activity_times"),
            models.CheckConstraint(condition=Q(taken__lte=F("capacity")), name="vol_activity_not_over_capacity"),
        ]

    def __str__(self) -> str:
        return self.title


class SignUp(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sign_ups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="sign_ups")
    status = models.CharField(_("status"), max_length=16, choices=SignUpStatus.choices)
    signed_up_at = models.DateTimeField(_("signed up at"))
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["activity", "signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"], condition=~Q(status="cancelled"), name="vol_sign_up_once"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=F("checked_in_at")),
                name="vol_sign_up_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.volunteer_id}"


class Hours(models.Model):
    """Service hours: computed from an activity's check-in and check-out, or submitted by the volunteer; staff
    approve them (a certificate counts approved hours only)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="hours")
    community = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="hours")
    day = models.DateField(_("day"))
    hours = models.DecimalField(_("hours"), **HOURS)
    description = models.CharField(_("what they did"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=HoursStatus.choices, default=HoursStatus.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="vol_hours_in_a_day"),
            models.UniqueConstraint(
                fields=["volunteer", "activity"],
                condition=Q(activity__isnull=False) & ~Q(status="rejected"),
                name="vol_hours_once_per_activity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.day} {self.hours}"


class PartyUnit(models.Model):
    """The party organisation in the compound (四级架构): a community committee, a compound branch, a building group
    or a demonstration household, mapped to a grid node (and a building); shown publicly where ``public``."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    level = models.CharField(_("level"), max_length=16, choices=PartyLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        Building, verbose_name=_("building"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    leader_name = models.CharField(_("secretary or leader"), max_length=64, blank=True)
    leader_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    members = models.PositiveIntegerField(_("party members"), default=0)
    public = models.BooleanField(_("shown to residents"), default=True)

    class Meta:
        verbose_name = _("party unit")
        verbose_name_plural = _("party units")
        ordering = ["jurisdiction", "level", "name"]

    def __str__(self) -> str:
        return self.name


class Head(models.Model):
    """One of a compound's three heads (一院三长): an official linked to a node with their title, shown publicly like
    a staff card."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=16, choices=HeadTitle.choices)
    name = models.CharField(_("name"), max_length=64)
    position = models.CharField(_("position"), max_length=100, blank=True)  # 区住建局副局长 …
    public_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("compound head")
        verbose_name_plural = _("compound heads")
        ordering = ["node", "title", "pk"]

    def __str__(self) -> str:
        return f"{self.get_title_display()} {self.name}"


class ContactPoint(models.Model):
    """A leader's contact point (领导联系点) for a year: a street, village, community or enterprise, with the number of
    real problems they are to solve there (2–3 by default)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    node = models.ForeignKey(
        GridNode, verbose_name=_("grid node"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)  # the enterprise's, or the node's
    year = models.PositiveSmallIntegerField(_("year"))
    target = models.PositiveSmallIntegerField(_("problems to solve"), default=3)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["-year", "leader", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["leader", "year", "kind", "name"], name="vol_contact_point_unique"),
            models.CheckConstraint(condition=Q(target__gte=1), name="vol_contact_point_target"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class TakenOn(models.Model):
    """A problem a leader took on at a contact point: a case or a need (by id and tracking code); whether it is
    solved is read from the case or need by the interface and recorded with the day."""

    contact_point = models.ForeignKey(ContactPoint, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("kind"), max_length=8, choices=ProblemKind.choices)
    ref_id = models.PositiveBigIntegerField(_("case or need"))
    code = models.CharField(_("tracking code"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=200)
    taken_on = models.DateField(_("taken on"))
    solved_on = models.DateField(_("solved on"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("problem taken on")
        verbose_name_plural = _("problems taken on")
        ordering = ["contact_point", "taken_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contact_point", "kind", "ref_id"], name="vol_taken_on_once"),
        ]

    def __str__(self) -> str:
        return self.title


class Errand(models.Model):
    """代办: a light errand of a case (medicine bought, a bill paid, a parcel fetched) that the case's handler offers a
    volunteer reported in to the community. The case is a sibling's: named by id and tracking code, with a summary the
    interface wrote (category and place, no personal data). The handler stays accountable for the case."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="errands")
    community = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveBigIntegerField(_("case"))
    tracking_code = models.CharField(_("tracking code"), max_length=32, blank=True)
    summary = models.CharField(_("what and where"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=ErrandStatus.choices, default=ErrandStatus.OFFERED)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note for the volunteer"), max_length=500, blank=True)
    result = models.CharField(_("what the volunteer did"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("offered at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("errand")
        verbose_name_plural = _("errands")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case_id"], name="vol_errand_case")]
        constraints = [
            # One live errand per case and volunteer.
            models.UniqueConstraint(
                fields=["case_id", "volunteer"],
                condition=Q(status__in=["offered", "accepted"]),
                name="vol_errand_open_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False), name="vol_errand_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.volunteer_id}"
