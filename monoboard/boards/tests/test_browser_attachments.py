"""In Chromium at phone width: images chosen with the file button (no script
needed) and pasted into the comment form (images.js), shown as thumbnails."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards.models import Attachment, Board, Comment, Post
from monoboard.boards.tests.images import image_bytes

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 10_000
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE: Any = {"width": 390, "height": 844}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

PASTE = """(data) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const file = new File([bytes], "image.png", { type: "image/png" });
  const transfer = new DataTransfer();
  transfer.items.add(file);
  const target = document.querySelector("#comment-form textarea");
  target.focus();
  target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
}"""


def test_upload_with_the_button_and_paste_into_a_comment_on_a_phone(
    live_server: Any, member: User, public_board: Board
) -> None:
    from playwright.sync_api import FilePayload, sync_playwright

    client = Client()
    client.force_login(member)
    session = client.cookies["sessionid"].value
    png = image_bytes("PNG", (640, 360), "#22aa66")
    csp_errors: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport=PHONE)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.on(
                "console",
                lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None,
            )
            page.goto(f"{live_server.url}/b/{public_board.slug}/")
            page.fill("#id_title", "Photos of the problem")
            page.set_input_files(
                "[data-testid=new-post-form] [data-testid=image-input]",
                files=[FilePayload(name="screen.png", mimeType="image/png", buffer=png)],
            )
            page.click("[data-testid=new-post-submit]")
            page.wait_for_selector("[data-testid=post-images] [data-testid=image-thumb]")

            page.evaluate(PASTE, base64.b64encode(png).decode())
            listed = page.locator("#comment-form .image-drop-list li")
            assert listed.inner_text() == "pasted-1.png"
            page.fill("#comment-form textarea", "Pasted from the clipboard")
            page.click("#comment-form button[type=submit]")
            page.wait_for_selector("[data-testid=comment-images] [data-testid=image-thumb]")

            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0
            thumb = page.locator("[data-testid=post-images] [data-testid=image-thumb]").first
            assert thumb.evaluate("img => img.naturalWidth") == 640  # loaded through the check
            shots = os.environ.get("MONOBOARD_SCREENSHOTS")
            if shots:
                page.screenshot(path=str(Path(shots) / "attachments-phone.png"), full_page=True)
        finally:
            browser.close()

    post = Post.objects.get(title="Photos of the problem")
    assert Attachment.objects.filter(post=post, comment=None).count() == 1
    comment = Comment.objects.get(post=post)
    assert Attachment.objects.filter(comment=comment).count() == 1
    assert csp_errors == []
