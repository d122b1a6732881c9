from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from monoboard.boards import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "boards/home.html", {"boards": selectors.boards_overview(request.user)})


def roadmap(request: HttpRequest) -> HttpResponse:
    return render(request, "boards/roadmap.html", {"columns": selectors.roadmap(request.user)})


def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "boards/home.html", {"boards": []})
