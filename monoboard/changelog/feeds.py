"""The Atom 1.0 feed of published entries, as a visitor who is not signed in sees them."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from monoboard.boards.models import SiteSettings
from monoboard.changelog import selectors
from monoboard.changelog.announce import entry_path
from monoboard.changelog.models import Entry

FEED_SIZE = 20


class ChangelogFeed(Feed[Entry, None]):
    feed_type = Atom1Feed

    def title(self) -> str:
        return f"{SiteSettings.load().site_name} changelog"

    def subtitle(self) -> str:
        return "What shipped, newest first."

    def author_name(self) -> str:
        """Atom needs an author for every entry; the site stands in where an entry has none."""
        return SiteSettings.load().site_name

    def link(self) -> str:
        return reverse("changelog:list")

    def feed_url(self) -> str:
        return reverse("changelog:feed")

    def items(self) -> list[Entry]:
        entries = list(selectors.published().select_related("author")[:FEED_SIZE])
        # Kept on each entry, not on the feed: one feed object serves every request.
        posts = selectors.visible_posts(AnonymousUser(), entries)
        for entry in entries:
            entry.feed_posts = posts[entry.pk]  # type: ignore[attr-defined]
        return entries

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_link(self, item: Entry) -> str:
        return entry_path(item)

    def item_description(self, item: Entry) -> str:
        return render_to_string(
            "changelog/feed_item.html", {"entry": item, "posts": getattr(item, "feed_posts", [])}
        )

    def item_pubdate(self, item: Entry) -> datetime.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Entry) -> datetime.datetime | None:
        return max(filter(None, [item.updated_at, item.published_at]))

    def item_author_name(self, item: Entry) -> str | None:
        return item.author.display_name if item.author else None
