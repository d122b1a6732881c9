from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from monoboard.boards.models import SiteSettings
from monoboard.lib import cacheaside


def site(request: HttpRequest) -> dict[str, object]:
    """The site's name and tagline for every page, read once per request."""
    cached = getattr(request, "_monoboard_site", None)
    if cached is None:
        cached = cacheaside.cached("site", "site", SiteSettings.load)
        request._monoboard_site = cached  # type: ignore[attr-defined]
    return {"site": cached, "max_images": settings.ATTACHMENT_MAX_PER_ITEM}
