"""Response headers that Django's settings alone cannot express.

* ``Content-Security-Policy`` comes from ``SECURE_CSP`` (Django's own
  middleware); this subclass adds the event stream's origin to
  ``connect-src``, because at stage 1 the stream is served on another port
  of the same host, which ``'self'`` does not cover.
* ``Permissions-Policy`` (``PERMISSIONS_POLICY``) turns off browser features
  no page uses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.utils.csp import CSP

from monoboard.lib.events_url import events_url


def _events_origin(request: HttpRequest) -> str | None:
    try:
        url = urlsplit(events_url(request))
    except DisallowedHost:
        return None  # the 400 for a bad Host header, already logged once
    except ValueError:
        return None
    if not url.scheme or not url.netloc:
        return None  # a path on this origin: 'self' covers it
    return f"{url.scheme}://{url.netloc}"


class ContentSecurityPolicyMiddleware(DjangoCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        config = settings.SECURE_CSP
        if config and not hasattr(response, "_csp_config"):
            origin = _events_origin(request)
            if origin:
                connect = list(config.get("connect-src") or [CSP.SELF])
                # Django's CSP middleware reads a per-response policy from here.
                response._csp_config = {**config, "connect-src": [*connect, origin]}  # type: ignore[attr-defined]
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        result: HttpResponse = super().process_response(request, response)
        return result
