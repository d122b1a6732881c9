"""The admins' import pages, under the site settings: upload, confirm the mapping, watch it run.

Thin: the upload is parsed by sources.py (a bad file is refused with every
problem listed, and nothing is kept), and every write goes through services.py.
The import itself runs as a job in the worker; its page shows the progress.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from monoboard.boards.models import Status
from monoboard.core.decorators import admin_required
from monoboard.imports import selectors, services
from monoboard.imports.models import RunState, SourceKind
from monoboard.imports.sources import SourceError, open_csv

KIND_CHOICES = [
    ("auto", "Tell from the file"),
    (SourceKind.FIDER_CSV.value, SourceKind.FIDER_CSV.label),
    (SourceKind.CANNY_CSV.value, SourceKind.CANNY_CSV.label),
    (SourceKind.CSV.value, SourceKind.CSV.label),
]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Fider's or Canny's posts export, or a generic CSV (columns in docs/import.md).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    kind = forms.ChoiceField(label="Exported from", choices=KIND_CHOICES, initial="auto")
    board = forms.CharField(
        label="Board",
        max_length=80,
        initial="Feedback",
        help_text="For posts the file names no board for; made when missing.",
    )


class MappingForm(forms.Form):
    """One choice of local status per source status, the suggestion first."""

    def __init__(self, plan: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), s.name) for s in Status.objects.all()]
        by_name = {name: pk for pk, name in choices}
        self.sources: list[tuple[str, str, int]] = []
        for i, (name, count) in enumerate(sorted(plan.get("statuses", {}).items())):
            field = f"status_{i}"
            self.fields[field] = forms.ChoiceField(
                label=f"{name} ({count:,} posts)",
                choices=choices,
                initial=by_name.get(plan.get("suggested", {}).get(name, "")),
            )
            self.sources.append((field, name, count))

    def statuses(self) -> dict[str, int]:
        return {name: int(self.cleaned_data[field]) for field, name, _ in self.sources}


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > limit:
            form.add_error("file", f"The file is over {settings.IMPORT_MAX_UPLOAD_MB} MB.")
        else:
            data = upload.read()
            try:
                source = open_csv(
                    form.cleaned_data["kind"], upload.name[:200], data,
                    board=form.cleaned_data["board"],
                )  # fmt: skip
                run = services.import_prepare(
                    actor=request.user,  # type: ignore[arg-type]
                    source=source,
                    payload=data,
                    board=form.cleaned_data["board"],
                )
            except SourceError as error:
                for problem in error.problems[:20]:
                    form.add_error("file", problem)
                if len(error.problems) > 20:
                    form.add_error("file", f"… and {len(error.problems) - 20} more problems.")
            else:
                return redirect("imports:run", run_id=run.pk)
    context = {"section": "import", "form": form, "runs": selectors.recent_runs()}
    return render(request, "imports/home.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    found = selectors.run_detail(run_id)
    if found is None:
        raise Http404("No such import")
    can_confirm = found.state in (RunState.PLANNED, RunState.FAILED) and found.payload is not None
    form = MappingForm(found.plan, request.POST or None) if can_confirm else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.import_confirm(
                actor=request.user,  # type: ignore[arg-type]
                run=found,
                statuses=form.statuses(),
                enqueue=True,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Import started. This page follows its progress.")
            return redirect("imports:run", run_id=found.pk)
    context = {
        "section": "import",
        "run": found,
        "form": form,
        "progress": selectors.progress_of(found),
        "counts": selectors.counts_of(found),
    }
    return render(request, "imports/run.html", context, status=400 if form and form.errors else 200)
