"""Rough edges a new owner meets in the first hour, each pinned through HTTP."""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image

from conftest import client_for
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, SiteSettings, Status
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
    "/similar/",
    "/changelog/admin/",
    "/changelog/admin/new/",
    "/settings/sign-in/",
    "/settings/export/",
]
MENU_ENTRIES = [
    "Settings",
    "Boards",
    "Statuses",
    "Tags",
    "Duplicates",
    "Changelog",
    "Sign-in",
    "People",
    "Email delivery",
    "Export",
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


@pytest.mark.django_db
def test_search_results_show_plain_text_not_markdown(
    member: User, public_board: Board, outsider_client: Client
) -> None:
    services.post_create(
        board=public_board,
        author=member,
        title="Theme for night owls",
        body="We would love a **dark theme** and `code` [docs](https://example.com)",
    )
    call_command("reindex", "--no-progress", stdout=io.StringIO())
    html = outsider_client.get("/search/?q=theme").content.decode()
    snippet = re.search(r'data-testid="search-snippet">(.*?)</p>', html, re.S)
    assert snippet is not None
    assert "**" not in snippet.group(1) and "`" not in snippet.group(1)
    assert "](" not in snippet.group(1)
    assert "<mark>theme</mark>" in snippet.group(1)


REL = 'rel="nofollow ugc noopener"'


@pytest.mark.django_db
def test_links_typed_in_comments_and_posts_are_clickable_and_safe(
    member: User, public_board: Board, outsider_client: Client
) -> None:
    post = services.post_create(
        board=public_board,
        author=member,
        title="Links in text",
        body="See https://example.com/docs. Also javascript:alert(1) and ftp://x.org",
    )
    services.comment_create(
        post=post, author=member, body="Mail mailto:hi@example.com or `https://no.link`"
    )
    html = outsider_client.get(f"/b/features/p/{post.pk}-{post.slug}/").content.decode()
    assert f'<a href="https://example.com/docs" {REL}>https://example.com/docs</a>.' in html
    assert f'<a href="mailto:hi@example.com" {REL}>' in html
    assert "<code>https://no.link</code>" in html
    assert 'href="javascript' not in html and 'href="ftp' not in html


@pytest.mark.django_db
def test_stored_posts_are_rendered_again_with_links(member: User, public_board: Board) -> None:
    post = services.post_create(
        board=public_board, author=member, title="Old row", body="Go to https://example.com"
    )
    Post.objects.filter(pk=post.pk).update(body_html="<p>Go to https://example.com</p>")
    migration = importlib.import_module("monoboard.boards.migrations.0007_rerender_links")
    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    migration.rerender(django_apps, editor)
    post.refresh_from_db()
    assert f'<a href="https://example.com" {REL}>' in post.body_html


@pytest.mark.django_db
def test_many_comments_are_paged_with_a_link_that_needs_no_script(
    member: User, admin: User, public_board: Board, outsider_client: Client
) -> None:
    post = services.post_create(board=public_board, author=member, title="Busy thread")
    for i in range(65):
        services.comment_create(post=post, author=member, body=f"Comment number {i:03d}")
    url = f"/b/features/p/{post.pk}-{post.slug}/"
    first = outsider_client.get(url).content.decode()
    assert first.count('data-testid="comment"') == 30
    assert "Comment number 029" in first and "Comment number 030" not in first
    more = re.search(r'href="([^"]+)" data-testid="more-comments"', first)
    assert more is not None
    second = outsider_client.get(more.group(1).replace("&amp;", "&")).content.decode()
    assert second.count('data-testid="comment"') == 60
    last = outsider_client.get(url + "?comments=90").content.decode()
    assert last.count('data-testid="comment"') == 65
    assert 'data-testid="more-comments"' not in last
    # The newest comment is on the page a commenter is sent back to.
    response = client_for(admin).post(f"{url[: -len(post.slug) - 2]}/comments/", {"body": "Last"})
    assert response.status_code == 302
    landing = client_for(admin).get(response["Location"]).content.decode()
    assert "<p>Last</p>" in landing


@pytest.mark.django_db
def test_roadmap_columns_show_the_true_total_and_see_all(
    member: User, admin: User, public_board: Board, outsider_client: Client
) -> None:
    planned = Status.objects.get(slug="planned")
    for i in range(55):
        post = services.post_create(board=public_board, author=member, title=f"Planned idea {i}")
        Post.objects.filter(pk=post.pk).update(status=planned)
    html = outsider_client.get("/roadmap/").content.decode()
    assert re.search(r'Planned <span class="muted" data-testid="roadmap-total">55</span>', html)
    assert 'href="/roadmap/planned/" data-testid="roadmap-see-all"' in html
    page1 = outsider_client.get("/roadmap/planned/").content.decode()
    assert page1.count('data-testid="roadmap-card"') == 50
    page2 = outsider_client.get("/roadmap/planned/?page=2").content.decode()
    assert page2.count('data-testid="roadmap-card"') == 5
    assert outsider_client.get("/roadmap/open/").status_code == 404  # not on the roadmap


@pytest.mark.django_db
def test_admin_post_page_puts_comments_beside_the_tools_not_below_them(
    member: User, public_board: Board, admin_client: Client
) -> None:
    post = services.post_create(board=public_board, author=member, title="Layout check")
    html = admin_client.get(f"/b/features/p/{post.pk}-{post.slug}/").content.decode()
    layout = html[html.index('<div class="post-layout">') :]
    # The comments share the grid with the moderator tools (which span two rows).
    assert layout.index('data-testid="moderator-tools"') < layout.index('class="comments"')
    assert layout.index('class="comments"') < layout.index("</section>\n</div>")


@pytest.mark.django_db
def test_profile_page_has_no_duplicate_ids(member_client: Client) -> None:
    html = member_client.get("/accounts/profile/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'<label for="([^"]+)"', html):
        assert target in ids


@pytest.mark.django_db
def test_profile_forms_still_save_with_prefixed_ids(member_client: Client, member: User) -> None:
    response = member_client.post(
        "/accounts/profile/", {"action": "profile", "name": "Mel Renamed", "email": member.email}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Mel Renamed"


@pytest.mark.django_db
def test_vote_button_carries_both_labels_and_an_inline_error_region(
    member: User, other_member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=other_member, title="Label check")
    html = client_for(member).get("/b/features/").content.decode()
    assert 'aria-label="Vote for Label check"' in html
    assert 'data-label-unvote="Remove your vote for Label check"' in html
    assert 'class="vote-error" role="status" aria-live="polite"' in html
    services.vote_toggle(post=post, user=member)
    html = client_for(member).get("/b/features/").content.decode()
    assert 'aria-label="Remove your vote for Label check"' in html


def test_vote_script_updates_the_label_and_never_uses_alert() -> None:
    script = (
        Path(django_settings.BASE_DIR) / "monoboard/boards/static/monoboard/app.js"
    ).read_text()
    assert "alert(" not in script
    assert 'button.setAttribute("aria-label", label)' in script
    assert "data-label-unvote" in script


def _png(size: tuple[int, int] = (200, 60), color: str = "#ff8800") -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    out.seek(0)
    return out


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _branding(admin_client: Client, **fields: Any) -> Any:
    data = {"accent_color": "#4f46e5", "custom_css": ""} | fields
    return admin_client.post("/settings/branding/", data)


@pytest.mark.django_db
def test_logo_is_decoded_reencoded_and_shown(
    admin_client: Client, outsider_client: Client, media: Path
) -> None:
    upload = SimpleUploadedFile("logo.png", _png((960, 192)).getvalue(), "image/png")
    assert _branding(admin_client, logo=upload).status_code == 302
    site = SiteSettings.load()
    assert site.logo.startswith("branding/logo-") and site.logo.endswith(".png")
    home = outsider_client.get("/").content.decode()
    assert 'class="brand-logo" src="/branding/logo.png?v=' in home
    served = outsider_client.get("/branding/logo.png")
    assert served["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "PNG" and image.size == (480, 96)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg onload=alert(1)></svg>", "not an image"),
        (b"GIF89a" + b"\x00" * 40, "not an image"),
        (b"\x89PNG" + b"0" * (1024 * 1024 + 10), "larger than 1 MB"),
    ],
)
def test_logo_that_is_not_a_small_image_is_refused(
    admin_client: Client, media: Path, content: bytes, message: str
) -> None:
    upload = SimpleUploadedFile("logo.png", content, "image/png")
    response = _branding(admin_client, logo=upload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SiteSettings.load().logo == ""


@pytest.mark.django_db
def test_accent_colour_is_validated_and_served_as_a_stylesheet(
    admin_client: Client, outsider_client: Client, media: Path
) -> None:
    assert _branding(admin_client, accent_color="red;}</style>").status_code == 400
    assert _branding(admin_client, accent_color="#ffdd00").status_code == 302
    home = outsider_client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/branding.css?v=' in home
    css = outsider_client.get("/branding.css")
    assert css["Content-Type"] == "text/css; charset=utf-8"
    accent = re.search(r"--accent: (#[0-9a-f]{6})", css.content.decode())
    assert accent is not None
    # A light yellow is darkened until white button text and links read at 4.5:1.
    assert colors.contrast(colors.parse_hex(accent.group(1)), (255, 255, 255)) >= 4.5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "css",
    [
        "@import url(https://evil.example/x.css);",
        "body { background: url(https://evil.example/track.png) }",
        "</style><script>alert(1)</script>",
        "a { behavior: url(x.htc) }",
        "a { content: '\\3c script' }",
    ],
)
def test_custom_css_that_could_load_or_inject_is_refused(
    admin_client: Client, media: Path, css: str
) -> None:
    assert _branding(admin_client, custom_css=css).status_code == 400
    assert SiteSettings.load().custom_css == ""


@pytest.mark.django_db
def test_custom_css_is_served_apart_and_only_admins_set_it(
    admin_client: Client, member_client: Client, outsider_client: Client, media: Path
) -> None:
    assert (
        _branding(admin_client, custom_css=".topbar { border-bottom-width: 3px; }").status_code
        == 302
    )
    assert (
        ".topbar { border-bottom-width: 3px; }"
        in outsider_client.get("/branding.css").content.decode()
    )
    assert "border-bottom-width" not in outsider_client.get("/").content.decode()
    assert member_client.post("/settings/branding/", {"custom_css": "x"}).status_code in (403, 404)


@pytest.mark.django_db
def test_favicon_has_a_default_and_can_be_replaced(
    admin_client: Client, outsider_client: Client, media: Path
) -> None:
    default = outsider_client.get("/favicon.ico")
    assert default.status_code == 200 and default["Content-Type"] == "image/x-icon"
    assert Image.open(io.BytesIO(default.content)).format == "ICO"
    upload = SimpleUploadedFile("icon.png", _png((64, 64), "#00aa00").getvalue(), "image/png")
    assert _branding(admin_client, favicon=upload).status_code == 302
    replaced = outsider_client.get("/favicon.ico").content
    assert replaced != default.content
    assert Image.open(io.BytesIO(replaced)).format == "ICO"
    assert _branding(admin_client, remove_favicon="on").status_code == 302
    assert outsider_client.get("/favicon.ico").content == default.content


@pytest.mark.django_db
def test_avatars_are_initials_unless_gravatar_is_chosen(
    member: User, public_board: Board, member_client: Client
) -> None:
    post = services.post_create(board=public_board, author=member, title="Avatar check")
    services.comment_create(post=post, author=member, body="Hello")
    url = f"/b/features/p/{post.pk}-{post.slug}/"
    html = member_client.get(url).content.decode()
    assert 'aria-hidden="true">MM</span>' in html
    assert "gravatar.com" not in html
    assert "Privacy" in member_client.get("/accounts/profile/").content.decode()
    response = member_client.post("/accounts/profile/", {"action": "avatar", "use_gravatar": "1"})
    assert response.status_code == 302
    html = member_client.get(url).content.decode()
    digest = hashlib.sha256(b"mem@example.com").hexdigest()
    assert f"https://www.gravatar.com/avatar/{digest}?s=64&amp;d=identicon" in html
    assert "mem@example.com" not in html
    assert "https://www.gravatar.com" in member_client.get(url)["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_new_api_key_has_a_copy_button_driven_by_the_static_script(
    member_client: Client,
) -> None:
    response = member_client.post("/api/keys/new/", {"name": "ci"}, follow=True)
    html = response.content.decode()
    assert 'data-copy="new-api-key"' in html and 'id="new-api-key"' in html
    assert "<script>" not in html and "onclick" not in html
    static = Path(django_settings.BASE_DIR) / "monoboard/boards/static/monoboard"
    assert "[data-copy]" in (static / "app.js").read_text()


@pytest.mark.django_db
def test_board_page_offers_share_an_idea_above_the_list(
    member_client: Client, public_board: Board
) -> None:
    html = member_client.get("/b/features/").content.decode()
    main = html[html.index('<section class="board-main"') :]
    assert main.index('data-testid="share-jump"') < main.index('aria-label="Sort posts"')


@pytest.mark.django_db
def test_statuses_table_stacks_on_a_phone(admin_client: Client) -> None:
    html = admin_client.get("/settings/statuses/").content.decode()
    assert 'class="settings-table stack-narrow"' in html
    assert html.count('data-label="Status"') == Status.objects.count()
