"""Redirect single sign-on: visitors without a session go to the customer's login.

With ``redirect_mode`` "signin" only the sign-in page sends visitors away
(``/accounts/signin/?password=1`` still shows the password form, for staff);
with "all" every page does, except sign-in itself, this app's own addresses,
the API, static files and the health probes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from monoboard.sso import selectors
from monoboard.sso.models import RedirectMode

#: Never redirected, and not even looked at: the probes must answer without the database.
UNTOUCHED = ("/static/", "/media/", "/healthz", "/readyz", "/metrics")
EXEMPT = ("/sso/", "/accounts/", "/api/", *UNTOUCHED)


class RedirectSSOMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UNTOUCHED):
            return self.get_response(request)
        if request.method in ("GET", "HEAD") and not request.user.is_authenticated:
            target = self._target(request)
            if target:
                return HttpResponseRedirect(target)
        return self.get_response(request)

    def _target(self, request: HttpRequest) -> str:
        config = selectors.redirect_config()
        if config.redirect_mode == RedirectMode.OFF or not config.login_url:
            return ""
        path = request.path
        if path == reverse("accounts:signin"):
            if "password" in request.GET:
                return ""
            return selectors.login_redirect_url(config, request.GET.get("next", "/"))
        if config.redirect_mode == RedirectMode.ALL and not path.startswith(EXEMPT):
            return selectors.login_redirect_url(config, request.get_full_path())
        return ""
