"""Rough edges a new owner meets in the first hour, each pinned through HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Status
from monoboard.lib import colors


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/roadmap/", "/b/features/", "/search/?q=x", "/accounts/signin/"]
)
def test_head_answers_like_get(outsider_client: Client, public_board: Board, path: str) -> None:
    response = outsider_client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def _pill_contrast(html: str) -> list[float]:
    found = re.findall(r"--pill: (#[0-9a-f]{6}); --pill-ink: (#[0-9a-f]{6})", html)
    assert found
    return [
        colors.contrast(
            colors.parse_hex(ink),
            colors.mix(colors.parse_hex(color), colors.parse_hex("#ffffff"), 0.14),
        )
        for color, ink in found
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("color", ["#ffff00", "#00ffff", "#6b7280", "#000080"])
def test_status_pills_are_readable_whatever_colour_is_picked(
    admin: User, member: User, public_board: Board, color: str
) -> None:
    for status in Status.objects.all():
        post = services.post_create(board=public_board, author=member, title=f"On {status.name}")
        services.post_set_status(actor=admin, post=post, status=status)
    Status.objects.filter(slug="planned").update(color=color)
    html = Client().get("/b/features/").content.decode()
    assert min(_pill_contrast(html)) >= 4.5


ADMIN_PAGES = [
    "/settings/",
    "/settings/site/",
    "/settings/boards/",
    "/settings/statuses/",
    "/settings/tags/",
    "/accounts/people/",
    "/notifications/admin/",
    "/webhooks/admin/",
    "/jobs/admin/",
    "/ops/scale/",
]
MENU_ENTRIES = [
    "Settings",
    "Boards",
    "Statuses",
    "Tags",
    "People",
    "Email delivery",
    "Webhooks",
    "API keys",
    "Jobs",
    "Scale",
]


def _menus(html: str) -> list[str]:
    return re.findall(r'<nav class="admin-menu".*?</nav>', html, re.S)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_admin_page_has_the_admin_menu(admin_client: Client, path: str) -> None:
    html = admin_client.get(path).content.decode()
    menus = _menus(html)
    assert len(menus) == 2, "one beside the page, one in the top bar's menu"
    for entry in MENU_ENTRIES:
        assert f">{entry}</a>" in menus[0]
    for link in re.findall(r'href="([^"#]+)', menus[0]):
        assert admin_client.get(link).status_code == 200, link
    assert 'aria-current="page"' in menus[0] or path == "/settings/site/"
    # h1 comes before any h2 on the page
    first_h1, first_h2 = html.find("<h1"), html.find("<h2")
    assert first_h1 > 0 and (first_h2 == -1 or first_h1 < first_h2)


@pytest.mark.django_db
def test_the_admin_menu_is_only_for_admins(member_client: Client) -> None:
    assert _menus(member_client.get("/").content.decode()) == []
    assert "Sign out" in member_client.get("/").content.decode()


@pytest.mark.django_db
def test_create_the_first_board_opens_the_new_board_form(admin_client: Client) -> None:
    html = admin_client.get("/").content.decode()
    assert 'href="/settings/boards/new/">Create the first board' in html


@pytest.mark.django_db
def test_email_page_in_file_mode_says_which_folder(admin_client: Client, settings: Any) -> None:
    settings.EMAIL_MODE = "file"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": "/srv/monoboard/var/mail"},
        }
    }
    html = admin_client.get("/notifications/admin/").content.decode()
    assert "<code>/srv/monoboard/var/mail</code>" in html
