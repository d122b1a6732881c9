"""The per-process matrix of post vectors that look-ups scan.

Each process keeps every stored vector of the current model in one matrix,
as stored (float16: 100k posts take 51 MB, plus 26 MB for the float32
coarse copy below), with the post and board id of each row. Before a
look-up it reads the vector clock (one small query); when the clock moved it
loads only the rows written since (``seq`` greater than the value it holds),
so a new or edited post is found by every process at its next look-up. A
different clock epoch, or a clock that went back, means a full reload.

Each row also holds its post's board and whether it is listed: the
consumer re-writes a post's row when it is hidden, merged or restored, so
unlisted posts never take a look-up's places. A row may still be stale for
the moments before the consumer runs (or for a deleted post): callers check
the candidates against ``boards_post`` before showing any.

The first load of a process (or a full reload), when more than
SYNC_LOAD_MAX rows are stored, runs in a background thread: until it is
done, look-ups find nothing semantic and the suggestions are the lexical ones.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connections

from monoboard.similar import embedding
from monoboard.similar.models import PostVector, VectorClock

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)


#: Dimensions of the coarse pass; its best RERANK_FACTOR x limit rows (at
#: least RERANK_MIN) are then scored with all 256.
COARSE_DIM = 64
RERANK_FACTOR = 20
RERANK_MIN = 400


@dataclass(frozen=True)
class Snapshot:
    post_ids: NDArray[np.int64]
    board_ids: NDArray[np.int64]
    listed: NDArray[np.bool_]
    #: The stored float16 vectors; cast rows to float32 before arithmetic.
    matrix: NDArray[np.float16]
    #: The first COARSE_DIM dimensions of each row, scaled to unit length.
    coarse: NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.post_ids.shape[0])


class VectorIndex:
    def __init__(self, *, background: bool = True) -> None:
        #: Whether a full load of many rows may run in a thread of its own
        #: (look-ups meanwhile find nothing semantic) instead of in the request.
        self._background = background
        self._lock = threading.Lock()
        self._epoch = ""
        self._seq = 0
        self._count = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._boards = np.zeros(0, dtype=np.int64)
        self._listed = np.zeros(0, dtype=np.bool_)
        self._matrix = np.zeros((0, embedding.DIM), dtype=embedding.STORED_DTYPE)
        self._coarse = np.zeros((0, COARSE_DIM), dtype=np.float32)
        self._row: dict[int, int] = {}

    def _reset(self) -> None:
        self._epoch, self._seq, self._count = "", 0, 0
        self._row = {}

    def _grow(self, need: int) -> None:
        if need <= self._matrix.shape[0]:
            return
        size = max(need, self._matrix.shape[0] * 2, 1024)
        matrix = np.zeros((size, embedding.DIM), dtype=embedding.STORED_DTYPE)
        matrix[: self._count] = self._matrix[: self._count]
        coarse = np.zeros((size, COARSE_DIM), dtype=np.float32)
        coarse[: self._count] = self._coarse[: self._count]
        ids = np.zeros(size, dtype=np.int64)
        ids[: self._count] = self._ids[: self._count]
        boards = np.zeros(size, dtype=np.int64)
        boards[: self._count] = self._boards[: self._count]
        listed = np.zeros(size, dtype=np.bool_)
        listed[: self._count] = self._listed[: self._count]
        self._matrix, self._ids, self._boards, self._listed = matrix, ids, boards, listed
        self._coarse = coarse

    def refresh(self) -> Snapshot:
        """Bring the matrix up to the stored vectors; returns a consistent view."""
        with self._lock:
            clock = VectorClock.objects.filter(pk=1).values_list("value", "epoch").first()
            if clock is None:
                self._reset()
            else:
                value, epoch = clock
                if epoch != self._epoch or value < self._seq:
                    if self._background and (_loading.is_set() or _many_rows()):
                        _load_in_background()
                        return EMPTY
                    self._reset()
                    self._epoch = epoch
                if value > self._seq:
                    self._load_after(self._seq)
            count = self._count
            return Snapshot(
                self._ids[:count],
                self._boards[:count],
                self._listed[:count],
                self._matrix[:count],
                self._coarse[:count],
            )

    def _load_after(self, seq: int) -> None:
        rows = (
            PostVector.objects.filter(seq__gt=seq, model=embedding.MODEL_VERSION)
            .order_by("seq")
            .values_list("post_id", "post__board_id", "post__is_listed", "vector", "seq")
        )
        batch: list[tuple[int, int, bool, bytes | memoryview]] = []
        newest = seq
        for post_id, board_id, listed, data, row_seq in rows.iterator(chunk_size=5000):
            batch.append((post_id, board_id, listed, data))
            newest = max(newest, row_seq)
            if len(batch) >= 5000:
                self._apply(batch)
                batch = []
        self._apply(batch)
        self._seq = newest

    def _apply(self, batch: list[tuple[int, int, bool, bytes | memoryview]]) -> None:
        if not batch:
            return
        self._grow(self._count + len(batch))
        vectors = np.frombuffer(
            b"".join(bytes(data) for _, _, _, data in batch), dtype=embedding.STORED_DTYPE
        ).reshape(len(batch), embedding.DIM)
        for (post_id, board_id, listed, _), vector in zip(batch, vectors, strict=True):
            row = self._row.get(post_id)
            if row is None:
                row = self._count
                self._row[post_id] = row
                self._ids[row] = post_id
                self._count += 1
            self._boards[row] = board_id
            self._listed[row] = listed
            self._matrix[row] = vector
            self._coarse[row] = coarse_of(vector)

    def vectors_of(self, post_ids: list[int]) -> dict[int, NDArray[np.float32]]:
        with self._lock:
            return {
                pk: self._matrix[self._row[pk]].astype(np.float32)
                for pk in post_ids
                if pk in self._row
            }


def coarse_of(vector: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """The first COARSE_DIM dimensions at unit length (the model is trained so
    that its leading dimensions are an embedding of their own)."""
    head = np.asarray(vector[..., :COARSE_DIM], dtype=np.float32)
    norm = float(np.linalg.norm(head))
    if norm > 0:
        head = head / np.float32(norm)
    return head.astype(np.float32, copy=False)


#: A full load of more rows than this runs in a background thread.
SYNC_LOAD_MAX = 5000

EMPTY = Snapshot(
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.bool_),
    np.zeros((0, embedding.DIM), dtype=embedding.STORED_DTYPE),
    np.zeros((0, COARSE_DIM), dtype=np.float32),
)

_index = VectorIndex()
_loading = threading.Event()
_loading_lock = threading.Lock()


def shared() -> VectorIndex:
    """This process's index."""
    return _index


