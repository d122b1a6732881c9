"""Scoring candidate titles against a half-typed one, the same for every backend.

The database finds candidates quickly (shared trigrams); this decides which of
them are really alike: how much of what was typed appears in the candidate
(coverage, which suits half-typed titles), tempered by the Dice overlap so a
long title that happens to contain one typed word does not win.
"""

from __future__ import annotations

from collections.abc import Iterable

from monoboard.search.backends import terms
from monoboard.search.backends.base import SimilarHit

#: Below this a candidate shares only incidental fragments with the title.
MIN_SCORE = 0.35


def title_score(wanted: set[str], candidate_title: str) -> float:
    have = terms.trigrams(terms.title_words(candidate_title))
    if not wanted or not have:
        return 0.0
    shared = len(wanted & have)
    coverage = shared / len(wanted)
    dice = 2 * shared / (len(wanted) + len(have))
    return 0.7 * coverage + 0.3 * dice


def rank_similar(
    wanted_words: list[str], candidates: Iterable[tuple[int, str]], *, limit: int
) -> list[SimilarHit]:
    wanted = terms.trigrams(wanted_words)
    scored = [
        SimilarHit(post_id=int(post_id), score=round(title_score(wanted, title), 4))
        for post_id, title in candidates
    ]
    scored = [hit for hit in scored if hit.score >= MIN_SCORE]
    scored.sort(key=lambda hit: (-hit.score, -hit.post_id))
    return scored[:limit]
