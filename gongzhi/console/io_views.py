"""Excel in and out: export of a filtered case list, background imports with a progress bar and an error report."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.console import care_io, exports, imports, lists_io, selectors
from gongzhi.console import forms as console_forms
from gongzhi.console.models import ImportJob
from gongzhi.console.tasks import import_task
from gongzhi.core.db import replica_reads
from gongzhi.grid import selectors as grid_selectors
from gongzhi.lists import selectors as lists_selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SHOWN_PROBLEMS = 10  # on the page; the downloadable report has every stored one


@login_required
@replica_reads
def cases_export(request: HttpRequest) -> HttpResponse:
    if not selectors.workbenches(request.user).cases:
        return render(request, "403.html", status=403)
    form = console_forms.CaseFilterForm(request.GET or None, user=request.user)
    rows = (
        selectors.command_list(request.user, form.filters())
        .select_related(*exports.RELATED)
        .only(*exports.FIELDS)
        .order_by("-submitted_at", "-id")
    )
    handle, _written, _truncated = exports.write_cases(rows.iterator(chunk_size=2000))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(handle, as_attachment=True, filename=f"cases-{stamp}.xlsx", content_type=XLSX)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        head = f.read(4)
        f.seek(0)
        if head != b"PK\x03\x04":  # an .xlsx is a zip file; sniff it rather than trust the name or content type
            raise forms.ValidationError(_("This is not an .xlsx workbook."))
        return f


def _may_import(user) -> bool:  # type: ignore[no-untyped-def]
    return selectors.workbenches(user).imports


def _job_or_404(request: HttpRequest, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, created_by=request.user).first()
    if job is None:
        raise Http404("no such import")
    return job


@login_required
def imports_page(request: HttpRequest) -> HttpResponse:
    if not _may_import(request.user):
        return render(request, "403.html", status=403)
    form = ImportForm(request.POST or None, request.FILES or None)
    lists_kind = request.method == "POST" and form.is_valid() and form.cleaned_data["kind"] in lists_io.KIND_OF_JOB
    if lists_kind and not lists_selectors.can_manage(request.user):
        form.add_error("kind", _("You do not keep the lists."))
    care_kind = request.method == "POST" and form.is_valid() and form.cleaned_data["kind"] == ImportJob.Kind.CARE
    if care_kind and not care_io.may_import(request.user):
        form.add_error("kind", _("You do not keep the care registry."))
    if request.method == "POST" and form.is_valid():
        homes = grid_selectors.home_nodes(request.user)
        if not homes:
            return render(request, "403.html", status=403)
        upload = form.cleaned_data["file"]
        job = ImportJob(
            kind=form.cleaned_data["kind"],
            jurisdiction_id=homes[0].jurisdiction_id,
            original_name=upload.name[:200],
            created_by=request.user,
            created_at=timezone.now(),
        )
        job.file.save(upload.name, ContentFile(upload.read()), save=False)
        job.save()
        import_task.enqueue(job.pk)
        return redirect("console:import", job_id=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:20]
    status = 400 if form.errors else 200
    context = {"form": form, "jobs": jobs, "may_import_care": care_io.may_import(request.user)}
    return render(request, "console/imports.html", context, status=status)


@login_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "console/import.html", {"job": job, "problems": job.problems(limit=SHOWN_PROBLEMS)})


@login_required
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment htmx polls; once the job finishes it stops polling (no hx-trigger in the answer)."""
    job = _job_or_404(request, job_id)
    return render(
        request, "console/includes/import_progress.html", {"job": job, "problems": job.problems(limit=SHOWN_PROBLEMS)}
    )


@login_required
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job_or_404(request, job_id)
    if job.status != ImportJob.Status.FAILED:
        raise Http404("this import has no problems to report")
    return FileResponse(
        imports.error_report(job), as_attachment=True, filename=f"import-{job.pk}-problems.xlsx", content_type=XLSX
    )


@login_required
def import_template(request: HttpRequest) -> FileResponse:
    """The case template in the reader's language, its example row valid for them: one of the buildings where they
    may record cases and a category of the catalogue, so that uploading it unchanged imports one case.
    ``?kind=care``: the household ledger of the care registry."""
    if request.GET.get("kind") == ImportJob.Kind.CARE:
        if not care_io.may_import(request.user):
            raise Http404("no care registry to import into")
        return FileResponse(
            care_io.template_workbook(care_io.example_building(request.user)),
            as_attachment=True,
            filename="care-ledger-template.xlsx",
            content_type=XLSX,
        )
    homes = grid_selectors.home_nodes(request.user)
    example = imports.Example(
        building=next(iter(selectors.buildings_for_recording(request.user, limit=1)), None),
        category=imports.example_category(homes[0].jurisdiction_id) if homes else None,
    )
    return FileResponse(
        imports.template_workbook(example), as_attachment=True, filename="cases-template.xlsx", content_type=XLSX
    )
