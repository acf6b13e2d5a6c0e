"""Console bookkeeping: background Excel imports and their progress (the cases and grid data live in their apps)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import RowError, gettext_noop

# A failed batched hotline import that kept cases staff had already worked on says so (console.imports).
KEPT = gettext_noop(
    "the import failed after writing these cases, which were kept because staff already worked on them (acted on "
    "one, merged a report into one, opened a reporter's phone): %(codes)s; remove their rows before importing the "
    "file again"
)


class ImportJob(models.Model):
    """One uploaded ledger, imported by a background task; all rows or none."""

    class Kind(models.TextChoices):
        CASES = "cases", _("cases from a hotline export")
        GRID = "grid", _("grid ledger: buildings, staff, departments")
        NEEDS = "needs", _("needs list")
        RESOURCES = "resources", _("resources list")
        PROJECTS = "projects", _("projects list")
        CARE = "care", _("care registry: household ledger")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("imported")
        FAILED = "failed", _("refused, nothing imported")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("waiting for a worker")
        READING = "reading", _("reading the file")
        CHECKING = "checking", _("checking every row")
        WRITING = "writing", _("writing all rows in one transaction")
        DONE = "done", _("done")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    jurisdiction = models.ForeignKey(
        "grid.Jurisdiction", verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.WAITING)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("rows imported"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    # The first MAX_STORED_ERRORS problems as RowError dicts (file, row, column, reason); error_count has them all.
    errors = models.JSONField(_("problems"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_by_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        """Reading and checking fill the bar to 90 %; the write is the last 10 % (counted as it goes where the write
        reports its rows). A finished import has a full bar, whichever way it ended: there is nothing left to wait
        for."""
        if self.finished:
            return 100
        if not self.total:
            return 0
        if self.phase == self.Phase.WRITING:
            return min(99, 90 + int(10 * self.processed / self.total))
        return min(90, int(90 * self.processed / self.total))

    @property
    def kept_cases(self) -> bool:
        """Whether a failed hotline import kept cases staff had already worked on (``imports.KEPT``): its page must
        not say that nothing was imported."""
        return any(isinstance(e, dict) and e.get("reason") == KEPT for e in self.errors)

    def problems(self, limit: int | None = None) -> list[RowError]:
        """The stored problems, each able to say its reason in the reader's language (``RowError.message``)."""
        stored = self.errors if limit is None else self.errors[:limit]
        return [RowError.from_dict(e) for e in stored if isinstance(e, dict)]
