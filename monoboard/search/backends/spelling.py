"""Typo tolerance for similar-title lookups on SQLite.

Every distinct title word is kept in ``search_word`` with an FTS5 trigram index
(``search_word_tri``). A typed word that is not a known word (or, for the
last word, the start of one) is replaced by the known words that look most
like it: trigram candidates, then a closer comparison in Python. The lookup
then runs on whole words again, which stays fast however many posts there are.

The word list holds the words of every title ever indexed, including titles
some people may not see (members-only boards, hidden or deleted posts). A
lookup therefore passes ``keep``, which keeps only the words found in titles
the asker may see; it is applied *before* any count limit, so words from
unseen titles can neither be offered nor crowd out the words that are seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from typing import Any

from monoboard.search.backends import terms

CANDIDATES = 20
#: How alike (0..1) a known word must be to stand in for a typed one.
MIN_RATIO = 0.75
MAX_CORRECTIONS = 3
#: Known words offered for a half-typed last word.
COMPLETIONS = 8
SAME_LETTER = 300

#: Keeps those of the given words that may be used (see the module docstring).
Keep = Callable[[list[str]], list[str]]


def remember_words(cur: Any, titles: Iterable[str]) -> None:
    """Add the words of ``titles`` that are not known yet."""
    words: set[str] = set()
    for title in titles:
        words |= terms.title_vocabulary(title)
    ordered = sorted(words)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        cur.execute(
            "SELECT word FROM search_word"  # noqa: S608  (placeholders only)
            f" WHERE word IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        known = {row[0] for row in cur.fetchall()}
        for word in chunk:
            if word not in known:
                cur.execute("INSERT INTO search_word (word) VALUES (%s)", [word])
                cur.execute(
                    "INSERT INTO search_word_tri (rowid, word) VALUES (%s, %s)",
                    [cur.lastrowid, word],
                )


def completions(cur: Any, word: str, keep: Keep | None = None) -> list[str]:
    """Known words that begin with ``word`` (shortest first), only those ``keep`` keeps."""
    found: list[str] = []
    offset = 0
    while len(found) < COMPLETIONS:
        cur.execute(
            "SELECT word FROM search_word WHERE word >= %s AND word < %s"
            " ORDER BY length(word), word LIMIT %s OFFSET %s",
            [word, word + "\U0010ffff", COMPLETIONS, offset],
        )
        batch = [row[0] for row in cur.fetchall()]
        found += keep(batch) if keep is not None and batch else batch
        if keep is None or len(batch) < COMPLETIONS:
            break
        offset += COMPLETIONS
    return found[:COMPLETIONS]


def spellings(cur: Any, word: str, *, prefix: bool, keep: Keep | None = None) -> list[str]:
    """The known words ``word`` may stand for, best first (possibly none).

    ``word`` itself if it is known; with ``prefix`` (the word still being
    typed) the known words it begins, as whole words, because a stemmed
    prefix ("recurrin" -> "recurrin") would miss a stemmed word ("recur");
    otherwise the known words that look most like it.
    """
    if prefix:
        found = completions(cur, word, keep)
        if found:
            return found if word in found else [word, *found]
    else:
        cur.execute("SELECT 1 FROM search_word WHERE word = %s", [word])
        if cur.fetchone() and (keep is None or keep([word])):
            return [word]
    return _corrections(cur, word, prefix=prefix, keep=keep)


def _kept_pages(cur: Any, sql: str, params: list[Any], size: int, keep: Keep | None) -> list[str]:
    """The first ``size`` words ``sql`` yields that ``keep`` keeps, read page by page."""
    found: list[str] = []
    offset = 0
    while len(found) < size:
        cur.execute(f"{sql} LIMIT %s OFFSET %s", [*params, size, offset])
        batch = [row[0] for row in cur.fetchall()]
        found += keep(batch) if keep is not None and batch else batch
        if keep is None or len(batch) < size:
            break
        offset += size
    return found[:size]


def _corrections(cur: Any, word: str, *, prefix: bool, keep: Keep | None = None) -> list[str]:
    grams = terms.trigrams([word])
    if not grams:
        return []
    candidates = _kept_pages(
        cur,
        "SELECT word FROM search_word_tri WHERE search_word_tri MATCH %s"
        " ORDER BY bm25(search_word_tri), rowid",
        [" OR ".join(terms.fts5_quote(g) for g in sorted(grams))],
        CANDIDATES,
        keep,
    )
    found = _alike(word, candidates, prefix=prefix)
    if not found:
        # Swapped letters in a short word share no trigram with the right
        # word ("svaed", "saved"): compare words of about the same length
        # that start with the same letter.
        candidates = _kept_pages(
            cur,
            "SELECT word FROM search_word WHERE word >= %s AND word < %s"
            " AND length(word) BETWEEN %s AND %s ORDER BY word",
            [word[0], word[0] + "\U0010ffff", len(word) - 1, len(word) + 3],
            SAME_LETTER,
            keep,
        )
        found = _alike(word, candidates, prefix=prefix)
    return found


def _alike(word: str, known_words: list[str], *, prefix: bool) -> list[str]:
    scored = []
    for known in known_words:
        ratio = SequenceMatcher(None, word, known).ratio()
        if prefix:
            ratio = max(ratio, SequenceMatcher(None, word, known[: len(word)]).ratio())
        if ratio >= MIN_RATIO:
            scored.append((-ratio, known))
    return [known for _, known in sorted(scored)[:MAX_CORRECTIONS]]
