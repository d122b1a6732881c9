"""The trending score, stored on each post and indexed.

A post's score only changes when its vote count does, so it can be kept in a
column: log10 of the votes plus the creation time in units of 12.5 hours. A
post needs ten times the votes to outrank one 12.5 hours newer.
"""

from __future__ import annotations

import math
from datetime import datetime

EPOCH_SECONDS = 1_700_000_000  # keeps the numbers small; any fixed origin works
SECONDS_PER_DECADE_OF_VOTES = 45_000


def hot_score(vote_count: int, created_at: datetime) -> float:
    order = math.log10(max(vote_count, 1))
    age = created_at.timestamp() - EPOCH_SECONDS
    return round(order + age / SECONDS_PER_DECADE_OF_VOTES, 7)
