"""The admins' settings pages, driven over HTTP as an admin would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, SiteSettings, Status, Tag

pytestmark = pytest.mark.django_db

PAGES = [
    "settings:home",
    "settings:site",
    "settings:boards",
    "settings:board_new",
    "settings:statuses",
    "settings:status_new",
    "settings:tags",
    "settings:tag_new",
]


def _names(statuses: list[Status]) -> list[str]:
    return [s.name for s in statuses]


# --- Who may ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_visitors_are_sent_to_sign_in(outsider_client: Client, name: str) -> None:
    url = reverse(name)
    response = outsider_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_members_and_moderators_are_refused(
    member_client: Client, moderator_client: Client, name: str
) -> None:
    assert member_client.get(reverse(name)).status_code == 403
    assert moderator_client.get(reverse(name)).status_code == 403


def test_members_cannot_post_changes(member_client: Client, public_board: Board) -> None:
    url = reverse("settings:board_delete", args=[public_board.pk])
    assert member_client.post(url).status_code == 403
    assert Board.objects.filter(pk=public_board.pk).exists()


@pytest.mark.parametrize("name", PAGES)
def test_admins_see_every_page(admin_client: Client, name: str) -> None:
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert b"settings-nav" in response.content


def test_overview_counts_and_nav_link(admin_client: Client, public_board: Board) -> None:
    response = admin_client.get(reverse("settings:home"))
    assert response.context["counts"]["boards"] == 1
    assert response.context["counts"]["statuses"] == Status.objects.count()
    assert reverse("settings:home").encode() in response.content


# --- Site name --------------------------------------------------------------------


def test_admin_renames_the_site(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("settings:site"), {"site_name": "Acme ideas", "tagline": "Vote on what we build"}
    )
    assert response.status_code == 302
    site = SiteSettings.load()
    assert (site.site_name, site.tagline) == ("Acme ideas", "Vote on what we build")
    page = admin_client.get(response["Location"])
    assert b"Acme ideas" in page.content


def test_blank_site_name_is_refused_and_input_kept(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("settings:site"), {"site_name": "   ", "tagline": "Kept tagline"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["site_name"]
    assert b"Kept tagline" in response.content
    assert SiteSettings.load().site_name == "monoboard"


# --- Boards -----------------------------------------------------------------------


def test_admin_creates_a_members_only_board(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("settings:board_new"),
        {"name": "Staff ideas", "slug": "", "description": "For us", "is_private": "on"},
    )
    assert response.status_code == 302
    board = Board.objects.get(slug="staff-ideas")
    assert board.is_private
    assert board.description == "For us"
    listing = admin_client.get(reverse("settings:boards"))
    assert b"Staff ideas" in listing.content
    assert b"Members only" in listing.content


def test_taken_board_address_shows_a_field_error_and_keeps_input(
    admin_client: Client, public_board: Board
) -> None:
    response = admin_client.post(
        reverse("settings:board_new"),
        {"name": "Another", "slug": public_board.slug, "description": "My careful words"},
    )
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["slug"][0]
    assert b"My careful words" in response.content
    assert Board.objects.count() == 1


def test_admin_edits_a_board(admin_client: Client, public_board: Board) -> None:
    url = reverse("settings:board_edit", args=[public_board.pk])
    assert b"Feature requests" in admin_client.get(url).content
    response = admin_client.post(url, {"name": "Features", "description": "New words"})
    assert response.status_code == 302
    public_board.refresh_from_db()
    assert (public_board.name, public_board.description) == ("Features", "New words")
    assert not public_board.is_private


def test_board_delete_confirms_with_post_count_then_deletes_posts(
    admin_client: Client, member: User, public_board: Board
) -> None:
    for title in ("Dark mode", "Export to CSV"):
        services.post_create(board=public_board, author=member, title=title)
    url = reverse("settings:board_delete", args=[public_board.pk])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert b"2 posts" in confirm.content
    assert Board.objects.filter(pk=public_board.pk).exists()
    assert admin_client.post(url).status_code == 302
    assert not Board.objects.filter(pk=public_board.pk).exists()
    assert Post.objects.count() == 0


def test_unknown_board_is_404(admin_client: Client) -> None:
    assert admin_client.get(reverse("settings:board_edit", args=[999])).status_code == 404


# --- Statuses ---------------------------------------------------------------------


def test_admin_creates_a_roadmap_status_with_colour(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("settings:status_new"),
        {"name": "Under review", "color": "#0EA5E9", "on_roadmap": "on"},
    )
    assert response.status_code == 302
    status = Status.objects.get(name="Under review")
    assert status.color == "#0ea5e9"
    assert status.on_roadmap
    assert not status.is_closed
    assert _names(list(Status.objects.all()))[-1] == "Under review"


def test_duplicate_status_name_and_bad_colour_are_field_errors(admin_client: Client) -> None:
    url = reverse("settings:status_new")
    response = admin_client.post(url, {"name": "Planned", "color": "#123456"})
    assert "already a status" in response.context["form"].errors["name"][0]
    response = admin_client.post(url, {"name": "Shipped soon", "color": "blue"})
    assert "colour" in response.context["form"].errors["color"][0]
    assert b'value="Shipped soon"' in response.content
    assert not Status.objects.filter(name="Shipped soon").exists()


def test_making_another_status_default_moves_the_flag(admin_client: Client) -> None:
    planned = Status.objects.get(slug="planned")
    url = reverse("settings:status_edit", args=[planned.pk])
    response = admin_client.post(
        url, {"name": "Planned", "color": planned.color, "on_roadmap": "on", "is_default": "on"}
    )
    assert response.status_code == 302
    assert list(Status.objects.filter(is_default=True)) == [planned]


def test_the_default_cannot_be_switched_off_without_a_replacement(admin_client: Client) -> None:
    default = Status.objects.get(is_default=True)
    url = reverse("settings:status_edit", args=[default.pk])
    response = admin_client.post(url, {"name": default.name, "color": default.color})
    assert response.status_code == 200
    assert "default" in response.content.decode()
    assert Status.objects.get(pk=default.pk).is_default


def test_statuses_move_up_and_down(admin_client: Client) -> None:
    before = _names(list(Status.objects.all()))
    done = Status.objects.get(slug="done")
    move = reverse("settings:status_move", args=[done.pk])
    assert admin_client.post(move, {"direction": "up"}).status_code == 302
    after_up = _names(list(Status.objects.all()))
    i = before.index("Done")
    assert after_up[i - 1] == "Done"
    assert after_up[i] == before[i - 1]
    admin_client.post(move, {"direction": "down"})
    assert _names(list(Status.objects.all())) == before
    first = Status.objects.first()
    assert first is not None
    admin_client.post(reverse("settings:status_move", args=[first.pk]), {"direction": "up"})
    assert _names(list(Status.objects.all())) == before


def test_move_needs_post(admin_client: Client) -> None:
    done = Status.objects.get(slug="done")
    response = admin_client.get(reverse("settings:status_move", args=[done.pk]))
    assert response.status_code == 405


def test_status_in_use_cannot_be_deleted(
    admin_client: Client, moderator: User, member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode")
    planned = Status.objects.get(slug="planned")
    services.post_set_status(post=post, actor=moderator, status=planned)
    url = reverse("settings:status_delete", args=[planned.pk])
    confirm = admin_client.get(url)
    assert b"cannot be deleted yet" in confirm.content
    response = admin_client.post(url, follow=True)
    assert Status.objects.filter(pk=planned.pk).exists()
    assert "Move the 1 posts" in response.content.decode()


def test_unused_status_is_deleted(admin_client: Client) -> None:
    declined = Status.objects.get(slug="declined")
    response = admin_client.post(reverse("settings:status_delete", args=[declined.pk]))
    assert response.status_code == 302
    assert not Status.objects.filter(pk=declined.pk).exists()


# --- Tags -------------------------------------------------------------------------


def test_admin_creates_edits_and_deletes_a_tag(admin_client: Client) -> None:
    admin_client.post(reverse("settings:tag_new"), {"name": "Mobile", "color": "#DB2777"})
    tag = Tag.objects.get(name="Mobile")
    assert tag.color == "#db2777"
    assert b"Mobile" in admin_client.get(reverse("settings:tags")).content
    admin_client.post(
        reverse("settings:tag_edit", args=[tag.pk]), {"name": "Mobile apps", "color": "#db2777"}
    )
    tag.refresh_from_db()
    assert tag.name == "Mobile apps"
    assert tag.slug == "mobile-apps"
    delete = reverse("settings:tag_delete", args=[tag.pk])
    assert b"Mobile apps" in admin_client.get(delete).content
    admin_client.post(delete)
    assert not Tag.objects.exists()


def test_tag_errors_keep_input(admin: User, admin_client: Client) -> None:
    services.tag_save(actor=admin, name="Mobile")
    response = admin_client.post(reverse("settings:tag_new"), {"name": "mobile", "color": "#fff"})
    errors = response.context["form"].errors
    assert "already a tag" in errors["name"][0]
    assert b'value="mobile"' in response.content
    assert Tag.objects.count() == 1


# --- Query counts -----------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["settings:boards", "settings:statuses", "settings:tags"])
def test_list_pages_run_a_fixed_number_of_queries(
    admin: User, admin_client: Client, name: str
) -> None:
    url = reverse(name)
    services.board_create(actor=admin, name="One")
    services.tag_save(actor=admin, name="Tag one")
    _queries(admin_client, url)  # the first request of a process checks more (first run)
    small = _queries(admin_client, url)
    for i in range(2, 8):
        services.board_create(actor=admin, name=f"Board {i}")
        services.tag_save(actor=admin, name=f"Tag {i}")
        services.status_save(actor=admin, fields=services.StatusFields(name=f"Status {i}"))
    assert _queries(admin_client, url) == small
