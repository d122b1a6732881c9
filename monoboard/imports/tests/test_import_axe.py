"""The import pages pass axe-core's WCAG 2.1 A/AA checks and fit a 390 px phone.

Same set-up as monoboard/e2e/tests/test_axe.py (Chromium, axe-core from
``npm ci`` in monoboard/e2e); skipped with the reason where those are missing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role
from monoboard.e2e.tests.test_axe import AXE, CHROMIUM, audit, browser, fast_hashing
from monoboard.imports.tests.test_import_pages import run_jobs, upload

__all__ = ["browser", "fast_hashing"]  # fixtures used here

FILES = Path(__file__).parent / "files"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core: run `npm ci` in monoboard/e2e"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_import_pages_have_no_wcag_violations(
    browser: Browser, live_server: LiveServer, fast_hashing: None, width: int, settings: Any
) -> None:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    client = Client()
    client.force_login(admin)
    done = upload(client, "generic.csv", (FILES / "generic.csv").read_bytes())["Location"]
    page = client.get(done).content.decode()
    fields = re.findall(r'<select name="(status_\d)"', page)
    values = re.findall(r'<option value="(\d+)" selected>', page)
    client.post(done, dict(zip(fields, values, strict=True)))
    run_jobs()
    planned = upload(client, "canny.csv", (FILES / "canny-posts.csv").read_bytes())["Location"]

    found = audit(browser, live_server.url, admin, width, ["/settings/import/", planned, done])
    lines = [f"{path}: {v['id']} {v['targets']}" for path, vs in found.items() for v in vs]
    assert not found, "\n".join(lines)

    if width == 390:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 390, "height": 900}
        )
        session = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        tab = context.new_page()
        for path in ["/settings/import/", planned, done]:
            tab.goto(path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= 390, path
        context.close()
