"""Settings → Export: prepare a full export of the site and download it.

Thin: the rules (admins only, one export at a time, which names exist) live
in ``downloads.py``; the export runs as a job and this page follows it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.backup import downloads
from monoboard.core.decorators import admin_required


class ExportForm(forms.Form):
    include_media = forms.BooleanField(
        label="Include uploaded images",
        required=False,
        initial=True,
        help_text="Leave them out for a smaller archive of the text and votes only.",
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            downloads.export_request(
                actor=request.user,
                include_media=form.cleaned_data["include_media"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Export queued. This page follows its progress.")
            return redirect("backup:home")
    context = {
        "form": form,
        "preparing": downloads.preparing(),
        "archives": downloads.archives(),
    }
    return render(request, "backup/export.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, name: str) -> FileResponse:
    path = downloads.archive_path(name)
    if path is None:
        raise Http404("No such export")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@admin_required
@require_POST
def delete(request: HttpRequest, name: str) -> HttpResponse:
    try:
        downloads.export_delete(actor=request.user, name=name)
    except ValidationError as error:
        raise Http404(error.messages[0]) from error
    messages.success(request, f"Deleted {name}.")
    return redirect("backup:home")
