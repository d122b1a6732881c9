"""Semantic duplicates: title vectors, their look-ups, and the triage list."""

import os

# A look-up is one memory-bound scan of the vector matrix; a second BLAS
# thread per web process only competes with the other processes for cores.
# Set before numpy is first imported by this app (it has no effect after).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
