"""System checks that turn configuration mistakes into clear messages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from monoboard.lib import env


@register()
def environment_values(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(f"{name} {message}.", hint="See docs/configuration.md.", id="monoboard.E001")
        for name, message in env.problems
    ]


@register(deploy=True)
def secure_deployment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.HTTPS:
        messages.append(
            Warning(
                "HTTPS is off, so session cookies are sent without the Secure flag.",
                hint="Set HTTPS=1 once the site is served over TLS.",
                id="monoboard.W001",
            )
        )
    if settings.EMAIL_MODE != "smtp":
        messages.append(
            Warning(
                f"EMAIL_MODE is {settings.EMAIL_MODE!r}: password resets and notifications are "
                "written locally, not sent.",
                hint="Set EMAIL_MODE=smtp and EMAIL_HOST (docs/configuration.md).",
                id="monoboard.W002",
            )
        )
    return messages
