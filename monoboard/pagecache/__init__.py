"""The anonymous page cache (see cache.py), kept apart from the apps whose pages it serves."""

from monoboard.pagecache.cache import HEADER, anonymous_page_cache, content_version

__all__ = ["HEADER", "anonymous_page_cache", "content_version"]
