"""SITE_URL, unset, follows where the site listens (HOST/PORT, serve's --host/--port)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from monoboard.lib.siteurl import listening_site_url


def site_url_with(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    code = "from django.conf import settings; print(settings.SITE_URL)"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**base, "DJANGO_SETTINGS_MODULE": "monoboard.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_settings_follow_host_and_port_unless_site_url_is_set() -> None:
    assert site_url_with() == "http://127.0.0.1:8000"
    assert site_url_with(PORT="8123") == "http://127.0.0.1:8123"
    assert site_url_with(HOST="192.0.2.7", PORT="9000") == "http://192.0.2.7:9000"
    explicit = site_url_with(PORT="8123", SITE_URL="https://feedback.example.com/")
    assert explicit == "https://feedback.example.com"


def test_wildcard_and_ipv6_hosts() -> None:
    assert listening_site_url("0.0.0.0", 80) == "http://localhost:80"  # noqa: S104
    assert listening_site_url("::", 8000) == "http://localhost:8000"
    assert listening_site_url("::1", 8000) == "http://[::1]:8000"
