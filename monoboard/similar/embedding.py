"""Title embeddings on the CPU with the weights wordllama ships in its wheel.

Nothing is downloaded: the weights (``wordllama/weights/l2_supercat_256.safetensors``)
and the tokenizer (``wordllama/tokenizers/l2_supercat_tokenizer_config.json``)
are read from the installed package. ``WordLlama.load()`` is not used because
it looks for the tokenizer in a folder the wheel does not have and then
fetches it from the network; building the inference object from the two
bundled files directly never does.

A vector is the mean of the title's token embeddings, scaled to unit length,
so the cosine of two titles is a dot product. Stored as float16 (512 bytes).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Stored with every vector; vectors of another version are ignored and re-made
#: by ``manage.py embedposts``.
MODEL_VERSION = "wordllama-l2_supercat-256-title-v1"
DIM = 256
STORED_DTYPE = np.float16

_lock = threading.Lock()
_model: Any = None


class ModelUnavailable(RuntimeError):
    """The bundled weights could not be read (package missing or damaged)."""


def _load() -> Any:
    global _model
    with _lock:
        if _model is not None:
            return _model
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            import wordllama
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from wordllama.inference import WordLlamaInference
        except ImportError as error:  # pragma: no cover - a dependency of the project
            raise ModelUnavailable(f"wordllama is not installed: {error}") from error
        finally:
            # wordllama.inference calls logging.basicConfig() on import; keep
            # the process's own logging as it was.
            root.handlers[:], root.level = handlers, level
        package = Path(wordllama.__file__).parent
        weights = package / "weights" / "l2_supercat_256.safetensors"
        tokenizer = package / "tokenizers" / "l2_supercat_tokenizer_config.json"
        try:
            with safe_open(str(weights), framework="np", device="cpu") as tensors:
                embedding = tensors.get_tensor("embedding.weight")
            _model = WordLlamaInference(embedding, Tokenizer.from_file(str(tokenizer)))
        except (OSError, ValueError, KeyError, Exception) as error:
            raise ModelUnavailable(f"cannot read the bundled wordllama model: {error}") from error
        return _model


def embed(texts: list[str]) -> NDArray[np.float32]:
    """Unit-length float32 vectors, one row per text (zeros for an empty text)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _load()
    cleaned = [" ".join(text.split()) or " " for text in texts]
    vectors = np.nan_to_num(np.asarray(model.embed(cleaned, norm=False), dtype=np.float32))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    vectors[(norms == 0).ravel()] = 0.0
    return vectors


def to_bytes(vector: NDArray[np.float32]) -> bytes:
    return vector.astype(STORED_DTYPE).tobytes()


def from_bytes(data: bytes | memoryview) -> NDArray[np.float32]:
    return np.frombuffer(bytes(data), dtype=STORED_DTYPE).astype(np.float32)
