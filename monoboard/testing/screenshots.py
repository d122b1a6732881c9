"""The screenshots of docs/operations.md, "Your first hour", taken again.

A fresh site in a temporary folder, served by ``manage.py serve``, walked
through in headless Chromium as a new owner would: the setup page, a first
board, the site name, branding, the board with an idea, People, Scale. The
PNGs land in docs/img/. Run ``scripts/screenshots`` (needs Debian's chromium).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from monoboard.lib.ports import free_port

BASE_DIR = Path(__file__).resolve().parent.parent.parent
OUT = BASE_DIR / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def submit(page: Any, field: str) -> None:
    """Submit the form holding ``#field`` and wait for the next page."""
    form = page.locator(f"#{field}").locator("xpath=ancestor::form[1]")
    with page.expect_navigation():
        form.locator("button[type=submit], button:not([type])").last.click()


def walk(page: Any, site: str) -> None:
    def shot(name: str) -> None:
        page.screenshot(path=str(OUT / name), full_page=False)
        print(f"docs/img/{name}", flush=True)

    page.goto(f"{site}/")
    page.fill("#id_email", "owner@example.com")
    page.fill("#id_name", "Ada Owner")
    page.fill("#id_password", "correct horse battery 9!")
    page.fill("#id_password2", "correct horse battery 9!")
    shot("first-hour-1-setup.png")
    submit(page, "id_email")

    page.goto(f"{site}/settings/boards/new/")
    page.fill("#id_name", "Feature requests")
    page.fill("#id_slug", "features")
    page.fill("#id_description", "Ideas for the product: vote for the ones you want.")
    shot("first-hour-2-new-board.png")
    submit(page, "id_name")

    page.goto(f"{site}/settings/site/")
    page.fill("#id_site_name", "Acme feedback")
    page.fill("#id_tagline", "Tell us what to build next.")
    submit(page, "id_site_name")
    page.goto(f"{site}/settings/branding/")
    page.fill("#id_accent_color", "#0f766e")
    submit(page, "id_accent_color")
    shot("first-hour-3-branding.png")

    page.goto(f"{site}/b/features/")
    page.fill("#id_title", "Dark mode")
    page.fill("#id_body", "Easier on the eyes at night.")
    submit(page, "id_title")
    page.goto(f"{site}/b/features/")
    shot("first-hour-4-board.png")

    page.goto(f"{site}/accounts/people/")
    shot("first-hour-5-people.png")
    page.goto(f"{site}/ops/scale/")
    shot("first-hour-6-scale.png")


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="monoboard-screenshots-") as data:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))},
            "MONOBOARD_DATA_DIR": data,
            "EVENTS_PORT": str(free_port()),
            "WEB_WORKERS": "1",
        }
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        for step in (["migrate", "-v", "0"], ["updatestatic", "-v", "0"]):
            subprocess.run([*manage, *step], env=env, cwd=BASE_DIR, check=True)  # noqa: S603
        serve = subprocess.Popen(  # noqa: S603  (our own command)
            [*manage, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=BASE_DIR,
            start_new_session=True,
        )
        try:
            site = f"http://127.0.0.1:{port}"
            wait_ready(f"{site}/readyz")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    walk(browser.new_page(viewport={"width": 1200, "height": 760}), site)
                finally:
                    browser.close()
        finally:
            os.killpg(serve.pid, signal.SIGINT)
            serve.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
