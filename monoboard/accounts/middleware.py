"""Send the very first visitor to the setup page until an admin exists."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from monoboard.accounts.models import Role, User

EXEMPT_PREFIXES = ("/accounts/setup", "/static/", "/healthz", "/readyz", "/metrics", "/api/")


class FirstRunMiddleware:
    """Once an admin exists the answer is remembered for the process's life."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_exists = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not self.admin_exists
            and request.method == "GET"
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            self.admin_exists = User.objects.filter(role=Role.ADMIN, is_active=True).exists()
            if not self.admin_exists:
                return redirect("accounts:setup")
        return self.get_response(request)
