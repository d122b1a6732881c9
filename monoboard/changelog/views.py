"""Changelog pages: the public list, one page per entry, the Atom feed, the
entries' images, and the admins' pages that write, schedule and publish.

Reads go through selectors, every write through services.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from monoboard.boards import files
from monoboard.boards.models import Status
from monoboard.changelog import selectors, services
from monoboard.changelog.models import Entry, EntryImage, EntryState
from monoboard.core.decorators import admin_required

PAGE_SIZE = 10
FILE_CSP = "default-src 'none'; sandbox"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def changelog(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.published(), PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except Exception as exc:  # EmptyPage, PageNotAnInteger: no such page
        raise Http404("No such page") from exc
    entries = list(page.object_list)
    posts = selectors.visible_posts(request.user, entries)
    images = selectors.images_of(entries)
    return render(
        request,
        "changelog/list.html",
        {
            "page": page,
            "items": [(e, posts[e.pk], images[e.pk]) for e in entries],
        },
    )


def entry_redirect(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_or_404(request.user, entry_id)
    return redirect("changelog:entry", entry_id=entry.pk, slug=entry.slug)


def entry_detail(request: HttpRequest, entry_id: int, slug: str) -> HttpResponse:
    entry = selectors.entry_or_404(request.user, entry_id)
    if slug != entry.slug:
        return redirect("changelog:entry", entry_id=entry.pk, slug=entry.slug)
    return render(
        request,
        "changelog/entry.html",
        {
            "entry": entry,
            "posts": selectors.visible_posts(request.user, [entry])[entry.pk],
            "images": selectors.images_of([entry])[entry.pk],
        },
    )


@require_GET
def image_file(request: HttpRequest, key: str) -> HttpResponseBase:
    """An entry's image, with the headers attachments are sent with."""
    image = selectors.image_or_404(request.user, key)
    try:
        handle = files.storage().open(image.file_name, "rb")
    except FileNotFoundError as exc:
        raise Http404("No such image") from exc
    ext = EXTENSIONS.get(image.content_type, "img")
    response = FileResponse(handle, content_type=image.content_type, filename=f"image.{ext}")
    assert image.entry is not None
    public = image.entry.state == EntryState.PUBLISHED
    response["Cache-Control"] = "public, max-age=300" if public else "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Admin pages ----------------------------------------------------------------------

_POST_REF = re.compile(r"^(?:#?(\d+)|.*/p/(\d+)(?:/.*)?)$")


def parse_post_refs(text: str) -> list[int]:
    """Post numbers from "12, #15 https://…/b/x/p/18/slug/"; ValidationError otherwise."""
    ids: list[int] = []
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        match = _POST_REF.match(token)
        if match is None:
            raise ValidationError(
                {"post_ids": f"“{token[:60]}” is not a post number or a post's address."}
            )
        ids.append(int(match.group(1) or match.group(2)))
    return ids


class EntryForm(forms.Form):
    title = forms.CharField(label="Title", max_length=160)
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Markdown: **bold**, _italic_, lists, links, `code`.",
    )
    post_ids = forms.CharField(
        label="Posts this entry delivers",
        required=False,
        help_text="Post numbers or addresses, separated by spaces or commas.",
    )
    mark_shipped = forms.BooleanField(
        label="Mark these posts shipped when the entry is published", required=False
    )
    shipped_status = forms.ModelChoiceField(
        label="Shipped status",
        queryset=Status.objects.all(),
        required=False,
        empty_label=None,
    )


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label="Publish at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=f"In the site's time zone ({timezone.get_default_timezone_name()}).",
    )


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            name = {"shipped_status_id": "shipped_status"}.get(field, field)
            form.add_error(name if name in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


@admin_required
def admin_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "changelog/admin_list.html",
        {"section": "changelog", "entries": list(selectors.all_entries()[:200])},
    )


