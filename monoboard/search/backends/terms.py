"""Turning what people type into safe search terms.

Nothing a user types is passed to the database's query syntax as-is: words are
extracted with a Unicode-aware pattern and quoted, so ``"``, ``*``, ``AND``,
``NEAR(`` and friends are just words (or nothing).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12
#: Letters a last word needs before it also matches the words it begins: a
#: one- or two-letter prefix begins a large share of every indexed word.
MIN_PREFIX_LETTERS = 3

#: Words too common to say anything about a title.
_STOP_WORDS_TEXT = """
a about add adding allow an and any are as at be been but by can could do does
for from get have how i if in into is it its let me more my need new no not of
on or our please should so some that the their them there this to us use using
via want was we were what when where which while who why will with would you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")][:MAX_TERMS]


def fts5_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def title_words(title: str) -> list[str]:
    """The words of a title that carry meaning (no stop words, no one- or two-letter words)."""
    return [w for w in words(title) if len(w) >= 3 and w not in STOP_WORDS]


def trigrams(word_list: list[str]) -> set[str]:
    grams: set[str] = set()
    for word in word_list:
        for i in range(len(word) - 2):
            grams.add(word[i : i + 3])
    return grams


def is_prefix(word: str) -> bool:
    """Whether a last word is long enough to match the words it begins."""
    return len(word) >= MIN_PREFIX_LETTERS


def fts5_all_words(word_list: list[str], *, last_also: list[str] | None = None) -> str:
    """Every word required (already cleaned by :func:`words`), the last also as
    any of ``last_also`` (known words it begins) and, unless it is one of them
    (a whole word, already typed) or shorter than MIN_PREFIX_LETTERS, as a prefix.

    A prefix term makes FTS5 merge the lists of every indexed word it begins,
    on every query that uses it: on a large site that is most of a search's
    time, spent only for words that may still be half-typed.
    """
    parts = [fts5_quote(w) for w in word_list]
    if parts:
        last, also = word_list[-1], last_also or []
        whole = last in also or not is_prefix(last)
        options = [parts[-1], *([] if whole else [f"{parts[-1]}*"])]
        options += [fts5_quote(w) for w in also if w != last]
        parts[-1] = "(" + " OR ".join(options) + ")" if len(options) > 1 else options[0]
    return " AND ".join(parts)


def title_vocabulary(title: str) -> set[str]:
    """Every distinct word of a title that could be typed into the new-post form."""
    return {w.lower() for w in _WORD.findall(title or "") if 3 <= len(w) <= 40}
