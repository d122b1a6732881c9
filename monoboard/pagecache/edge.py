"""Keep personal answers out of shared caches (nginx's edge cache, a CDN).

Only the anonymous page cache marks pages ``public`` (``cache.py``). This
middleware is the other half: an answer that sets a cookie (a session, a CSRF
token, a flash message) is never ``public`` whatever a view said, and a page
for a signed-in person that says nothing about caching gets
``private, no-store``. A view that marks a signed-in person's answer
``private`` or ``public`` itself (an attachment, the favicon) keeps its choice,
since that content is the same for everyone or already private.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

PERSONAL = "private, no-store"


class PersonalResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if response.cookies:
            if not cache_control or "public" in cache_control or "s-maxage" in cache_control:
                response["Cache-Control"] = PERSONAL
        elif not cache_control and _signed_in(request):
            response["Cache-Control"] = PERSONAL
        return response


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