def _initial(entry: Entry | None) -> dict[str, Any]:
    if entry is None:
        return {"shipped_status": services.default_shipped_status()}
    return {
        "title": entry.title,
        "body": entry.body,
        "post_ids": " ".join(str(pid) for pid in entry.links.values_list("post_id", flat=True)),
        "mark_shipped": entry.mark_shipped,
        "shipped_status": entry.shipped_status or services.default_shipped_status(),
    }


def _save(request: HttpRequest, form: EntryForm, entry: Entry | None) -> Entry | None:
    """Create or update from a valid form; None (errors on the form) when refused."""
    data = form.cleaned_data
    status = data["shipped_status"]
    try:
        ids = parse_post_refs(data["post_ids"])
        fields: dict[str, Any] = {
            "actor": request.user,
            "title": data["title"],
            "body": data["body"],
            "post_ids": ids,
            "mark_shipped": data["mark_shipped"],
            "shipped_status_id": status.pk if status else None,
            "uploads": request.FILES.getlist("images"),
        }
        if entry is None:
            return services.entry_create(**fields)
        return services.entry_update(entry=entry, **fields)
    except ValidationError as error:
        _show_errors(form, error)
        return None


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def admin_new(request: HttpRequest) -> HttpResponse:
    form = EntryForm(request.POST or None, initial=_initial(None))
    if request.method == "POST" and form.is_valid():
        entry = _save(request, form, None)
        if entry is not None:
            messages.success(request, "Draft saved.")
            return redirect("changelog:admin_edit", entry_id=entry.pk)
    status = 400 if request.method == "POST" else 200
    context = {"section": "changelog", "form": form, "entry": None}
    return render(request, "changelog/admin_edit.html", context, status=status)


def _entry(request: HttpRequest, entry_id: int) -> Entry:
    return selectors.entry_or_404(request.user, entry_id)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def admin_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    form = EntryForm(request.POST or None, initial=_initial(entry))
    schedule = ScheduleForm(
        initial={"at": timezone.localtime(entry.scheduled_at) if entry.scheduled_at else None}
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, entry)
        if saved is not None:
            messages.success(request, "Entry saved.")
            return redirect("changelog:admin_edit", entry_id=entry.pk)
    return render(
        request,
        "changelog/admin_edit.html",
        {
            "section": "changelog",
            "form": form,
            "schedule": schedule,
            "entry": entry,
            "images": selectors.images_of([entry])[entry.pk],
            "posts": selectors.visible_posts(request.user, [entry])[entry.pk],
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def admin_publish(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    try:
        services.entry_publish(actor=request.user, entry=entry)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Published.")
    return redirect("changelog:admin_edit", entry_id=entry.pk)


@admin_required
@require_POST
def admin_schedule(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date and time to publish at.")
        return redirect("changelog:admin_edit", entry_id=entry.pk)
    at: datetime.datetime = form.cleaned_data["at"]
    try:
        services.entry_schedule(actor=request.user, entry=entry, at=at)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        local = timezone.localtime(at).strftime("%d %b %Y %H:%M")
        messages.success(request, f"Scheduled for {local}.")
    return redirect("changelog:admin_edit", entry_id=entry.pk)


@admin_required
@require_POST
def admin_unschedule(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    try:
        services.entry_unschedule(actor=request.user, entry=entry)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Back to a draft: it will not be published.")
    return redirect("changelog:admin_edit", entry_id=entry.pk)


@admin_required
@require_POST
def admin_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    services.entry_delete(actor=request.user, entry=entry)  # type: ignore[arg-type]
    messages.success(request, f"Deleted “{entry.title}”.")
    return redirect("changelog:admin")


@admin_required
@require_POST
def admin_image_delete(request: HttpRequest, entry_id: int, key: str) -> HttpResponse:
    entry = _entry(request, entry_id)
    image = EntryImage.objects.filter(entry=entry, key=key).first()
    if image is None:
        raise Http404("No such image")
    services.entry_image_delete(actor=request.user, image=image)  # type: ignore[arg-type]
    messages.success(request, "Image removed.")
    return redirect("changelog:admin_edit", entry_id=entry.pk)
