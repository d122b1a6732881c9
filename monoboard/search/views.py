"""The search page and the similar-posts lookup used by the new-post form."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from monoboard.boards import access
from monoboard.boards.models import Status
from monoboard.lib.cursor import BadCursor
from monoboard.pagecache import anonymous_page_cache
from monoboard.search import selectors

MAX_QUERY = 200


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Results for anyone; visitors not signed in share each URL's page until any write.

    The page of one query is the same for every visitor, and searches repeat
    ("dark mode"); the page cache keys it by the whole URL and the newest
    event. The index follows the log a moment behind the write, so a page is
    shared only while the index has read every event: a page filed under
    the newest event then shows the site as of that event.
    """
    if request.user.is_authenticated or not selectors.index_caught_up():
        return _search(request)
    return _shared_search(request)


def _search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    board_slug = request.GET.get("board", "").strip()
    status_slug = request.GET.get("status", "").strip()
    board = access.board_or_404(request.user, board_slug) if board_slug else None
    status = Status.objects.filter(slug=status_slug).first() if status_slug else None
    page = None
    error = ""
    if query:
        try:
            page = selectors.search_posts(
                query,
                viewer=request.user,
                board=board,
                status=status,
                cursor=request.GET.get("after") or None,
                limit=settings.SEARCH_RESULTS_PER_PAGE,
                columns=selectors.PAGE_COLUMNS,
            )
        except BadCursor as exc:
            error = str(exc)
    context = {
        "query": query,
        "board": board,
        "status": status,
        "boards": access.visible_boards(request.user),
        "statuses": Status.objects.all(),
        "page": page,
        "error": error,
    }
    return render(request, "search/search.html", context)


_shared_search = anonymous_page_cache(_search)


@require_safe
def similar(request: HttpRequest) -> JsonResponse:
    board = access.board_or_404(request.user, request.GET.get("board", "").strip())
    title = request.GET.get("title", "")[:MAX_QUERY]
    posts = selectors.similar_posts(title, viewer=request.user, board=board)
    return JsonResponse(posts, safe=False, headers={"Cache-Control": "private, no-store"})
