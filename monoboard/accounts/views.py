from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def signin(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in")


signup = signout = profile = setup = signin
