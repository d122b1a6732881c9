"""The admins' site settings pages: site name, boards, statuses and tags.

Every page is for admins only: visitors are sent to sign in, signed-in
people who are not admins get 403. Forms only parse input; the rules (unique
names, colours, the default status, statuses in use) live in services.py and
their ValidationErrors are shown against the fields they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.boards import selectors, services
from monoboard.boards.models import SiteSettings, Status, Tag
from monoboard.core.decorators import admin_required


def _admin(request: HttpRequest) -> Any:
    """The signed-in admin (admin_required has already checked)."""
    return request.user


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form fields it names."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def _found[T](obj: T | None) -> T:
    if obj is None:
        raise Http404("Not found")
    return obj


class ColorInput(forms.TextInput):
    input_type = "color"


class SiteForm(forms.Form):
    site_name = forms.CharField(label="Site name", max_length=80)
    tagline = forms.CharField(
        label="Tagline",
        max_length=200,
        required=False,
        help_text="One line under the site name on the home page.",
    )


class BrandingForm(forms.Form):
    accent_color = forms.CharField(
        label="Accent colour",
        max_length=7,
        required=False,
        help_text="Links and buttons (#rrggbb), darkened where needed to stay readable.",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG, GIF or WebP up to 1 MB; shown up to 480 by 96 pixels in the top bar.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    favicon = forms.FileField(
        label="Favicon",
        required=False,
        help_text="A square image up to 1 MB, served as /favicon.ico.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_favicon = forms.BooleanField(label="Use the default favicon", required=False)
    custom_css = forms.CharField(
        label="Custom CSS",
        required=False,
        help_text="Added after monoboard's styles on every page; no @import or external url().",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
    )


class BoardForm(forms.Form):
    name = forms.CharField(max_length=80)
    slug = forms.CharField(
        label="Address",
        max_length=80,
        required=False,
        help_text="The board lives at /b/<address>/. Leave empty to make one from the name.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_private = forms.BooleanField(
        label="Members only",
        required=False,
        help_text="Hidden from visitors who are not signed in.",
    )


class BoardEditForm(BoardForm):
    slug = None  # type: ignore[assignment]  # the address of an existing board is fixed


class StatusForm(forms.Form):
    name = forms.CharField(max_length=40)
    color = forms.CharField(label="Colour", max_length=7, initial="#6b7280", widget=ColorInput)
    on_roadmap = forms.BooleanField(
        label="Show on the roadmap", required=False, help_text="Posts in it get a column."
    )
    is_closed = forms.BooleanField(
        label="Closed", required=False, help_text="Finished or declined: no longer open to work."
    )
    is_default = forms.BooleanField(
        label="Default for new posts", required=False, help_text="Exactly one status is default."
    )


class TagForm(forms.Form):
    name = forms.CharField(max_length=40)
    color = forms.CharField(label="Colour", max_length=7, initial="#2563eb", widget=ColorInput)


# --- Overview and site ------------------------------------------------------------


@admin_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "settings/home.html",
        {"section": "home", "counts": selectors.settings_overview()},
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def site(request: HttpRequest) -> HttpResponse:
    current = SiteSettings.load()
    form = SiteForm(
        request.POST or None, initial={"site_name": current.site_name, "tagline": current.tagline}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.site_settings_update(
                actor=_admin(request),
                site_name=form.cleaned_data["site_name"],
                tagline=form.cleaned_data["tagline"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, "Site name and tagline saved.")
            return redirect("settings:site")
    return render(request, "settings/site.html", {"section": "site", "form": form})


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def branding(request: HttpRequest) -> HttpResponse:
    current = SiteSettings.load()
    initial = {"accent_color": current.accent_color or "#4f46e5", "custom_css": current.custom_css}
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.site_branding_update(
                actor=_admin(request),
                accent_color=data["accent_color"],
                custom_css=data["custom_css"],
                logo=data["logo"],
                favicon=data["favicon"],
                remove_logo=data["remove_logo"],
                remove_favicon=data["remove_favicon"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, "Branding saved.")
            return redirect("settings:branding")
    context = {"section": "branding", "form": form, "current": current}
    return render(request, "settings/branding.html", context, status=400 if form.errors else 200)


# --- Boards -----------------------------------------------------------------------


@admin_required
def board_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "settings/boards.html",
        {"section": "boards", "boards": selectors.settings_boards()},
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def board_new(request: HttpRequest) -> HttpResponse:
    form = BoardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            board = services.board_create(
                actor=_admin(request),
                name=data["name"],
                slug=data["slug"],
                description=data["description"],
                is_private=data["is_private"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Board {board.name!r} created.")
            return redirect("settings:boards")
    return render(
        request, "settings/board_form.html", {"section": "boards", "form": form, "board": None}
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def board_edit(request: HttpRequest, board_id: int) -> HttpResponse:
    board = _found(selectors.board_for_settings(board_id))
    initial = {"name": board.name, "description": board.description, "is_private": board.is_private}
    form = BoardEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.board_update(
                actor=_admin(request),
                board=board,
                name=data["name"],
                description=data["description"],
                is_private=data["is_private"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Board {board.name!r} saved.")
            return redirect("settings:boards")
    return render(
        request, "settings/board_form.html", {"section": "boards", "form": form, "board": board}
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def board_delete(request: HttpRequest, board_id: int) -> HttpResponse:
    board = _found(selectors.board_for_settings(board_id))
    if request.method == "POST":
        name = board.name
        services.board_delete(actor=_admin(request), board=board)
        messages.success(request, f"Board {name!r} and its posts were deleted.")
        return redirect("settings:boards")
    return render(
        request,
        "settings/confirm_delete.html",
        {
            "section": "boards",
            "kind": "board",
            "thing": board,
            "count": getattr(board, "post_count", 0),
            "cancel_url": "settings:boards",
        },
    )


# --- Statuses ---------------------------------------------------------------------


@admin_required
def status_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "settings/statuses.html",
        {"section": "statuses", "statuses": selectors.settings_statuses()},
    )


def _save_status(request: HttpRequest, status: Status | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if status is not None:
        initial = {
            "name": status.name,
            "color": status.color,
            "on_roadmap": status.on_roadmap,
            "is_closed": status.is_closed,
            "is_default": status.is_default,
        }
    form = StatusForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.status_save(
                actor=_admin(request),
                fields=services.StatusFields(**form.cleaned_data),
                status=status,
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Status {saved.name!r} saved.")
            return redirect("settings:statuses")
    return render(
        request,
        "settings/status_form.html",
        {"section": "statuses", "form": form, "status": status},
    )


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_new(request: HttpRequest) -> HttpResponse:
    return _save_status(request, None)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_edit(request: HttpRequest, status_id: int) -> HttpResponse:
    return _save_status(request, _found(selectors.status_for_settings(status_id)))


@admin_required
@require_POST
def status_move(request: HttpRequest, status_id: int) -> HttpResponse:
    """Swap a status with its neighbour above ("up") or below ("down")."""
    ids = [s.pk for s in selectors.settings_statuses()]
    if status_id not in ids:
        raise Http404("No such status")
    index = ids.index(status_id)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        services.status_reorder(actor=_admin(request), ordered_ids=ids)
    return redirect("settings:statuses")


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_delete(request: HttpRequest, status_id: int) -> HttpResponse:
    status = _found(selectors.status_for_settings(status_id))
    if request.method == "POST":
        try:
            services.status_delete(actor=_admin(request), status=status)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Status {status.name!r} deleted.")
        return redirect("settings:statuses")
    return render(
        request,
        "settings/confirm_delete.html",
        {
            "section": "statuses",
            "kind": "status",
            "thing": status,
            "count": getattr(status, "post_count", 0),
            "cancel_url": "settings:statuses",
        },
    )


# --- Tags -------------------------------------------------------------------------


@admin_required
def tag_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "settings/tags.html", {"section": "tags", "tags": selectors.settings_tags()}
    )


def _save_tag(request: HttpRequest, tag: Tag | None) -> HttpResponse:
    initial = {"name": tag.name, "color": tag.color} if tag is not None else {}
    form = TagForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.tag_save(
                actor=_admin(request),
                name=form.cleaned_data["name"],
                color=form.cleaned_data["color"],
                tag=tag,
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Tag {saved.name!r} saved.")
            return redirect("settings:tags")
    return render(request, "settings/tag_form.html", {"section": "tags", "form": form, "tag": tag})


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def tag_new(request: HttpRequest) -> HttpResponse:
    return _save_tag(request, None)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    return _save_tag(request, _found(selectors.tag_for_settings(tag_id)))


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = _found(selectors.tag_for_settings(tag_id))
    if request.method == "POST":
        services.tag_delete(actor=_admin(request), tag=tag)
        messages.success(request, f"Tag {tag.name!r} deleted.")
        return redirect("settings:tags")
    return render(
        request,
        "settings/confirm_delete.html",
        {
            "section": "tags",
            "kind": "tag",
            "thing": tag,
            "count": getattr(tag, "post_count", 0),
            "cancel_url": "settings:tags",
        },
    )
