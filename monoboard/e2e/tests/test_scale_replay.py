"""The Scale page's autoscaling replay in Chromium: no WCAG 2.1 A/AA violation
(axe-core), and at phone width (390 px) the page does not scroll sideways; the
replay's wide table scrolls inside its own box.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role
from monoboard.e2e.tests.test_axe import AXE, TAGS, TIMEOUT_MS, browser, fast_hashing, pytestmark
from monoboard.ops.models import ProcessCpu, RequestRollup

__all__ = ["browser", "fast_hashing", "pytestmark"]


def record_spike() -> None:
    """Forty minutes of figures with a spike in the middle, ending now."""
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=45)
    for t, demand in enumerate([60.0] * 10 + [300.0] * 10 + [60.0] * 20):
        minute = start + timedelta(minutes=t)
        for h in range(4):
            ProcessCpu.objects.create(
                minute=minute, host=f"box{h}", process="web", cpu_seconds=demand / 400 * 60
            )
        RequestRollup.objects.create(
            minute=minute, route="board", method="GET", count=100, buckets=[0, 0, 0, 100]
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_the_replay_is_accessible_and_fits_a_phone(
    browser: Browser, live_server: LiveServer, fast_hashing: None, width: int
) -> None:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    record_spike()
    client = Client()
    client.force_login(admin)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    response = page.goto("/ops/scale/")
    assert response is not None and response.status == 200
    assert page.locator("table.ops-replay tbody tr").count() == 3
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
