"""Markdown to HTML that is safe to show to anyone.

markdown-it renders with raw HTML switched off, then nh3 (ammonia) strips
anything that is still not on the allow-list, including ``javascript:`` links.
Bare ``http(s)://`` and ``mailto:`` addresses in text become links (a small
core rule below, so no extra dependency); every link gets
``rel="nofollow ugc noopener"``.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

LINK_REL = "nofollow ugc noopener"
_BARE_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_~"


def _url_end(url: str) -> str:
    """Drop trailing punctuation, and a ``)`` that closes nothing in the URL."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _linkify(state: StateCore) -> None:
    """Turn bare addresses in text (outside links and code) into links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            if token.type != "text" or depth > 0 or not _BARE_URL.search(token.content):
                out.append(token)
                continue
            text, pos = token.content, 0
            for match in _BARE_URL.finditer(text):
                url = _url_end(match.group(0))
                href = state.md.normalizeLink(url)
                if len(url) <= len(match.group(0).split(":", 1)[0]) + 3 or not (
                    state.md.validateLink(href)
                ):
                    continue
                start = match.start()
                if start > pos:
                    out.append(_text(text[pos:start]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": href}
                out.extend([link, _text(url), Token("link_close", "a", -1)])
                pos = start + len(url)
            if pos < len(text):
                out.append(_text(text[pos:]))
        block.children = out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)
_md.core.ruler.push("bare_links", _linkify)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
    )


_MD_SYNTAX = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.M), ""),  # block markers
    (re.compile(r"(\*\*|__|~~|\*|`+)"), ""),  # emphasis, strike, code ticks
    (re.compile(r"(?<!\w)_(?=\S)|(?<=\S)_(?!\w)"), ""),  # _emphasis_, not snake_case
]


def markdown_to_text(text: str) -> str:
    """Markdown source as plain reading text (for excerpts of a possibly cut
    snippet, where rendering is not possible). The result is text, to escape."""
    for pattern, repl in _MD_SYNTAX:
        text = pattern.sub(repl, text or "")
    return text