def _many_rows() -> bool:
    stored = PostVector.objects.filter(model=embedding.MODEL_VERSION)
    return stored[SYNC_LOAD_MAX : SYNC_LOAD_MAX + 1].exists()


def warm() -> VectorIndex:
    """Load every stored vector now, in this thread, and make it this process's index."""
    global _index
    fresh = VectorIndex(background=False)
    fresh.refresh()
    fresh._background = True
    _index = fresh
    return fresh


def _build() -> None:
    try:
        warm()
    except Exception:
        logger.exception("loading the post vectors failed; the next look-up tries again")
    finally:
        connections.close_all()  # this thread's own connections
        _loading.clear()


def _load_in_background() -> None:
    """Start the first (or a full) load of a large table: 100,000 vectors take
    seconds, which no typing person should wait for."""
    with _loading_lock:
        if _loading.is_set():
            return
        _loading.set()
    threading.Thread(target=_build, name="similar-vectors-load", daemon=True).start()


def nearest(
    vector: NDArray[np.float32], snapshot: Snapshot, *, board_id: int, limit: int
) -> list[tuple[int, float]]:
    """The ``limit`` listed rows of ``board_id`` closest to ``vector``:
    (post id, cosine), best first."""
    if len(snapshot) == 0 or limit <= 0:
        return []
    # A scan reads every row, so it costs what the matrix weighs: the coarse
    # pass reads a quarter of it, and only its best rows are scored in full.
    rough = snapshot.coarse @ coarse_of(vector)
    rough[(snapshot.board_ids != board_id) | ~snapshot.listed] = -2.0
    pool = min(max(limit * RERANK_FACTOR, RERANK_MIN), rough.shape[0])
    rows = np.argpartition(-rough, pool - 1)[:pool]
    rows = rows[rough[rows] > -2.0]
    scores = snapshot.matrix[rows].astype(np.float32) @ vector
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(int(snapshot.post_ids[rows[i]]), float(scores[i])) for i in order]
